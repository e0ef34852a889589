"""The conversation engine: one unit of work per platform event.

Every event is deduplicated by its ``event_id``, stored, routed to a registered command or button
handler, to the desk side or to the user side (installed by the composition root: see
:func:`bot.app.assemble_engine`), and the messages it decides are written to the outbox in the
same transaction. The dispatcher delivers them afterwards.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from bot import texts
from bot.core.ports import Clock, DeskDirectory, DuplicateEventError, UnitOfWork, UnitOfWorkFactory
from bot.core.records import (
    OutboxItem,
    Role,
    StoredMessage,
    Ticket,
    UserRecord,
)
from bot.core.types import (
    Button,
    ButtonPress,
    ChannelAddress,
    DeliveryStatus,
    Event,
    InboundMessage,
    OutboundMessage,
    SendReceipt,
    TicketSummary,
    UserRef,
    UserTickets,
)
from bot.engine.cards import card_buttons, card_text
from bot.engine.flood import HELD_FOR_DESK, HELD_KEEP, FloodGuard
from bot.engine.ordering import KeyedLocks, RoleCache, conversation_key
from bot.engine.ticket_lookup import find_ticket
from bot.engine.turn import ButtonHandler, CommandHandler, EngineConfig, EventRoute, TextStateHandler, Turn
from bot.engine.turn_batches import TurnBatches
from bot.engine.turn_threads import ThreadedTurns
from bot.faq.index import FaqIndex
from bot.security.redaction import redact

log = logging.getLogger(__name__)

# The roles looked up for the current turn's event before its transaction (one turn per context:
# turns may run side by side, in worker threads).
_turn_roles: contextvars.ContextVar[Mapping[str, Role]] = contextvars.ContextVar(
    "turn_roles", default=MappingProxyType({})
)


def clean_text(text: str) -> str:
    """``text`` without what no database stores: NUL characters and lone UTF-16 surrogates (a
    platform's JSON may carry both)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def clean_event(event: Event) -> Event:
    """The event with every text field cleaned (see :func:`clean_text`)."""
    sender = replace(event.sender, display_name=clean_text(event.sender.display_name))
    if isinstance(event, InboundMessage):
        return replace(event, text=clean_text(event.text), sender=sender)
    return replace(event, action=clean_text(event.action), value=clean_text(event.value), sender=sender)


@dataclass(frozen=True, slots=True)
class _TurnItem:
    """An event waiting for its turn, with its conversation and the roles looked up for it."""

    event: Event
    key: str
    roles: Mapping[str, Role]


class HelpdeskEngine:
    """Implements ``EventSink``: the brain every adapter feeds."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        faq: FaqIndex,
        clock: Clock,
        config: EngineConfig,
        directories: Mapping[str, DeskDirectory] | None = None,
        wake_dispatcher: Callable[[], None] | None = None,
    ):
        self.uow_factory = uow_factory
        self.faq = faq
        self.clock = clock
        self.config = config
        self.directories = dict(directories or {})
        self.wake_dispatcher = wake_dispatcher
        self._conversations = KeyedLocks()
        # Where turns run: on the loop, one batch at a time (the default, and SQLite's), or in
        # worker threads side by side (a distant PostgreSQL; installed by the composition root).
        self._batches: TurnBatches[_TurnItem] = TurnBatches(self._run_batch)
        self._turn_threads: ThreadedTurns | None = None
        self._home_loop: asyncio.AbstractEventLoop | None = None  # where platform calls are made
        self.role_cache = RoleCache()
        # Extension points for features that live in their own modules (FAQ editing, reports):
        # a command word, a button action or a conversation state routed to a handler.
        self.commands: dict[str, CommandHandler] = {}
        self.buttons: dict[str, ButtonHandler] = {}
        self.text_states: dict[str, TextStateHandler] = {}
        # Minutes until the first response a user can expect for a priority, from now; the SLA
        # module replaces the plain per-priority table with a business-hours aware one.
        self.response_estimator: Callable[[str, datetime], int] = lambda priority, _now: int(
            self.config.first_response_minutes.get(priority, 240)
        )
        # Optional: the due time (now, minutes, language) -> "Monday 11:30" told with that estimate;
        # set by the SLA jobs (bot.jobs.helpdesk_jobs), "" or None for none.
        self.response_due_label: Callable[[datetime, int, str], str] | None = None
        # Flood control (None: unlimited); installed by the composition root from the settings.
        self.flood: FloodGuard | None = None
        # Called after each handled event with (platform, kind, seconds); the composition root
        # points it at the metrics (bot.observability).
        self.on_turn: Callable[[str, str, float], None] | None = None
        # The two sides of the conversation, installed by the composition root.
        self.user_side: EventRoute | None = None
        self.desk_side: EventRoute | None = None

    # ----------------------------------------------------------------------------------- events
    async def handle(self, event: Event) -> None:
        """Process one platform event end to end (dedupe, store, decide, queue replies).

        Events of one conversation run one after another, in arrival order; other conversations
        proceed meanwhile. Nothing is held across network I/O but the conversation's own turn."""
        started = time.perf_counter()
        event = clean_event(event)
        key = conversation_key(event, self.is_desk(event.address))
        async with self._conversations.hold(key):
            # The FAQ reload (which may encode edited phrasings) and the question's embedding run
            # in a worker thread, before the transaction: neither the loop nor the database waits.
            # (When neither has anything to do, as for most events, no thread is asked.)
            if self.faq.refresh_due():
                await asyncio.to_thread(self.faq.refresh)
            question = event.text if isinstance(event, InboundMessage) and not event.command else ""
            if question and not self.faq.prepared(question):
                await asyncio.to_thread(self.faq.prepare, question)
            # Look the sender's role up before the transaction: a desk-membership check may wait
            # on the platform's API, and no database transaction should stay open meanwhile.
            roles = (
                {event.sender.key: await self._lookup_role(event.sender)}
                if self._may_need_role(event)
                else {}
            )
            # The transaction itself never waits on the network (bot.engine.turn_batches and
            # bot.engine.turn_threads say where it runs).
            self._home_loop = asyncio.get_running_loop()
            queued = await self._batches.submit(_TurnItem(event, key, roles))
        if queued and self.wake_dispatcher is not None:
            self.wake_dispatcher()
        if self.on_turn is not None:
            kind = "button" if isinstance(event, ButtonPress) else "message"
            self.on_turn(event.address.platform, kind, time.perf_counter() - started)

    async def _turn(self, event: Event, key: str, roles: Mapping[str, Role]) -> int:
        """The event's unit of work; returns how many messages it queued."""
        with self.uow_factory() as uow:
            uow.lock(key)  # the same conversation in another process waits here
            sent = await self._turn_in(uow, event, roles)
            uow.commit()
            return sent

    @property
    def turn_threads(self) -> ThreadedTurns | None:
        """The worker threads turns run in (None: on the event loop)."""
        return self._turn_threads

    @turn_threads.setter
    def turn_threads(self, threads: ThreadedTurns | None) -> None:
        self._turn_threads = threads
        self._batches.parallel = threads.threads if threads is not None else 1

    async def _run_batch(self, items: list[_TurnItem]) -> list[int | BaseException]:
        """A batch of turns, here or in a worker thread (one batch per thread at a time)."""
        threads = self._turn_threads
        if threads is None:
            return await self._turn_batch(items)
        return await threads.run(lambda: self._turn_batch(items))

    async def _turn_batch(self, items: list[_TurnItem]) -> list[int | BaseException]:
        """The turns of ``items`` (different conversations) in one unit of work; if anything in
        it fails, nothing of it is committed and each turn runs again in its own."""
        if len(items) > 1:
            try:
                with self.uow_factory() as uow:
                    uow.lock_all([item.key for item in items])
                    together: list[int | BaseException] = [
                        await self._turn_in(uow, item.event, item.roles) for item in items
                    ]
                    uow.commit()
                return together
            except Exception:
                log.warning("a batch of %d turns failed; running them one by one", len(items), exc_info=True)
        results: list[int | BaseException] = []
        for item in items:
            try:
                results.append(await self._turn(item.event, item.key, item.roles))
            except Exception as error:
                results.append(error)
        return results

    async def _turn_in(self, uow: UnitOfWork, event: Event, roles: Mapping[str, Role]) -> int:
        """The event's turn inside ``uow`` (locked for its conversation; not committed here)."""
        _turn_roles.set(roles)
        turn = Turn(uow, self.clock.now())
        if not self._record_inbound(turn, event):
            return 0
        verdict = self.flood.check(event.sender.key, desk=self.is_desk(event.address)) if self.flood else None
        if verdict is not None and not verdict.allowed:
            self._hold(turn, event, verdict.notify)
        elif isinstance(event, InboundMessage) and (event.command or "").lower() in self.commands:
            await self.commands[(event.command or "").lower()](turn, event)
        elif isinstance(event, ButtonPress) and event.action in self.buttons:
            await self.buttons[event.action](turn, event)
        elif self.is_desk(event.address):
            await self._side(self.desk_side).handle(turn, event)
        else:
            await self._side(self.user_side).handle(turn, event)
        turn.finish()
        return turn.sent

    @staticmethod
    def _side(side: EventRoute | None) -> EventRoute:
        if side is None:
            raise RuntimeError("the engine has no user or desk side installed (see bot.app.assemble_engine)")
        return side

    async def handle_as_user(self, turn: Turn, event: Event) -> None:
        """Treat ``event`` as an ordinary user message (a feature that let it through)."""
        await self._side(self.user_side).handle(turn, event)

    def _record_inbound(self, turn: Turn, event: Event) -> bool:
        """Store the event; False when it is a redelivery of one already stored."""
        platform = event.address.platform
        if isinstance(event, InboundMessage):
            text = redact(event.text).text
            message_id: str | None = event.message_id or None
        else:
            text = f"[button {event.action}:{event.value}]"
            message_id = None
        try:
            turn.uow.messages.add(
                StoredMessage(
                    direction="in",
                    platform=platform,
                    chat_id=event.address.chat_id,
                    thread_id=event.address.thread_id,
                    user_id=event.sender.user_id,
                    text=text,
                    platform_message_id=message_id,
                    event_id=event.event_id,
                    at=turn.now,
                )
            )
        except DuplicateEventError:
            log.info("dropping redelivered event %s:%s", platform, event.event_id)
            return False
        return True

    def _hold(self, turn: Turn, event: Event, notify: bool) -> None:
        """An event over the sender's rate: stored already, added to its ticket's history, not
        answered; the sender hears once in a while that they are going too fast."""
        desk = self.is_desk(event.address)
        text = redact(event.text).text if isinstance(event, InboundMessage) else ""
        ticket: Ticket | None = None
        if isinstance(event, InboundMessage):
            if desk:
                ticket, _ = find_ticket(turn, event, text)
            else:
                conv = turn.uow.conversations.get(
                    event.address.platform, event.address.chat_id, event.sender.user_id
                )
                if conv is not None and conv.ticket_id is not None:
                    ticket = turn.uow.tickets.get(conv.ticket_id)
        if ticket is not None and ticket.id is not None:
            turn.event(ticket, "held", event.sender.key, text=text[:2000], side="desk" if desk else "user")
            if not desk and ticket.is_open and text.strip():
                # Passed on with the user's next message that is not held (see relay_to_desk).
                held = [*ticket.context.get(HELD_FOR_DESK, []), text[:500]][-HELD_KEEP:]
                ticket.context = {**ticket.context, HELD_FOR_DESK: held}
        if not notify:
            return
        if desk:
            notice = self.t(self.desk_lang, "desk_flood_notice", name=event.sender.label)
        else:
            record = turn.uow.users.get(event.sender.platform, event.sender.user_id)
            lang = (record.language if record is not None else None) or self.config.default_language
            notice = self.t(lang, "flood_notice")
        turn.send(OutboundMessage(event.address, notice), ticket_id=ticket.id if ticket else None)

    def is_desk(self, address: ChannelAddress) -> bool:
        """Whether ``address`` is the specialists' desk channel."""
        desk = self.config.desk
        return address.platform == desk.platform and address.chat_id == desk.chat_id

    # ------------------------------------------------------------------------------------ roles
    def _may_need_role(self, event: Event) -> bool:
        """Whether handling ``event`` may ask for its sender's role: everything in the desk,
        commands, and the buttons features register (FAQ admin). A user's question or answer
        button needs none, so a thousand new users do not cost a thousand desk-membership
        lookups. (A role asked for anyway is looked up then, see :meth:`role_of`.)"""
        if self.is_desk(event.address):
            return True
        if isinstance(event, InboundMessage):
            return bool(event.command)
        return event.action in self.buttons

    async def role_of(self, user: UserRef) -> Role:
        """The role ``user`` holds; checked here for every privileged action (looked up before
        the event's transaction where :meth:`_may_need_role` says so, else when asked)."""
        known = _turn_roles.get().get(user.key)
        if known is not None:
            return known
        home = self._home_loop
        if home is not None and home is not asyncio.get_running_loop():
            # A turn in a worker thread: the platform's client lives on the main loop.
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._lookup_role(user), home))
        return await self._lookup_role(user)

    async def _lookup_role(self, user: UserRef) -> Role:
        if user.key in self.config.admins:
            return Role.ADMIN
        if user.key in self.config.specialists:
            return Role.SPECIALIST
        if user.platform == "console" and self.config.trust_console_desk and user.user_id.startswith("desk:"):
            return Role.SPECIALIST
        directory = self.directories.get(user.platform)
        if directory is None:
            return Role.USER
        cached = self.role_cache.get(user.key)
        if cached is not None:
            return cached
        try:
            role = Role.SPECIALIST if await directory.is_desk_member(user) else Role.USER
        except Exception:  # a membership lookup that fails must not grant anything (nor be kept)
            log.warning("desk membership lookup failed for %s", user.key, exc_info=True)
            return Role.USER
        self.role_cache.put(user.key, role)
        return role

    async def is_specialist(self, user: UserRef) -> bool:
        """Specialists and admins may act on tickets."""
        return await self.role_of(user) in (Role.SPECIALIST, Role.ADMIN)

    # ------------------------------------------------------------------------------------ users
    def user_record(self, turn: Turn, user: UserRef) -> UserRecord:
        """The stored record for ``user``, created on first contact."""
        record = turn.uow.users.get(user.platform, user.user_id)
        if record is None:
            record = turn.uow.users.add(
                UserRecord(user.platform, user.user_id, user.display_name, None, False, Role.USER, turn.now)
            )
        elif user.display_name and record.display_name != user.display_name:
            record.display_name = user.display_name
        return record

    def t(self, lang: str, key: str, **fields: Any) -> str:
        """A user-facing text in ``lang``."""
        return texts.text(lang, key, **fields)

    def open_tickets_for(self, user: UserRef) -> UserTickets:
        """Query port for adapters (e.g. Slack's App Home): ``user``'s open tickets and language."""
        with self.uow_factory() as uow:
            record = uow.users.get(user.platform, user.user_id)
            lang = (record.language if record is not None else None) or self.config.default_language
            tickets = uow.tickets.open_for_requester(user.platform, user.user_id)
            return UserTickets(
                lang, tuple(TicketSummary(t.number, t.subject, str(t.status), t.owner_name) for t in tickets)
            )

    @property
    def desk_lang(self) -> str:
        """The language the desk channel is written in."""
        return self.config.default_language

    def user_address(self, ticket: Ticket) -> ChannelAddress:
        """Where the requester of ``ticket`` talks to the bot."""
        return ChannelAddress(ticket.requester_platform, ticket.user_chat_id)

    def desk_thread(self, ticket: Ticket) -> ChannelAddress:
        """The ticket's thread in the desk (thread id filled in at delivery if not known yet)."""
        if ticket.desk_platform and ticket.desk_chat_id:
            return ChannelAddress(ticket.desk_platform, ticket.desk_chat_id, ticket.desk_thread_id)
        return self.config.desk

    # ------------------------------------------------------------------------- ticket threads
    def update_card(self, turn: Turn, ticket: Ticket) -> None:
        """Re-render the ticket's card so the desk shows the truth at a glance."""
        if not ticket.desk_card_message_id or not ticket.desk_platform or not ticket.desk_chat_id:
            return
        lang = self.desk_lang
        turn.send(
            OutboundMessage(
                self.desk_thread(ticket),
                card_text(ticket, lang),
                card_buttons(ticket, lang),
                edit_message_id=ticket.desk_card_message_id,
            ),
            purpose="card_update",
            ticket_id=ticket.id,
        )

    def to_thread(self, turn: Turn, ticket: Ticket, text: str, **kw: Any) -> None:
        """Post ``text`` in the ticket's desk thread."""
        turn.send(OutboundMessage(self.desk_thread(ticket), text, **kw), purpose="desk", ticket_id=ticket.id)

    def to_user(
        self, turn: Turn, ticket: Ticket, key: str, buttons: tuple[Button, ...] = (), **fields: Any
    ) -> None:
        """Tell the ticket's requester the text ``key``, in their language."""
        turn.send(
            OutboundMessage(self.user_address(ticket), self.t(ticket.language, key, **fields), buttons),
            ticket_id=ticket.id,
        )

    # -------------------------------------------------------------------------------- delivery
    def after_delivery(self, uow: UnitOfWork, item: OutboxItem, receipt: SendReceipt, now: datetime) -> None:
        """Consequences of a delivered outbox item (called by the dispatcher in its transaction)."""
        ticket = uow.tickets.get(item.ticket_id) if item.ticket_id is not None else None
        if ticket is None:
            return
        if item.purpose == "card" and not ticket.desk_card_message_id:
            ticket.desk_platform = receipt.address.platform
            ticket.desk_chat_id = receipt.address.chat_id
            ticket.desk_thread_id = receipt.address.thread_id
            ticket.desk_card_message_id = receipt.message_id
        elif item.purpose == "relay":
            meta = item.payload.get("meta", {})
            turn = Turn(uow, now)
            if receipt.template:
                turn.event(ticket, "relay_as_template", template=receipt.template)
                notice = OutboundMessage(
                    address=self.desk_thread(ticket),
                    text=self.t(
                        self.desk_lang,
                        "desk_relay_as_template",
                        number=ticket.number,
                        platform=_platform_name(receipt.address.platform),
                        template=receipt.template,
                    ),
                    reply_to_id=meta.get("desk_message_id"),
                )
            else:
                notice = OutboundMessage(
                    address=self.desk_thread(ticket),
                    text=self.t(self.desk_lang, "desk_delivered", number=ticket.number),
                    reply_to_id=meta.get("desk_message_id"),
                    reaction="white_check_mark",
                )
            turn.send(notice, purpose="desk", ticket_id=ticket.id)
        elif receipt.template:
            Turn(uow, now).event(ticket, "sent_as_template", template=receipt.template)

    def after_failure(self, uow: UnitOfWork, item: OutboxItem, reason: str, now: datetime) -> None:
        """Consequences of an item that finally failed: a failed relay is shown to the desk."""
        ticket = uow.tickets.get(item.ticket_id) if item.ticket_id is not None else None
        if ticket is None or item.purpose != "relay":
            return
        turn = Turn(uow, now)
        turn.event(ticket, "relay_failed", reason=reason)
        meta = item.payload.get("meta", {})
        turn.send(
            OutboundMessage(
                address=self.desk_thread(ticket),
                text=self.t(self.desk_lang, "desk_relay_failed", number=ticket.number, reason=reason),
                reply_to_id=meta.get("desk_message_id"),
            ),
            purpose="desk",
            ticket_id=ticket.id,
        )

    async def delivery_status(self, status: DeliveryStatus) -> None:
        """What the platform reported later about a delivered message (implements
        ``DeliveryStatusSink``): a relayed reply that was read is marked in the desk; a message to
        a ticket's requester that failed after all is shown to the desk. Each report counts once,
        whatever the platform redelivers and whichever worker gets it."""
        key = f"{status.address.platform}:{status.message_id}:{status.status}"
        if await asyncio.to_thread(self._record_status, status, key) and self.wake_dispatcher is not None:
            self.wake_dispatcher()

    def _record_status(self, status: DeliveryStatus, key: str) -> bool:
        """Record ``status`` in one transaction; True when it queued a desk notice."""
        if status.status not in ("read", "failed"):
            return False  # "sent" and "delivered" add nothing to the delivery notice already shown
        with self.uow_factory() as uow:
            now = self.clock.now()
            item = uow.outbox.by_receipt(status.address.platform, status.message_id)
            if item is None or item.ticket_id is None:
                return False
            if status.status == "read" and item.purpose != "relay":
                return False
            ticket = uow.tickets.get(item.ticket_id)
            if ticket is None or not uow.jobs.claim("delivery-status", key, now):
                return False  # reported before
            turn = Turn(uow, now)
            meta = item.payload.get("meta", {})
            if status.status == "read":
                turn.event(ticket, "relay_read")
                notice = OutboundMessage(
                    address=self.desk_thread(ticket),
                    text=self.t(self.desk_lang, "desk_relay_read", number=ticket.number),
                    reply_to_id=meta.get("desk_message_id"),
                    reaction="eyes",
                )
            else:
                relay = item.purpose == "relay"
                reason = status.reason or "?"
                turn.event(ticket, "relay_failed" if relay else "delivery_failed", reason=reason)
                notice = OutboundMessage(
                    address=self.desk_thread(ticket),
                    text=self.t(
                        self.desk_lang,
                        "desk_relay_failed" if relay else "desk_user_message_failed",
                        number=ticket.number,
                        reason=reason,
                    ),
                    reply_to_id=meta.get("desk_message_id"),
                )
            turn.send(notice, purpose="desk", ticket_id=ticket.id)
            uow.jobs.finish("delivery-status", key, now)
            uow.commit()
            return True

    def after_outage(
        self, uow: UnitOfWork, platform: str, since: datetime, waiting: int, reason: str, now: datetime
    ) -> None:
        """Deliveries to ``platform`` have been failing since ``since``: tell the desk, unless the
        desk is on that platform (the notice would wait behind the outage; the recovery notice
        then says how long it lasted)."""
        if self.config.desk.platform == platform:
            return
        Turn(uow, now).send(
            OutboundMessage(
                address=self.config.desk,
                text=self.t(
                    self.desk_lang,
                    "desk_delivery_outage",
                    platform=_platform_name(platform),
                    minutes=_minutes(now - since),
                    waiting=waiting,
                    reason=reason,
                ),
            ),
            purpose="plain",
        )

    def after_recovery(
        self, uow: UnitOfWork, platform: str, since: datetime, waiting: int, now: datetime
    ) -> None:
        """Deliveries to ``platform`` work again after the outage the desk was told of."""
        Turn(uow, now).send(
            OutboundMessage(
                address=self.config.desk,
                text=self.t(
                    self.desk_lang,
                    "desk_delivery_recovered",
                    platform=_platform_name(platform),
                    minutes=_minutes(now - since),
                    waiting=waiting,
                ),
            ),
            purpose="plain",
        )


def _platform_name(platform: str) -> str:
    return {"telegram": "Telegram", "slack": "Slack", "whatsapp": "WhatsApp"}.get(platform, platform)


def _minutes(span: timedelta) -> int:
    return max(1, round(span.total_seconds() / 60))


__all__ = ["EngineConfig", "HelpdeskEngine", "Turn"]
