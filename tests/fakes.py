"""Test doubles: a controllable clock, a recording sender, a keyword matcher, and a desk world."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import assemble_engine
from bot.core.ports import UnitOfWorkFactory
from bot.core.types import (
    ButtonPress,
    Candidate,
    ChannelAddress,
    Decision,
    DeliveryError,
    FaqEntry,
    InboundMessage,
    MatchResult,
    MatchThresholds,
    OutboundMessage,
    SendReceipt,
    UserRef,
)
from bot.delivery.dispatcher import OutboxDispatcher
from bot.engine.turn import EngineConfig
from bot.faq.importing import import_entries
from bot.faq.index import FaqIndex


class FixedClock:
    """A clock that only moves when told."""

    def __init__(self, start: datetime | None = None):
        self.current = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class Sent:
    """One delivered message as the recording sender saw it."""

    message: OutboundMessage
    message_id: str
    thread_id: str | None

    @property
    def text(self) -> str:
        return self.message.text


class RecordingSender:
    """Delivers into a list; can be told to fail the next sends."""

    def __init__(self, platform: str):
        self.platform = platform
        self.sent: list[Sent] = []
        self.failures: list[DeliveryError | Exception] = []
        self._ids = itertools.count(100)

    async def send(self, message: OutboundMessage) -> SendReceipt:
        if self.failures:
            raise self.failures.pop(0)
        message_id = str(next(self._ids))
        self.sent.append(Sent(message, message_id, message.address.thread_id))
        return SendReceipt(message.address, message_id)

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        if self.failures:
            raise self.failures.pop(0)
        message_id = str(next(self._ids))
        thread = where.in_thread(f"thread-{message_id}")
        self.sent.append(Sent(first, message_id, thread.thread_id))
        return SendReceipt(thread, message_id)

    def to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.message.address.chat_id == chat_id]


class KeywordFinder:
    """A deterministic stand-in for the matcher: scores entries by shared keywords.

    Keeps dialogue tests independent of matcher tuning; the real matcher has its own tests.
    """

    def __init__(self) -> None:
        self.entries: list[FaqEntry] = []
        self.thresholds = MatchThresholds(answer=60, margin=10, clarify=30)

    def rebuild(self, entries: Sequence[FaqEntry], thresholds: MatchThresholds | None = None) -> None:
        self.entries = list(entries)

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        words = set(text.lower().split())
        scored = []
        for entry in self.entries:
            keys = set(entry.tags)
            if keys:
                scored.append(Candidate(entry.id, 100.0 * len(words & keys) / len(keys)))
        scored.sort(key=lambda c: -c.score)
        top = [c for c in scored if c.score > 0][:5]
        t = self.thresholds
        if not top or top[0].score < t.clarify:
            decision = Decision.ESCALATE
        elif top[0].score >= t.answer and (len(top) < 2 or top[0].score - top[1].score >= t.margin):
            decision = Decision.ANSWER
        else:
            decision = Decision.CLARIFY
        return MatchResult(text, text.lower(), lang or "id", decision, tuple(top))


def entry(
    entry_id: str, category: str, tags: str, en: str, id_: str, security: bool = False, **kw: object
) -> FaqEntry:
    """A small bilingual FAQ entry whose tags drive :class:`KeywordFinder`."""
    return FaqEntry(
        id=entry_id,
        category=category,
        questions={"en": (f"{entry_id} question",), "id": (f"pertanyaan {entry_id}",)},
        answer={"en": en, "id": id_},
        tags=tuple(tags.split()),
        security=security,
        **kw,  # type: ignore[arg-type]
    )


SAMPLE_FAQ = [
    entry(
        "email-password",
        "email",
        "lupa password email forgot",
        "1. Open the password page.\n2. Reset it.",
        "1. Buka halaman password.\n2. Atur ulang.",
    ),
    entry(
        "wifi-connect",
        "network",
        "wifi konek connect",
        "1. Turn Wi-Fi off and on.",
        "1. Matikan lalu nyalakan Wi-Fi.",
    ),
    entry(
        "vpn-setup",
        "network",
        "vpn install connect",
        "1. Install the VPN client.",
        "1. Pasang klien VPN.",
        triage={"en": ("Which VPN error code do you see?",), "id": ("Kode error VPN apa yang muncul?",)},
    ),
    entry("printer-offline", "printing", "printer offline", "1. Check the cable.", "1. Periksa kabel."),
    entry("phishing-report", "security", "phishing", "1. Do not click.", "1. Jangan klik.", security=True),
]


@dataclass
class DeskWorld:
    """An engine with a console desk, a recording sender and a fixed clock, on a real database."""

    uow_factory: UnitOfWorkFactory
    url: str = ""
    clock: FixedClock = field(default_factory=FixedClock)
    sender: RecordingSender = field(default_factory=lambda: RecordingSender("console"))
    specialists: frozenset[str] = frozenset({"console:desk:sari"})
    language: str = "id"

    def __post_init__(self) -> None:
        with self.uow_factory() as uow:
            import_entries(uow, SAMPLE_FAQ, author="test")
            uow.commit()
        self.finder = KeywordFinder()
        self.faq = FaqIndex(self.uow_factory, self.finder, refresh_seconds=0)
        self.config = EngineConfig(
            desk=ChannelAddress("console", "desk"),
            default_language=self.language,
            specialists=self.specialists,
            trust_console_desk=False,
        )
        self.engine = assemble_engine(self.uow_factory, self.faq, self.clock, self.config)
        self.dispatcher = OutboxDispatcher(
            self.uow_factory, {"console": self.sender}, self.clock, self.engine
        )

    # ------------------------------------------------------------------------------ driving
    def user(self, name: str = "budi") -> UserRef:
        return UserRef("console", name, name.title())

    async def user_says(self, text: str, name: str = "budi", event_id: str | None = None) -> list[Sent]:
        """The user types ``text``; returns what the user received."""
        command = None
        body = text
        if text.startswith("/"):
            command, _, body = text[1:].partition(" ")
        before = len(self.sender.sent)
        await self.engine.handle(
            InboundMessage(
                ChannelAddress("console", f"user-{name}"),
                self.user(name),
                body,
                message_id=uuid.uuid4().hex[:8],
                command=command,
                event_id=event_id or uuid.uuid4().hex,
            )
        )
        await self.deliver()
        return [s for s in self.sender.sent[before:] if s.message.address.chat_id == f"user-{name}"]

    async def user_presses(self, label: str, name: str = "budi") -> list[Sent]:
        """The user presses the button labelled ``label`` on the latest message that has it."""
        for sent in reversed(self.sender.to(f"user-{name}")):
            for button in sent.message.buttons:
                if button.label == label:
                    before = len(self.sender.sent)
                    await self.engine.handle(
                        ButtonPress(
                            sent.message.address,
                            self.user(name),
                            button.action,
                            button.value,
                            sent.message_id,
                            uuid.uuid4().hex,
                        )
                    )
                    await self.deliver()
                    return [
                        s for s in self.sender.sent[before:] if s.message.address.chat_id == f"user-{name}"
                    ]
        raise AssertionError(f"no button {label!r} shown to {name}")

    async def desk_says(self, text: str, who: str = "sari", thread_id: str | None = None) -> list[Sent]:
        """A desk member types ``text`` (in ``thread_id`` if given); returns all deliveries."""
        command = None
        body = text
        if text.startswith("/"):
            command, _, body = text[1:].partition(" ")
        before = len(self.sender.sent)
        await self.engine.handle(
            InboundMessage(
                ChannelAddress("console", "desk", thread_id),
                UserRef("console", f"desk:{who}", who.title()),
                body,
                message_id=uuid.uuid4().hex[:8],
                is_direct=False,
                command=command,
                event_id=uuid.uuid4().hex,
            )
        )
        await self.deliver()
        return self.sender.sent[before:]

    async def desk_presses(self, action: str, value: str, who: str = "sari") -> list[Sent]:
        before = len(self.sender.sent)
        await self.engine.handle(
            ButtonPress(
                ChannelAddress("console", "desk"),
                UserRef("console", f"desk:{who}", who.title()),
                action,
                value,
                "",
                uuid.uuid4().hex,
            )
        )
        await self.deliver()
        return self.sender.sent[before:]

    async def deliver(self) -> None:
        """Run the dispatcher until nothing more is due now."""
        for _ in range(10):
            if not await self.dispatcher.run_once():
                break

    def desk_messages(self) -> list[Sent]:
        return self.sender.to("desk")

    def ticket(self, ticket_id: int):  # type: ignore[no-untyped-def]
        with self.uow_factory() as uow:
            return uow.tickets.get(ticket_id)

    def events(self, ticket_id: int) -> list[str]:
        with self.uow_factory() as uow:
            return [e.kind for e in uow.tickets.events(ticket_id)]
