"""A fake Telegram Bot API server (aiohttp, 127.0.0.1 only) for driving the real PTB application.

It keeps chats, messages, forum topics and members; queues updates for ``getUpdates`` with
Telegram's offset semantics (long poll, confirm by asking for a higher offset); records every
call; renders ``parse_mode=HTML`` the way Telegram does (rejecting text that does not parse) and
can be told to answer the next call of a method with an error (429 with ``retry_after``, 403,
400 ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 900000001
BOT_USERNAME = "helpdesk_test_bot"
TOKEN = f"{BOT_ID}:TEST-token"

JsonDict = dict[str, Any]

# Shared by every fake in a test run, like Telegram's ever-growing ids: a second fake (a "restart")
# never reuses an update or message id of the first one.
_UPDATE_IDS = itertools.count(5000)
_MESSAGE_IDS = itertools.count(100)

# Parameters that are plain strings on the wire; everything else is JSON-decoded when it parses.
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "name",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "photo",
        "document",
        "parse_mode",
        "title",
        "description",
        "icon_custom_emoji_id",
    }
)
ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer of the fake API."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def render_html(text: str) -> str:
    """The text Telegram shows for ``text`` sent with ``parse_mode=HTML``; raises like Telegram
    when it does not parse (unknown or unbalanced tags, a bare ``<`` or ``&``)."""
    out: list[str] = []
    open_tags: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        closing, tag, _attrs, entity = match.group(1), match.group(2), match.group(3), match.group(4)
        if tag:
            tag = tag.lower()
            if tag not in ALLOWED_TAGS:
                raise ApiError(400, f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"')
            if closing:
                if not open_tags or open_tags[-1] != tag:
                    raise ApiError(400, f'Bad Request: can\'t parse entities: unexpected end tag "{tag}"')
                open_tags.pop()
            else:
                open_tags.append(tag)
        elif entity:
            out.append(html.unescape(f"&{entity};"))
        else:
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected character {match.group(0)!r}")
    out.append(text[position:])
    if open_tags:
        raise ApiError(400, f"Bad Request: can't parse entities: can't find end tag \"{open_tags[-1]}\"")
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: JsonDict
    error: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass
class Failure:
    """An error to answer the next matching call with."""

    method: str
    code: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None


@dataclass
class FakeTelegram:
    """The fake server; ``await start()`` then point PTB at :attr:`base_url`."""

    max_long_poll: float = 0.5
    calls: list[Call] = field(default_factory=list)
    chats: dict[int, JsonDict] = field(default_factory=dict)
    messages: dict[tuple[int, int], JsonDict] = field(default_factory=dict)
    members: dict[tuple[int, int], str] = field(default_factory=dict)
    users: dict[int, JsonDict] = field(default_factory=dict)
    topics: dict[tuple[int, int], JsonDict] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[JsonDict]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    queue: list[JsonDict] = field(default_factory=list)
    webhook: JsonDict | None = None
    closed_topics_refuse_bot: bool = False
    """Refuse the bot's posts in closed topics (as when it lacks the right to manage topics)."""
    confirmed: int = 0
    """The highest ``offset`` the bot asked for: every update below it is confirmed (processed)."""
    down: dict[str, int] = field(default_factory=dict)
    """Methods answering with this HTTP status until removed (an outage), e.g. ``{"sendMessage": 502}``."""
    conflicts: int = 0
    """getUpdates calls refused because another one was still running (two pollers at once: the
    real Bot API answers 409 Conflict)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """File contents by file id, for ``getFile`` and the file download URL (others: a placeholder)."""
    holds: list[tuple[str, int]] = field(default_factory=list)
    """``(method, chat_id)`` calls to carry out and then not answer until :meth:`release` (the
    bot's process can be killed meanwhile: the message is delivered, the bot never hears so)."""

    def __post_init__(self) -> None:
        self._message_ids = _MESSAGE_IDS
        self._update_ids = _UPDATE_IDS
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._released = asyncio.Event()
        self._polling = 0
        # Called with (chat_id, message) for every message stored (benchmarks wait on these
        # instead of re-checking a predicate after every call).
        self.listeners: list[Any] = []
        self.held: list[Call] = []
        self.port = 0
        self.bot_user: JsonDict = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Helpdesk",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    # ------------------------------------------------------------------------------ server
    @property
    def token(self) -> str:
        return TOKEN

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        self._closing = True
        await self._notify()  # end pending long polls now
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def file_bytes(self, file_id: str) -> bytes:
        return self.files.get(file_id, f"contents of {file_id}".encode())

    async def api_getFile(self, params: JsonDict) -> JsonDict:
        file_id = str(params["file_id"])
        size = len(self.file_bytes(file_id))
        return {
            "file_id": file_id,
            "file_unique_id": f"{file_id}-u",
            "file_size": size,
            "file_path": f"files/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.Response(status=401)
        return web.Response(body=self.file_bytes(request.match_info["path"].removeprefix("files/")))

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        try:
            self._maybe_fail(method, params)
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            held = (method, params.get("chat_id"))
            if held in self.holds:
                self.holds.remove(held)
                self.held.append(call)
                async with self._changed:
                    self._changed.notify_all()
                await self._released.wait()
        except ApiError as error:
            call.error = error.description
            body: JsonDict = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            async with self._changed:
                self._changed.notify_all()
            return web.json_response(body, status=error.code)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def webhook_reply(self, body: bytes) -> None:
        """What Telegram does with the body of a webhook's 200 reply: a JSON object naming a
        ``method`` is run as a Bot API call (its outcome reported to nobody)."""
        try:
            params = json.loads(body)
        except ValueError:
            return
        if not isinstance(params, dict) or not isinstance(params.get("method"), str):
            return
        method = params.pop("method")
        call = Call(method, params)
        self.calls.append(call)
        handler = getattr(self, f"api_{method}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            self._maybe_fail(method, params)
            await handler(params)
        except ApiError as error:
            call.error = error.description
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    async def _params(request: web.Request) -> JsonDict:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
            return raw
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = {"upload": value.filename, "size": len(value.file.read())}
                else:
                    raw[key] = value
        params: JsonDict = {}
        for key, value in raw.items():
            if isinstance(value, str) and key not in TEXT_PARAMS:
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    def _maybe_fail(self, method: str, params: JsonDict) -> None:
        if method in self.down:
            code = self.down[method]
            raise ApiError(
                code, {502: "Bad Gateway", 503: "Service Unavailable"}.get(code, "Internal Server Error")
            )
        for failure in self.failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and params.get("chat_id") != failure.chat_id:
                continue
            self.failures.remove(failure)
            parameters = {"retry_after": failure.retry_after} if failure.retry_after is not None else None
            raise ApiError(failure.code, failure.description, parameters)

    # ----------------------------------------------------------------------- test controls
    def release(self) -> None:
        """Answer the calls held by :attr:`holds`."""
        self._released.set()

    def fail_next(
        self,
        method: str,
        code: int = 429,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``method`` call (to ``chat_id`` if given) with an error."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: something is wrong",
            }.get(code, "Internal Server Error")
        if code == 429 and retry_after is None:
            retry_after = 1
        self.failures.append(Failure(method, code, description, retry_after, chat_id))

    def add_user(
        self, user_id: int, first_name: str, last_name: str = "", *, is_bot: bool = False
    ) -> JsonDict:
        """A person (and their private chat with the bot)."""
        user: JsonDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name, "language_code": "id"}
        if last_name:
            user["last_name"] = last_name
        if is_bot:
            user["username"] = f"{first_name.lower()}_bot"
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def add_group(self, chat_id: int, title: str = "IT desk", *, forum: bool = False) -> JsonDict:
        """A supergroup (a forum when ``forum``) with the bot as an administrator."""
        chat: JsonDict = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        self.members[(chat_id, BOT_ID)] = "administrator"
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """``status``: creator, administrator, member, restricted, left or kicked."""
        self.members[(chat_id, user_id)] = status

    def push(self, *updates: JsonDict) -> None:
        """Queue updates for getUpdates (together, so one getUpdates can return them all)."""
        self.queue.extend(updates)
        asyncio.get_running_loop().create_task(self._notify())

    def requeue(self, update: JsonDict) -> None:
        """Offer an already confirmed update again (what Telegram may do after a crash)."""
        self.queue.insert(0, copy.deepcopy(update))
        self.confirmed = min(self.confirmed, update["update_id"])
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (re-checked after every API call)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_processed(self, update: JsonDict, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed ``update`` (it asked for a higher offset)."""
        await self.wait_for(lambda: self.confirmed > update["update_id"], timeout)

    # ----------------------------------------------------------------------- building updates
    def _new_update(self, **content: Any) -> JsonDict:
        return {"update_id": next(self._update_ids), **content}

    def message(
        self,
        chat_id: int,
        user: JsonDict,
        text: str | None = None,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        caption: str | None = None,
        photo: str | None = None,
        document: tuple[str, str] | None = None,
        sticker: str | None = None,
        push: bool = True,
    ) -> JsonDict:
        """A message from ``user`` in ``chat_id`` as an update (queued unless ``push=False``)."""
        content: JsonDict = {}
        if text is not None:
            content["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if caption is not None:
            content["caption"] = caption
        if photo is not None:
            content["photo"] = [
                {"file_id": f"{photo}-small", "file_unique_id": f"{photo}-s", "width": 90, "height": 90},
                {"file_id": photo, "file_unique_id": f"{photo}-u", "width": 1280, "height": 960},
            ]
        if document is not None:
            content["document"] = {
                "file_id": document[0],
                "file_unique_id": f"{document[0]}-u",
                "file_name": document[1],
            }
        if sticker is not None:
            content["sticker"] = {
                "file_id": sticker,
                "file_unique_id": f"{sticker}-u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        message = self._store_message(chat_id, user, content, reply_to=reply_to, thread_id=thread_id)
        update = self._new_update(message=copy.deepcopy(message))
        if push:
            self.push(update)
        return update

    def press(self, user: JsonDict, message: JsonDict, data: str, *, push: bool = True) -> JsonDict:
        """``user`` presses the inline button with ``data`` under ``message``."""
        update = self._new_update(
            callback_query={
                "id": str(next(self._query_ids)),
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": f"ci{message['chat']['id']}",
                "data": data,
            }
        )
        if push:
            self.push(update)
        return update

    def press_button(self, user: JsonDict, chat_id: int, label: str) -> JsonDict:
        """``user`` presses the button labelled ``label`` on the latest bot message showing it."""
        for message in reversed(self.bot_messages(chat_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return self.press(user, message, button["callback_data"])
        raise AssertionError(f"no button {label!r} in chat {chat_id}")

    # ---------------------------------------------------------------------- looking at state
    def bot_messages(self, chat_id: int) -> list[JsonDict]:
        """What the bot posted in ``chat_id``, oldest first (as it looks now, after edits)."""
        found = [m for (c, _), m in self.messages.items() if c == chat_id and m["from"]["id"] == BOT_ID]
        return sorted(found, key=lambda m: m["message_id"])

    def texts(self, chat_id: int) -> list[str]:
        """The visible texts (or captions) of the bot's messages in ``chat_id``."""
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(chat_id)]

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c for c in self.calls if c.method == method and (chat_id is None or c.get("chat_id") == chat_id)
        ]

    # --------------------------------------------------------------------------- messages
    def _chat(self, chat_id: Any) -> JsonDict:
        chat = self.chats.get(int(chat_id)) if str(chat_id).lstrip("-").isdigit() else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _store_message(
        self,
        chat_id: int,
        sender: JsonDict,
        content: JsonDict,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JsonDict:
        chat = self._chat(chat_id)
        message: JsonDict = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": dict(chat),
            "from": sender,
            **content,
        }
        replied = self.messages.get((chat_id, reply_to)) if reply_to is not None else None
        if chat.get("is_forum") and thread_id is not None:
            topic = self.topics.get((chat_id, thread_id))
            if topic is None:
                raise ApiError(400, "Bad Request: message thread not found")
            if topic["closed"] and sender["id"] == BOT_ID and self.closed_topics_refuse_bot:
                raise ApiError(400, "Bad Request: TOPIC_CLOSED")
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
            if replied is None:  # Telegram makes topic messages reply to the topic's first message
                replied = self.messages.get((chat_id, thread_id))
        elif chat["type"] == "supergroup" and not chat.get("is_forum") and replied is not None:
            message["message_thread_id"] = replied.get("message_thread_id") or replied["message_id"]
        if replied is not None:
            shallow = {k: v for k, v in replied.items() if k != "reply_to_message"}
            message["reply_to_message"] = copy.deepcopy(shallow)
        self.messages[(chat_id, message["message_id"])] = message
        for listener in self.listeners:
            listener(chat_id, message)
        return message

    def _render(self, text: str, params: JsonDict, *, caption: bool = False) -> str:
        rendered = render_html(text) if params.get("parse_mode") == "HTML" else text
        limit = 1024 if caption else 4096
        if not caption and not rendered.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(rendered) > limit:
            raise ApiError(
                400,
                "Bad Request: message caption is too long" if caption else "Bad Request: message is too long",
            )
        return rendered

    def _reply_target(self, params: JsonDict) -> int | None:
        reply = params.get("reply_parameters")
        if not reply:
            return None
        target = int(reply["message_id"])
        if (int(params["chat_id"]), target) not in self.messages and not reply.get(
            "allow_sending_without_reply"
        ):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _post(self, params: JsonDict, content: JsonDict) -> JsonDict:
        chat_id = int(self._chat(params["chat_id"])["id"])
        markup = params.get("reply_markup")
        if markup and markup.get("inline_keyboard"):
            content["reply_markup"] = markup
        return self._store_message(
            chat_id,
            self.bot_user,
            content,
            reply_to=self._reply_target(params),
            thread_id=params.get("message_thread_id"),
        )  # serialised at once: no copy needed

    # ------------------------------------------------------------------------ API methods
    async def api_getMe(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def api_getUpdates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if self._polling:
            self.conflicts += 1
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        self._polling += 1
        try:
            return await self._get_updates(params)
        finally:
            self._polling -= 1

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = params.get("offset")
        if offset is not None:
            offset = int(offset)
            self.confirmed = max(self.confirmed, offset)
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), self.max_long_poll)
        if not self.queue and timeout > 0:
            async with self._changed:
                self._changed.notify_all()  # tell waiters about the new offset first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self.queue) or self._closing), timeout
                    )
        return self.queue[:limit]

    async def api_deleteWebhook(self, params: JsonDict) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.queue.clear()
        return True

    async def api_setWebhook(self, params: JsonDict) -> bool:
        self.webhook = params
        return True

    async def api_getWebhookInfo(self, params: JsonDict) -> JsonDict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue),
        }

    async def api_setMyCommands(self, params: JsonDict) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = params["commands"]
        return True

    async def api_deleteMyCommands(self, params: JsonDict) -> bool:
        return True

    async def api_getChat(self, params: JsonDict) -> JsonDict:
        chat = dict(self._chat(params["chat_id"]))
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    async def api_getChatMember(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params["chat_id"])
        user_id = int(params["user_id"])
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        status = self.members.get((chat["id"], user_id), "left")
        member: JsonDict = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_manage_topics=True,
            )
        elif status == "restricted":
            member.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                until_date=0,
            )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def api_sendMessage(self, params: JsonDict) -> JsonDict:
        return self._post(params, {"text": self._render(str(params.get("text", "")), params)})

    async def api_sendPhoto(self, params: JsonDict) -> JsonDict:
        photo = params.get("photo")
        file_id = photo if isinstance(photo, str) else f"uploaded-{next(self._message_ids)}"
        content: JsonDict = {
            "photo": [{"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 800, "height": 600}]
        }
        if params.get("caption"):
            content["caption"] = self._render(str(params["caption"]), params, caption=True)
        return self._post(params, content)

    async def api_sendDocument(self, params: JsonDict) -> JsonDict:
        document = params.get("document")
        file_id = document if isinstance(document, str) else f"uploaded-{next(self._message_ids)}"
        content: JsonDict = {"document": {"file_id": file_id, "file_unique_id": f"{file_id}-u"}}
        if params.get("caption"):
            content["caption"] = self._render(str(params["caption"]), params, caption=True)
        return self._post(params, content)

    async def api_copyMessage(self, params: JsonDict) -> JsonDict:
        source = self.messages.get((int(params["from_chat_id"]), int(params["message_id"])))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {
            k: copy.deepcopy(v) for k, v in source.items() if k in ("text", "caption", "photo", "document")
        }
        return {"message_id": self._post(params, content)["message_id"]}

    async def api_editMessageText(self, params: JsonDict) -> JsonDict:
        chat_id = int(self._chat(params["chat_id"])["id"])
        message = self.messages.get((chat_id, int(params["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        text = self._render(str(params.get("text", "")), params)
        markup = params.get("reply_markup")
        new_markup = markup if markup and markup.get("inline_keyboard") else None
        if text == message.get("text") and new_markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = int(time.time())
        if new_markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = new_markup
        return message

    async def api_answerCallbackQuery(self, params: JsonDict) -> bool:
        return True

    async def api_setMessageReaction(self, params: JsonDict) -> bool:
        chat_id = int(self._chat(params["chat_id"])["id"])
        message = self.messages.get((chat_id, int(params["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message to react not found")
        message["bot_reaction"] = params.get("reaction")
        return True

    async def api_createForumTopic(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params["chat_id"])
        if not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_INVALID")
        created = self._store_message(
            chat["id"], self.bot_user, {"forum_topic_created": {"name": name, "icon_color": 7322096}}
        )
        thread_id = created["message_id"]
        created["message_thread_id"] = thread_id
        created["is_topic_message"] = True
        topic = {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}
        self.topics[(chat["id"], thread_id)] = {**topic, "closed": False}
        return topic

    async def _topic(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params["chat_id"])
        topic = self.topics.get((chat["id"], int(params["message_thread_id"])))
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    async def api_closeForumTopic(self, params: JsonDict) -> bool:
        topic = await self._topic(params)
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    async def api_reopenForumTopic(self, params: JsonDict) -> bool:
        topic = await self._topic(params)
        if not topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        return True
