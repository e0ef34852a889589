"""Small immutable value types that cross the adapter/engine boundary.

Identifiers are opaque strings: only the adapter that produced them interprets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    """Chat platforms the helpdesk speaks on."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    """Where a message is or goes.

    Telegram: chat id and forum-topic id (or, in a plain group, the card message id that
    replies hang under); Slack: channel id and ``thread_ts``; console: session and ticket thread.
    """

    platform: str
    chat_id: str
    thread_id: str | None = None

    def without_thread(self) -> ChannelAddress:
        """The same chat, outside any thread."""
        return ChannelAddress(self.platform, self.chat_id, None)

    def in_thread(self, thread_id: str | None) -> ChannelAddress:
        """The same chat, inside ``thread_id``."""
        return ChannelAddress(self.platform, self.chat_id, thread_id)


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person on a platform."""

    platform: str
    user_id: str
    display_name: str = ""

    @property
    def key(self) -> str:
        """``platform:user_id``, the form used in settings (HELPDESK_ADMINS, ...)."""
        return f"{self.platform}:{self.user_id}"

    @property
    def label(self) -> str:
        """A name to show people."""
        return self.display_name or self.user_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a user sent (photo, document); ``file_id`` is the platform's opaque reference.

    ``platform`` is where ``file_id`` is valid; an adapter that gets a file from another platform
    fetches its bytes through that platform's :class:`bot.core.ports.MediaSource` when it can.
    """

    kind: str
    file_id: str
    name: str = ""
    platform: str = ""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message that arrived from a platform.

    ``event_id`` is the platform's delivery id (Telegram ``update_id``, Slack ``event_id``); a
    second event with the same id is a redelivery and is dropped. ``command`` is the command word
    without the slash (``"start"``), with ``text`` holding the arguments.
    """

    address: ChannelAddress
    sender: UserRef
    text: str
    message_id: str = ""
    is_direct: bool = True
    reply_to_id: str | None = None
    command: str | None = None
    event_id: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A press on a button the helpdesk sent earlier (``message_id`` is the message holding it)."""

    address: ChannelAddress
    sender: UserRef
    action: str
    value: str = ""
    message_id: str = ""
    event_id: str | None = None


Event = InboundMessage | ButtonPress


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered with a message; ``action:value`` fits Telegram's 64-byte callback data."""

    label: str
    action: str
    value: str = ""

    @property
    def callback_data(self) -> str:
        """The compact form adapters put on the wire."""
        return f"{self.action}:{self.value}"

    @staticmethod
    def parse_callback(data: str) -> tuple[str, str]:
        """Split ``action:value`` back into its parts."""
        action, _, value = data.partition(":")
        return action, value


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message the helpdesk decided to send.

    Text is plain: each adapter escapes and formats it for its platform.

    - ``edit_message_id``: replace that earlier message instead of sending a new one (e.g. a
      pressed keyboard replaced by the chosen answer, a ticket card updated).
    - ``thread_title``: open a new thread (forum topic, card thread) with this message as its
      first post; the receipt carries the new thread id.
    - ``attachments``: files to pass on (relayed photos and documents).
    - ``image``: PNG bytes to post as a picture (report charts).
    - ``reaction``: mark the message ``reply_to_id`` with this reaction (e.g. "delivered") where the
      platform has reactions; ``text`` is the fallback where it has not.
    - ``close_thread``: close the thread after posting (a resolved ticket's forum topic).
    - ``reopen_thread``: reopen the thread before posting, if the platform closed it (a reopened
      ticket's forum topic, where only admins may write while it is closed).
    - ``ephemeral_user_id``: show the message only to that user where the platform can (Slack
      ephemeral messages); elsewhere it is an ordinary message.
    - ``delivery_key``: set by the dispatcher, the same for every attempt at one outbox item; an
      adapter whose platform can carry it with the message uses it to find a message already sent
      when a worker died before recording it.
    - ``outside_reply_window``: set by the dispatcher for a platform that allows free-form messages
      only within a window after the user's last message (WhatsApp: 24 hours) when that window is
      closed; the adapter then sends its pre-approved template instead.
    """

    address: ChannelAddress
    text: str
    buttons: tuple[Button, ...] = ()
    reply_to_id: str | None = None
    edit_message_id: str | None = None
    thread_title: str | None = None
    attachments: tuple[Attachment, ...] = ()
    image: bytes | None = field(default=None, repr=False)
    reaction: str | None = None
    close_thread: bool = False
    ephemeral_user_id: str | None = None
    reopen_thread: bool = False
    delivery_key: str | None = None
    outside_reply_window: bool = False


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """An adapter's proof of delivery, with the thread id when a thread was opened.

    ``template`` names the pre-approved template sent in place of the text when the platform's
    reply window was closed (the desk is told the reply did not go out as written).
    """

    address: ChannelAddress
    message_id: str
    template: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """What a platform reported later about a message it accepted (WhatsApp status webhooks).

    ``status`` is ``sent``, ``delivered``, ``read`` or ``failed`` (``reason`` then says why);
    ``message_id`` is the id the send's receipt carried; ``event_id`` dedupes redeliveries.
    """

    address: ChannelAddress
    message_id: str
    status: str
    reason: str = ""
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file's bytes fetched from the platform that holds it."""

    data: bytes = field(repr=False)
    name: str
    mime_type: str = "application/octet-stream"


class DeliveryError(Exception):
    """A send that failed. Adapters raise it with what the platform said.

    ``retry_after`` (seconds) is set when the platform asked to wait (HTTP 429, Slack
    ``ratelimited``); ``permanent`` when retrying cannot help (blocked by the user, bad request).
    """

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """One ticket as a user may see it (App Home, status lists); ``status`` is a TicketStatus value."""

    number: str
    subject: str
    status: str
    owner_name: str | None = None


@dataclass(frozen=True, slots=True)
class UserTickets:
    """A user's open tickets and the language to show them in (the engine's query answer)."""

    language: str
    tickets: tuple[TicketSummary, ...] = ()


class Decision(StrEnum):
    """What the matcher advises for one question."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One FAQ entry the matcher considered, with its score (0-100) and component scores."""

    entry_id: str
    score: float
    components: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The matcher's verdict for one question: decision plus ranked candidates, best first."""

    text: str
    normalized: str
    lang: str
    decision: Decision
    candidates: tuple[Candidate, ...] = ()

    @property
    def best(self) -> Candidate | None:
        """The top candidate, if any."""
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    """Explicit decision thresholds (scores are 0-100).

    - ``answer``: the best score must reach this to answer at once ...
    - ``margin``: ... and lead the runner-up by at least this much.
    - ``clarify``: below ``answer`` (or within the margin) but at or above this, offer choices.
    - below ``clarify``: escalate.

    ``weights`` (optional, set by calibration): when given, ``answer`` compares a 0-100
    *confidence* instead of the best score: ``100 * sigmoid(bias + sum(weight * feature))`` over
    named features of the ranking (``score``, ``margin``, ``odds``, ``fuzzy``; see
    ``knowledge_base.matcher.decision_features``). ``margin`` and ``clarify`` still compare scores.
    ``floor`` (with ``weights`` only): the best score an answer needs, whatever its confidence;
    ``None`` means ``clarify``. With a floor below ``clarify``, a confident question scored between
    the two is answered and an unsure one escalated, so how low an answer may go no longer decides
    where choices stop being offered.
    """

    answer: float = 72.0
    margin: float = 8.0
    clarify: float = 50.0
    weights: dict[str, float] = field(default_factory=dict)
    floor: float | None = None

    @property
    def answer_floor(self) -> float:
        """The best score an answer needs under a confidence rule (``floor``, else ``clarify``)."""
        return self.clarify if self.floor is None else self.floor


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One knowledge-base entry, bilingual. ``questions``/``answer`` map language -> text(s)."""

    id: str
    category: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    tags: tuple[str, ...] = ()
    triage: dict[str, tuple[str, ...]] = field(default_factory=dict)
    security: bool = False
    version: int = 1

    def answer_in(self, lang: str) -> str:
        """The answer in ``lang``, falling back to any language the entry has."""
        if lang in self.answer:
            return self.answer[lang]
        return next(iter(self.answer.values()), "")

    def to_data(self) -> dict[str, Any]:
        """The entry in its YAML/JSON form (``version`` is not part of it)."""
        return {
            "id": self.id,
            "category": self.category,
            "questions": {lang: list(qs) for lang, qs in self.questions.items()},
            "answer": dict(self.answer),
            "tags": list(self.tags),
            "triage": {key: list(qs) for key, qs in self.triage.items()},
            "security": bool(self.security),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any], version: int = 1) -> FaqEntry:
        """The entry stored as ``data`` by :meth:`to_data` (lists come back as tuples)."""
        return cls(
            id=str(data["id"]),
            category=str(data.get("category", "other")),
            questions={lang: tuple(qs) for lang, qs in (data.get("questions") or {}).items()},
            answer=dict(data.get("answer") or {}),
            tags=tuple(data.get("tags") or ()),
            triage={key: tuple(qs) for key, qs in (data.get("triage") or {}).items()},
            security=bool(data.get("security", False)),
            version=version,
        )

    def title_in(self, lang: str) -> str:
        """A short title: the first phrasing in ``lang`` (or any language)."""
        qs = self.questions.get(lang) or next(iter(self.questions.values()), ())
        return qs[0] if qs else self.id


CATEGORIES: tuple[str, ...] = (
    "account",
    "network",
    "email",
    "hardware",
    "software",
    "printing",
    "security",
    "access",
    "other",
)

LANGUAGES: tuple[str, ...] = ("id", "en")
