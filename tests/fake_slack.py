"""A fake Slack on 127.0.0.1 for adapter tests: the Web API, file uploads and Socket Mode.

- Web API at ``/api/<method>``: auth.test, chat.postMessage, chat.update, chat.postEphemeral,
  conversations.open, conversations.members, reactions.add, users.info, views.publish,
  files.getUploadURLExternal (+ the upload URL), files.completeUploadExternal and
  apps.connections.open. Arguments from the query string, a form or a JSON body are merged and
  every call is recorded. ``fail_next`` makes the next call of a method fail (``ratelimited`` with
  HTTP 429 and ``Retry-After``, or any Slack error).
- Socket Mode at ``/socket``: ``apps.connections.open`` hands out its ``ws://`` URL; the server
  says hello, ``socket_send`` pushes an envelope and the client's acknowledgements are recorded.
- :class:`SlackRequests` sends properly signed Events API, interactivity and slash-command requests
  to an app's ``/slack/events`` (HMAC-SHA256 ``v0`` signing with the signing secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEST"


@dataclass
class Call:
    """One Web API call the fake answered."""

    method: str
    args: dict[str, Any]
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Posted:
    """A message the fake holds (posted, then maybe updated)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    ephemeral_user: str | None = None
    updates: int = 0
    metadata: dict[str, Any] | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The buttons in the message's actions blocks."""
        return [e for b in self.blocks if b.get("type") == "actions" for e in b.get("elements", [])]

    @property
    def labels(self) -> list[str]:
        return [b["text"]["text"] for b in self.buttons]

    @property
    def shown(self) -> str:
        """The text of the section blocks (what people see)."""
        parts = [b["text"]["text"] for b in self.blocks if b.get("type") == "section"]
        return "\n".join(parts) if parts else self.text


@dataclass
class _Failure:
    method: str
    error: str
    status: int
    retry_after: float | None


class FakeSlack:
    """The fake Slack server; ``api_url`` is what ``SLACK_API_URL`` should be."""

    def __init__(self, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN):
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[Call] = []
        self.messages: list[Posted] = []
        self.members: dict[str, list[str]] = {}
        self.users: dict[str, str] = {}
        self.uploads: dict[str, bytes] = {}
        self.shared: dict[
            str, tuple[bytes, str, str]
        ] = {}  # files people shared: id -> (data, name, mimetype)
        self.socket_acks: list[dict[str, Any]] = []
        self.socket_connections = 0
        self._failures: list[_Failure] = []
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --------------------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/download/{file_id}", self._download)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = next(a[1] for a in self._runner.addresses if isinstance(a, tuple))

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    # ---------------------------------------------------------------------------- control
    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: float | None = 1,
    ) -> None:
        """Answer the next call of ``method`` with ``error`` (429 + Retry-After for ratelimited)."""
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        self._failures.append(_Failure(method, error, code, retry_after if error == "ratelimited" else None))

    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.error is None or not ok_only)]

    def in_channel(self, channel: str, thread_ts: str | None = None, top_level: bool = False) -> list[Posted]:
        """Messages in ``channel`` (in ``thread_ts`` if given; outside threads if ``top_level``)."""
        found = [m for m in self.messages if m.channel == channel and m.ephemeral_user is None]
        if thread_ts is not None:
            found = [m for m in found if m.thread_ts == thread_ts]
        if top_level:
            found = [m for m in found if m.thread_ts is None]
        return found

    def message(self, channel: str, ts: str) -> Posted:
        return next(m for m in self.messages if m.channel == channel and m.ts == ts)

    async def wait_for(self, check: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """Poll ``check`` until it returns something truthy (short sleeps, bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.01)

    # ---------------------------------------------------------------------------- socket
    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push an envelope to the connected Socket Mode client."""
        await self.wait_for(lambda: self._sockets, what="a socket mode connection")
        await self._sockets[-1].send_str(json.dumps(envelope))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0TEST"},
                }
            )
        )
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if "envelope_id" in data:
                        self.socket_acks.append(data)
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    # ------------------------------------------------------------------------------- api
    def share_file(self, file_id: str, data: bytes, name: str, mimetype: str) -> dict[str, Any]:
        """A file a person shares in a message: its entry for the event's ``files``."""
        self.shared[file_id] = (data, name, mimetype)
        return {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "permalink": f"https://example.slack.com/files/U0/{file_id}/{name}",
        }

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(args.get("file") or "")
        if file_id not in self.shared:
            return {"ok": False, "error": "file_not_found"}
        data, name, mimetype = self.shared[file_id]
        download = f"{self.root}/download/{file_id}"
        return {
            "ok": True,
            "file": {"id": file_id, "name": name, "mimetype": mimetype, "size": len(data),
                     "url_private_download": download},
        }  # fmt: skip

    async def _download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.Response(
                status=302, headers={"Location": "/login"}
            )  # Slack sends strangers to sign in
        data, _, mimetype = self.shared[request.match_info["file_id"]]
        return web.Response(body=data, content_type=mimetype)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.get("token", ""))
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        failure = next((f for f in self._failures if f.method == method), None)
        if failure is not None:
            self._failures.remove(failure)
            self.calls.append(Call(method, args, failure.status, failure.error))
            headers = {} if failure.retry_after is None else {"Retry-After": str(int(failure.retry_after))}
            body = {"ok": False, "error": failure.error}
            return web.json_response(body, status=failure.status, headers=headers)
        if token != expected:
            self.calls.append(Call(method, args, 200, "invalid_auth"))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self.calls.append(Call(method, args, 200, "unknown_method"))
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = handler(args)
        error = None if result.get("ok") else result.get("error")
        self.calls.append(Call(method, args, 200, error))
        return web.json_response(result)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "helpdesk",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel or channel.startswith("CGONE"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        posted = Posted(
            channel,
            self._next_ts(),
            str(args.get("text") or ""),
            list(args.get("blocks") or []),
            str(args["thread_ts"]) if args.get("thread_ts") else None,
        )
        metadata = args.get("metadata")
        posted.metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.messages.append(posted)
        message = {"text": posted.text, "ts": posted.ts}
        return {"ok": True, "channel": channel, "ts": posted.ts, "message": message}

    def _history(self, found: list[Posted], args: dict[str, Any]) -> dict[str, Any]:
        # This fake's timestamps are synthetic (they start in 2023), so ``oldest`` is not applied.
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = []
        for posted in reversed(found):  # newest first, as Slack answers
            if posted.ephemeral_user:
                continue
            item: dict[str, Any] = {"type": "message", "text": posted.text, "ts": posted.ts}
            if posted.thread_ts:
                item["thread_ts"] = posted.thread_ts
            if with_metadata and posted.metadata:
                item["metadata"] = posted.metadata
            messages.append(item)
        return {"ok": True, "messages": messages, "has_more": False}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        return self._history([m for m in self.messages if m.channel == channel and not m.thread_ts], args)

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        thread = [m for m in self.messages if m.channel == channel and (m.ts == ts or m.thread_ts == ts)]
        return self._history(thread, args)

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        target = next((m for m in self.messages if m.channel == channel and m.ts == ts), None)
        if target is None:
            return {"ok": False, "error": "message_not_found"}
        target.text = str(args.get("text") or "")
        target.blocks = list(args.get("blocks") or [])
        target.updates += 1
        return {"ok": True, "channel": channel, "ts": ts, "text": target.text}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        posted = Posted(
            str(args.get("channel")),
            self._next_ts(),
            str(args.get("text") or ""),
            list(args.get("blocks") or []),
            args.get("thread_ts"),
            str(args.get("user")),
        )
        self.messages.append(posted)
        return {"ok": True, "message_ts": posted.ts}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "").split(",")[0]
        if not user:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user.removeprefix("U")}}

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": self.members[channel], "response_metadata": {"next_cursor": ""}}

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user") or "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name = self.users[user]
        return {
            "ok": True,
            "user": {"id": user, "name": name.lower(), "real_name": name, "profile": {"display_name": name}},
        }

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:8], **(args.get("view") or {})}}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._files):04d}"
        return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}


# ------------------------------------------------------------------------------- requests
def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack puts on a request: timestamp and ``v0=`` HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class SlackRequests:
    """Sends signed Events API, interactivity and slash-command requests to an app."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET):
        self.url = url
        self.secret = secret
        self._ts = itertools.count(1)

    def next_ts(self) -> str:
        """A fresh message ts for an inbound message (distinct from the fake server's)."""
        return f"1800000000.{next(self._ts):06d}"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[int, str]:
        headers = {"Content-Type": content_type, **sign(secret or self.secret, body, timestamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with aiohttp.ClientSession() as session:
            resp = await session.post(self.url, data=body, headers=headers)
            return resp.status, await resp.text()

    @staticmethod
    def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "event": event,
        }

    async def event(self, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> tuple[int, str]:
        """An Events API ``event_callback`` wrapping ``event``."""
        return await self.post(json.dumps(self.event_body(event, event_id)), "application/json", **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def command(self, user: str, name: str, channel: str, text: str, **kw: Any) -> tuple[int, str]:
        """A ``/helpdesk`` slash command."""
        fields = command_fields(user, name, channel, text)
        return await self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kw)


def dm_event(user: str, text: str, ts: str, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    """A ``message.im`` event from ``user``."""
    return {
        "type": "message",
        "channel": channel or "D" + user.removeprefix("U"),
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def channel_event(
    user: str, text: str, ts: str, channel: str, thread_ts: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A ``message.channels`` event (a thread reply when ``thread_ts`` is given)."""
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_fields(user: str, name: str, channel: str, text: str) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user,
        "user_name": name,
        "command": "/helpdesk",
        "text": text,
        "api_app_id": "A0TEST",
        "response_url": "https://hooks.fake.slack.test/commands/1",
        "trigger_id": uuid.uuid4().hex,
    }


def block_actions(user: str, name: str, message: Posted, button: dict[str, Any]) -> dict[str, Any]:
    """The interactivity payload of ``user`` pressing ``button`` on ``message``."""
    msg: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
    msg["blocks"] = message.blocks
    if message.thread_ts:
        msg["thread_ts"] = message.thread_ts
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM_ID},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
        },
        "trigger_id": uuid.uuid4().hex,
        "channel": {"id": message.channel, "name": "directmessage"},
        "message": msg,
        "response_url": "https://hooks.fake.slack.test/actions/1",
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b1",
                "text": button["text"],
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
