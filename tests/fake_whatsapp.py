"""A fake WhatsApp Cloud API (Graph API) and webhook sender on 127.0.0.1, for the real adapter.

The Graph side answers ``POST /v{version}/{phone}/messages`` (text, interactive, template,
image, document), ``POST /v{version}/{phone}/media`` (uploads), ``GET /v{version}/{media id}``
(the media URL) and the download itself; it records every call, checks the bearer token, keeps
the 24-hour window per user (a free-form message to a user whose window is closed is refused with
error 131047, as Meta does) and can be told to fail the next send (429, a permanent error).

The webhook side builds Meta's webhook bodies and posts them signed with the app secret
(``X-Hub-Signature-256``), like Meta does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

PHONE_ID = "1099000000001"
TOKEN = "EAAtest-token"
APP_SECRET = "app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"
VERSION = "23.0"

JsonDict = dict[str, Any]

_IDS = itertools.count(1)


@dataclass
class Failure:
    status: int
    code: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeWhatsApp:
    """The Graph API part: what the helpdesk sent, to whom."""

    sent: list[JsonDict] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> (data, mime, filename)
    open_windows: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    typing: list[str] = field(default_factory=list)
    """Message ids marked read with a typing indicator."""
    unauthorised: int = 0
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(f"/v{VERSION}/{PHONE_ID}/messages", self._messages)
        app.router.add_post(f"/v{VERSION}/{PHONE_ID}/media", self._upload)
        app.router.add_get(f"/v{VERSION}/{{media_id}}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------------------- control
    def fail_next(self, status: int, code: int, message: str, **headers: str) -> None:
        """Answer the next send with this Graph API error."""
        self.failures.append(Failure(status, code, message, dict(headers)))

    def add_media(self, data: bytes, mime: str, filename: str = "") -> str:
        """A file a user sent; its media id."""
        media_id = f"media-{next(_IDS)}"
        self.media[media_id] = (data, mime, filename)
        return media_id

    def to(self, wa_id: str) -> list[JsonDict]:
        """Everything sent to ``wa_id``, in order."""
        return [m for m in self.sent if m.get("to") == wa_id]

    def texts(self, wa_id: str) -> list[str]:
        """The visible text of everything sent to ``wa_id`` (body of text and interactive messages,
        the template's parameters)."""
        out = []
        for m in self.to(wa_id):
            if m["type"] == "text":
                out.append(m["text"]["body"])
            elif m["type"] == "interactive":
                out.append(m["interactive"]["body"]["text"])
            elif m["type"] == "template":
                params = [p["text"] for c in m["template"].get("components", []) for p in c["parameters"]]
                out.append(f"[template {m['template']['name']}] " + " ".join(params))
            else:
                out.append(f"[{m['type']}]")
        return out

    # ------------------------------------------------------------------------------ handlers
    def _authorised(self, request: web.Request) -> bool:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.unauthorised += 1
            return False
        return True

    @staticmethod
    def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "X"}}
        return web.json_response(body, status=status, headers=headers)

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        body = await request.json()
        if body.get("status") == "read":  # mark as read (with a typing indicator)
            if body.get("typing_indicator"):
                self.typing.append(str(body.get("message_id")))
            return web.json_response({"success": True})
        if self.failures:
            failure = self.failures.pop(0)
            return self._error(failure.status, failure.code, failure.message, failure.headers)
        to = body.get("to", "")
        if body.get("type") != "template" and to not in self.open_windows:
            return self._error(
                400,
                131047,
                "Re-engagement message: more than 24 hours have passed since the customer last replied",
            )
        wamid = f"wamid.{next(_IDS)}"
        self.sent.append({**body, "id": wamid})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        form = await request.post()
        file = form["file"]
        assert isinstance(file, web.FileField)
        media_id = f"upload-{next(_IDS)}"
        self.uploads[media_id] = (file.file.read(), file.filename)
        return web.json_response({"id": media_id})

    async def _media_url(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 190, "Invalid OAuth access token")
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return self._error(404, 100, "Unsupported get request")
        data, mime, _ = self.media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        data, mime, _ = self.media[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime)


# ------------------------------------------------------------------------------ webhooks
def envelope(
    *,
    messages: Sequence[JsonDict] = (),
    statuses: Sequence[JsonDict] = (),
    names: dict[str, str] | None = None,
    phone_id: str = PHONE_ID,
) -> JsonDict:
    """A webhook body as Meta posts it."""
    value: JsonDict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_id},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": (names or {}).get(m["from"], "")}, "wa_id": m["from"]} for m in messages
        ]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}],
    }


def text(wa_id: str, body: str, **extra: Any) -> JsonDict:
    return {
        "from": wa_id,
        "id": f"wamid.in{next(_IDS)}",
        "timestamp": "1765000000",
        "type": "text",
        "text": {"body": body},
        **extra,
    }


def reply(wa_id: str, data: str, title: str, *, kind: str = "button_reply") -> JsonDict:
    return {
        "from": wa_id,
        "id": f"wamid.in{next(_IDS)}",
        "timestamp": "1765000000",
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": data, "title": title}},
    }


def media_message(
    wa_id: str, kind: str, media_id: str, mime: str, caption: str = "", filename: str = ""
) -> JsonDict:
    media: JsonDict = {"id": media_id, "mime_type": mime}
    if caption:
        media["caption"] = caption
    if filename:
        media["filename"] = filename
    return {
        "from": wa_id,
        "id": f"wamid.in{next(_IDS)}",
        "timestamp": "1765000000",
        "type": kind,
        kind: media,
    }


def status(wamid: str, state: str, wa_id: str, error: JsonDict | None = None) -> JsonDict:
    report: JsonDict = {"id": wamid, "status": state, "timestamp": "1765000100", "recipient_id": wa_id}
    if error:
        report["errors"] = [error]
    return report


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_webhook(
    url: str, payload: JsonDict | bytes, *, signature: str | None = "auto"
) -> tuple[int, str]:
    """POST ``payload`` to the helpdesk's webhook like Meta does; (status, body)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()
