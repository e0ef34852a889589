"""The user's side of the conversation: FAQ answers, clarification, triage, relay, rating."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.conversation.triage import many_affected, plan_questions
from bot.core.language import detect_language
from bot.core.records import Conversation, ConversationState, Priority, Ticket, TicketStatus, UserRecord
from bot.core.types import (
    Button,
    ButtonPress,
    ChannelAddress,
    Decision,
    Event,
    FaqEntry,
    InboundMessage,
    OutboundMessage,
)
from bot.engine.cards import card_buttons, card_text, rating_buttons
from bot.security.incidents import incident_kind
from bot.security.redaction import redact_secrets

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

MAX_QUESTION_CHARS = 4000
TRANSCRIPT_KEEP = 20


class UserSide:
    """Decides what to say to a user, given their conversation state."""

    def __init__(self, engine: HelpdeskEngine):
        self.engine = engine

    # ---------------------------------------------------------------------------- entry point
    async def handle(self, turn: Turn, event: Event) -> None:
        """Route one user event by kind and conversation state."""
        user = self.engine.user_record(turn, event.sender)
        conv = turn.uow.conversations.get(event.address.platform, event.address.chat_id, event.sender.user_id)
        if conv is None:
            conv = turn.uow.conversations.add(
                Conversation(
                    event.address.platform, event.address.chat_id, event.sender.user_id, updated_at=turn.now
                )
            )
        first_contact = user.language is None
        asking = conv.state in (
            ConversationState.IDLE,
            ConversationState.AWAITING_FEEDBACK,
            ConversationState.CLARIFYING,
            ConversationState.AWAITING_RATING,
        )
        if isinstance(event, InboundMessage) and not user.language_fixed and asking and not event.command:
            # Only a new question can change the language: triage answers and relayed messages
            # often quote English error texts in an Indonesian conversation.
            user.language = detect_language(event.text, user.language or self.engine.config.default_language)
        if user.language is None:
            user.language = self.engine.config.default_language
        ctx = _Ctx(self.engine, turn, event, user, conv)
        conv.updated_at = turn.now
        handler = self.engine.text_states.get(conv.state)
        if handler is not None and isinstance(event, InboundMessage) and not event.command:
            await handler(turn, event, conv)
        elif isinstance(event, ButtonPress):
            await ctx.on_button(event)
        elif event.command:
            await ctx.on_command(event.command.lower(), event.text.strip(), first_contact)
        else:
            await ctx.on_text(event, first_contact)


class _Ctx:
    """One user event being handled (keeps the call sites short)."""

    def __init__(
        self, engine: HelpdeskEngine, turn: Turn, event: Event, user: UserRecord, conv: Conversation
    ):
        self.engine = engine
        self.turn = turn
        self.event = event
        self.user = user
        self.conv = conv
        self.lang: str = user.language or engine.config.default_language
        self.address = event.address.without_thread() if event.address.platform == "slack" else event.address
        if isinstance(event, InboundMessage) and not event.is_direct:
            self.address = event.address  # a mention in a channel is answered in its thread

    # ------------------------------------------------------------------------------- helpers
    def t(self, key: str, **fields: Any) -> str:
        # Commands are "/ticket" on most platforms but "/helpdesk ticket" on Slack.
        prefix = "/helpdesk " if self.event.address.platform == "slack" else "/"
        return self.engine.t(self.lang, key, c=prefix, **fields)

    def say(self, text: str, buttons: tuple[Button, ...] = (), **kw: Any) -> None:
        self.turn.send(OutboundMessage(self.address, text, buttons), **kw)

    def replace_pressed(self, message_id: str, text: str) -> None:
        """Replace a message whose buttons were pressed, so they cannot be pressed twice."""
        if message_id:
            self.turn.send(OutboundMessage(self.address, text, edit_message_id=message_id))

    def remember(self, who: str, text: str) -> None:
        transcript = list(self.conv.context.get("transcript", []))
        transcript.append([who, text[:300]])
        self.conv.context = {**self.conv.context, "transcript": transcript[-TRANSCRIPT_KEEP:]}

    def set_state(self, state: ConversationState, **context: Any) -> None:
        self.conv.state = state
        keep = {"transcript": self.conv.context.get("transcript", [])}
        self.conv.context = {**keep, **context}

    def reset(self) -> None:
        self.conv.state = ConversationState.IDLE
        self.conv.context = {}
        self.conv.ticket_id = None

    def current_ticket(self) -> Ticket | None:
        if self.conv.ticket_id is None:
            return None
        return self.turn.uow.tickets.get(self.conv.ticket_id)

    def own_ticket(self, value: str) -> Ticket | None:
        """The ticket a button refers to, if it belongs to this user."""
        ticket_id = value.split(":", 1)[0]
        if not ticket_id.isdigit():
            return None
        ticket = self.turn.uow.tickets.get(int(ticket_id))
        sender = self.event.sender
        if (
            ticket is None
            or ticket.requester_platform != sender.platform
            or ticket.requester_id != sender.user_id
        ):
            return None
        return ticket

    # ------------------------------------------------------------------------------ commands
    async def on_command(self, command: str, args: str, first_contact: bool) -> None:
        if command == "start":
            self.say(self.t("greeting", name=self.event.sender.label))
        elif command == "help":
            self.say(self.t("help"))
        elif command == "lang":
            self.set_language(args)
        elif command == "status":
            self.show_status()
        elif command == "cancel":
            self.cancel()
        elif command == "ticket":
            await self.start_escalation(args or self.conv.context.get("question", ""), reason="asked")
        else:
            self.say(self.t("unknown_command", command=command))

    def set_language(self, args: str) -> None:
        choice = args.strip().lower()[:2]
        if choice not in ("id", "en"):
            self.say(self.t("lang_usage"))
            return
        self.user.language = choice
        self.user.language_fixed = True
        self.lang = choice
        self.say(self.t("lang_set"))

    def show_status(self) -> None:
        tickets = self.turn.uow.tickets.open_for_requester(
            self.event.sender.platform, self.event.sender.user_id
        )
        if not tickets:
            self.say(self.t("status_none"))
            return
        lines = [self.t("status_header")]
        for ticket in tickets:
            owner = ticket.owner_name or self.t("status_waiting_owner")
            lines.append(
                self.t(
                    "status_line",
                    number=ticket.number,
                    subject=ticket.subject[:60],
                    status=self.t(f"status_{ticket.status}"),
                    owner=owner,
                )
            )
        self.say("\n".join(lines))

    def cancel(self) -> None:
        state = self.conv.state
        ticket = self.current_ticket()
        if state == ConversationState.WITH_SPECIALIST and ticket is not None and ticket.is_open:
            ticket.status = TicketStatus.CLOSED
            ticket.closed_at = self.turn.now
            ticket.resolution = "cancelled by requester"
            self.turn.event(ticket, "cancelled", self.event.sender.key)
            self.turn.send(
                OutboundMessage(
                    self.engine.desk_thread(ticket),
                    self.engine.t(self.engine.desk_lang, "desk_cancelled", number=ticket.number),
                ),
                purpose="desk",
                ticket_id=ticket.id,
            )
            self.engine.update_card(self.turn, ticket)
            self.reset()
            self.say(self.t("cancelled_ticket", number=ticket.number))
        elif state in (ConversationState.IDLE,):
            self.say(self.t("nothing_to_cancel"))
        else:
            self.reset()
            self.say(self.t("cancelled"))

    # ---------------------------------------------------------------------------------- text
    async def on_text(self, event: InboundMessage, first_contact: bool) -> None:
        text, had_secret = redact_secrets(event.text.strip())
        if had_secret:
            self.say(self.t("secret_removed"))
        if not text and not event.attachments:
            self.say(self.t("empty_message"))
            return
        if any(a.kind == "unsupported" for a in event.attachments):
            self.say(self.t("media_not_supported"))
            return
        state = self.conv.state
        if state == ConversationState.WITH_SPECIALIST:
            ticket = self.current_ticket()
            if ticket is not None and ticket.is_open:
                self.relay_to_desk(ticket, text, event)
                return
            if ticket is not None and _reopens_on_reply(ticket, self.turn.now):
                self.reopen_by_reply(ticket, text, event)  # closed for want of a reply: this is it
                return
            self.reset()
        if event.attachments:
            self.say(self.t("attachment_not_now"))
            if not text:
                return
        if len(text) > MAX_QUESTION_CHARS:
            self.say(self.t("too_long", limit=MAX_QUESTION_CHARS))
            return
        if state == ConversationState.TRIAGE:
            await self.on_triage_answer(text)
            return
        if state == ConversationState.AWAITING_RATING and text.strip() in {"1", "2", "3", "4", "5"}:
            ticket = self.current_ticket()
            if ticket is not None:
                self.rate(ticket, int(text.strip()), "")
                return
        await self.new_question(text, first_contact)

    async def new_question(self, text: str, first_contact: bool) -> None:
        self.set_state(ConversationState.IDLE)
        self.conv.ticket_id = None
        self.remember("user", text)
        if first_contact:
            self.say(self.t("greeting_short", name=self.event.sender.label))
        incident = incident_kind(text)
        result = self.engine.faq.match(text, self.lang)
        best = result.best
        best_entry = self.engine.faq.get(best.entry_id) if best else None
        if incident or (
            best_entry is not None and best_entry.security and result.decision == Decision.ANSWER
        ):
            await self.security_incident(
                text,
                incident or "security",
                best_entry if best_entry and best_entry.security else None,
                result.candidates,
            )
            return
        candidates = [[c.entry_id, round(c.score, 1)] for c in result.candidates[:5]]
        if result.decision == Decision.ANSWER and best_entry is not None:
            self.answer_with(best_entry, text, candidates)
        elif result.decision == Decision.CLARIFY and result.candidates:
            self.offer_choices(text, candidates)
        else:
            self.say(self.t("no_answer"))
            self.remember("bot", "no FAQ match")
            await self.start_escalation(text, reason="no_match", candidates=candidates)

    def answer_with(self, entry: FaqEntry, question: str, candidates: list[list[Any]]) -> None:
        ticket = self.open_ticket(question, category=entry.category, status=TicketStatus.ANSWERED)
        ticket.faq_entry_id = entry.id
        ticket.faq_version = entry.version
        ticket.context = {**ticket.context, "candidates": candidates}
        self.turn.event(ticket, "answered", "bot", entry=entry.id, version=entry.version)
        self.remember("bot", f"FAQ {entry.id} v{entry.version}")
        value = str(ticket.id)
        self.say(
            self.t("answer_intro") + "\n\n" + entry.answer_in(self.lang) + "\n\n" + self.t("did_it_help"),
            (
                Button(self.t("btn_solved"), "solved", value),
                Button(self.t("btn_not_solved"), "unsolved", value),
                Button(self.t("btn_human"), "human", value),
            ),
        )
        self.set_state(
            ConversationState.AWAITING_FEEDBACK, question=question, candidates=candidates, entry=entry.id
        )
        self.conv.ticket_id = ticket.id

    def offer_choices(self, question: str, candidates: list[list[Any]]) -> None:
        buttons = []
        for entry_id, _score in candidates[:3]:
            entry = self.engine.faq.get(entry_id)
            if entry is not None:
                buttons.append(Button(entry.title_in(self.lang)[:60], "pick", entry_id))
        buttons.append(Button(self.t("btn_none_of_these"), "none", ""))
        self.say(self.t("did_you_mean"), tuple(buttons))
        self.remember("bot", "offered: " + ", ".join(c[0] for c in candidates[:3]))
        self.set_state(ConversationState.CLARIFYING, question=question, candidates=candidates)

    # ------------------------------------------------------------------------------- buttons
    async def on_button(self, press: ButtonPress) -> None:
        action, value = press.action, press.value
        if action in ("solved", "unsolved", "human", "rate", "reopen"):
            ticket = self.own_ticket(value)
            if ticket is None:
                self.say(self.t("button_expired"))
                return
            if action == "solved":
                self.solved(ticket, press.message_id)
            elif action == "unsolved":
                self.replace_pressed(press.message_id, self.t("chosen_not_solved"))
                await self.escalate_existing(ticket, reason="not_solved")
            elif action == "human":
                self.replace_pressed(press.message_id, self.t("chosen_human"))
                await self.escalate_existing(ticket, reason="asked")
            elif action == "rate":
                score = value.split(":", 1)[1] if ":" in value else ""
                if score in {"1", "2", "3", "4", "5"}:
                    self.rate(ticket, int(score), press.message_id)
            else:
                self.reopen(ticket, press.message_id)
            return
        if self.conv.state == ConversationState.CLARIFYING and action in ("pick", "none"):
            question = self.conv.context.get("question", "")
            candidates = self.conv.context.get("candidates", [])
            entry = self.engine.faq.get(value) if action == "pick" else None
            if entry is not None:
                self.replace_pressed(
                    press.message_id, self.t("chosen_entry", title=entry.title_in(self.lang))
                )
                self.answer_with(entry, question, candidates)
            else:
                self.replace_pressed(press.message_id, self.t("chosen_none"))
                await self.start_escalation(question, reason="none_fit", candidates=candidates)
            return
        if self.conv.state == ConversationState.TRIAGE and action == "skip":
            await self.on_triage_answer("", skipped=True)
            return
        self.say(self.t("button_expired"))

    def solved(self, ticket: Ticket, message_id: str) -> None:
        if ticket.status != TicketStatus.ANSWERED:
            self.say(self.t("button_expired"))
            return
        ticket.status = TicketStatus.SELF_SERVICE
        ticket.resolved_at = self.turn.now
        ticket.resolution = f"FAQ {ticket.faq_entry_id}"
        self.turn.event(ticket, "self_solved", self.event.sender.key)
        self.replace_pressed(message_id, self.t("chosen_solved"))
        self.say(self.t("glad_solved"), rating_buttons(ticket))
        self.set_state(ConversationState.AWAITING_RATING)
        self.conv.ticket_id = ticket.id

    def rate(self, ticket: Ticket, score: int, message_id: str) -> None:
        if ticket.rating is not None:
            self.say(self.t("already_rated"))
            return
        ticket.rating = score
        self.turn.event(ticket, "csat", self.event.sender.key, score=score)
        self.replace_pressed(message_id, self.t("chosen_rating", stars="★" * score + "☆" * (5 - score)))
        self.say(self.t("thanks_rating"))
        if ticket.escalated:
            self.turn.send(
                OutboundMessage(
                    self.engine.desk_thread(ticket),
                    self.engine.t(self.engine.desk_lang, "desk_rated", number=ticket.number, score=score),
                ),
                purpose="desk",
                ticket_id=ticket.id,
            )
        self.reset()

    def reopen(self, ticket: Ticket, message_id: str) -> None:
        if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            self.say(self.t("button_expired"))
            return
        ticket.status = TicketStatus.CLAIMED if ticket.owner else TicketStatus.OPEN
        ticket.resolved_at = None
        ticket.closed_at = None
        self.turn.event(ticket, "reopened", self.event.sender.key)
        self.replace_pressed(message_id, self.t("chosen_reopen"))
        self.say(self.t("reopened", number=ticket.number))
        self.turn.send(
            OutboundMessage(
                self.engine.desk_thread(ticket),
                self.engine.t(self.engine.desk_lang, "desk_reopened", number=ticket.number),
                reopen_thread=True,
            ),
            purpose="desk",
            ticket_id=ticket.id,
        )
        self.engine.update_card(self.turn, ticket)
        self.set_state(ConversationState.WITH_SPECIALIST)
        self.conv.ticket_id = ticket.id

    def reopen_by_reply(self, ticket: Ticket, text: str, event: InboundMessage) -> None:
        """The user answered a ticket that was closed for want of their reply: reopen and relay."""
        ticket.status = TicketStatus.CLAIMED if ticket.owner else TicketStatus.OPEN
        ticket.closed_at = None
        ticket.resolution = None
        ticket.context = {k: v for k, v in ticket.context.items() if k not in ("auto_closed", "reopen_until")}
        self.turn.event(ticket, "reopened", self.event.sender.key, by="reply")
        self.say(self.t("reopened_by_reply", number=ticket.number))
        self.engine.to_thread(
            self.turn,
            ticket,
            self.engine.t(self.engine.desk_lang, "desk_reopened_by_reply", number=ticket.number),
            reopen_thread=True,
        )
        self.relay_to_desk(ticket, text, event)
        self.engine.update_card(self.turn, ticket)

    # ------------------------------------------------------------------------------ escalation
    async def escalate_existing(self, ticket: Ticket, reason: str) -> None:
        if ticket.status != TicketStatus.ANSWERED:
            self.say(self.t("button_expired"))
            return
        question = ticket.subject
        candidates = ticket.context.get("candidates", [])
        entry = self.engine.faq.get(ticket.faq_entry_id) if ticket.faq_entry_id else None
        self.turn.event(
            ticket, "not_solved" if reason == "not_solved" else "asked_human", self.event.sender.key
        )
        self.begin_triage(question, reason, candidates, entry, ticket)

    async def start_escalation(
        self, question: str, reason: str, candidates: list[list[Any]] | None = None
    ) -> None:
        candidates = candidates if candidates is not None else self.conv.context.get("candidates", [])
        entry = self.engine.faq.get(candidates[0][0]) if candidates else None
        self.begin_triage(question, reason, candidates, entry, None)

    def begin_triage(
        self,
        question: str,
        reason: str,
        candidates: list[list[Any]],
        entry: FaqEntry | None,
        ticket: Ticket | None,
    ) -> None:
        plan = plan_questions(question, entry, self.lang)
        self.set_state(
            ConversationState.TRIAGE,
            question=question,
            reason=reason,
            candidates=candidates,
            entry=entry.id if entry else None,
            plan=plan,
            step=0,
            answers={},
            labels={},
        )
        self.conv.ticket_id = ticket.id if ticket else None
        if not question:
            self.conv.context = {**self.conv.context, "plan": [{"key": "problem", "text": ""}, *plan]}
        self.say(self.t("triage_intro"))
        self.ask_next()

    def ask_next(self) -> None:
        plan = self.conv.context["plan"]
        step = self.conv.context["step"]
        if step >= len(plan):
            self.open_escalated_ticket()
            return
        item = plan[step]
        text = item["text"] or self.t(f"triage_{item['key']}")
        self.say(text, (Button(self.t("btn_skip"), "skip", ""),) if item["key"] != "problem" else ())

    async def on_triage_answer(self, text: str, skipped: bool = False) -> None:
        context = dict(self.conv.context)
        plan = context["plan"]
        step = context["step"]
        if step < len(plan):
            key = plan[step]["key"]
            if key == "problem":
                context["question"] = text
                entry = self.engine.faq.get(context["entry"]) if context.get("entry") else None
                plan = [plan[0], *plan_questions(text, entry, self.lang)]  # skip what the problem says
                context["plan"] = plan
            elif not skipped:
                context["answers"] = {**context["answers"], key: text[:1000]}
                if plan[step]["text"]:
                    context["labels"] = {**context["labels"], key: plan[step]["text"]}
            self.remember("user", text if not skipped else "(skipped)")
        context["step"] = step + 1
        self.conv.context = context
        self.ask_next()

    def open_escalated_ticket(self) -> None:
        context = self.conv.context
        question = context.get("question", "") or self.t("no_subject")
        answers: dict[str, str] = context.get("answers", {})
        entry = self.engine.faq.get(context["entry"]) if context.get("entry") else None
        ticket = self.current_ticket()
        if ticket is None:
            ticket = self.open_ticket(
                question, category=entry.category if entry else "other", status=TicketStatus.OPEN
            )
        topics = {item["key"]: item.get("topic", "") for item in context.get("plan", [])}
        priority = Priority.HIGH if many_affected(answers, topics) else Priority.NORMAL
        self.escalate(ticket, priority, context.get("reason", "no_match"), answers, context.get("labels", {}))

    def escalate(
        self,
        ticket: Ticket,
        priority: str,
        reason: str,
        answers: dict[str, str],
        labels: dict[str, str],
    ) -> None:
        ticket.status = TicketStatus.OPEN
        ticket.escalated = True
        ticket.escalated_at = self.turn.now
        ticket.priority = priority
        ticket.context = {
            **ticket.context,
            "triage": answers,
            "triage_labels": labels,
            "candidates": ticket.context.get("candidates") or self.conv.context.get("candidates", []),
            "transcript": self.conv.context.get("transcript", []),
            "reason": reason,
        }
        self.turn.event(ticket, "escalated", "bot", reason=reason, priority=priority)
        desk = self.engine.config.desk
        lang = self.engine.desk_lang
        self.turn.send(
            OutboundMessage(
                ChannelAddress(desk.platform, desk.chat_id),
                card_text(ticket, lang),
                card_buttons(ticket, lang),
                thread_title=f"{ticket.number} {ticket.subject[:80]}",
            ),
            purpose="card",
            ticket_id=ticket.id,
        )
        minutes = self.engine.response_estimator(priority, self.turn.now)
        due_label = self.engine.response_due_label
        due = due_label(self.turn.now, minutes, self.lang) if due_label is not None else ""
        self.say(
            self.t(
                "ticket_opened",
                number=ticket.number,
                expected=self.t("duration", **_duration_parts(minutes), due=due),
            )
        )
        self.set_state(ConversationState.WITH_SPECIALIST)
        self.conv.ticket_id = ticket.id

    async def security_incident(self, text: str, kind: str, entry: FaqEntry | None, candidates: Any) -> None:
        ticket = self.open_ticket(text, category="security", status=TicketStatus.OPEN)
        ticket.context = {
            **ticket.context,
            "candidates": [[c.entry_id, round(c.score, 1)] for c in candidates[:5]],
        }
        if entry is not None:
            ticket.faq_entry_id = entry.id
            ticket.faq_version = entry.version
        first_aid = entry.answer_in(self.lang) if entry is not None else self.t(f"first_aid_{kind}")
        self.say(self.t("security_intro") + "\n\n" + first_aid)
        self.remember("bot", f"security first aid ({kind})")
        self.turn.event(ticket, "security", "bot", incident=kind)
        self.escalate(ticket, Priority.URGENT, f"security:{kind}", {}, {})

    def open_ticket(self, subject: str, *, category: str, status: TicketStatus) -> Ticket:
        sender = self.event.sender
        subject, _ = redact_secrets(subject)
        ticket = self.turn.uow.tickets.add(
            Ticket(
                requester_platform=sender.platform,
                requester_id=sender.user_id,
                requester_name=sender.label,
                user_chat_id=self.address.chat_id,
                subject=subject[:500],
                language=self.lang,
                category=category,
                status=status,
                created_at=self.turn.now,
                updated_at=self.turn.now,
            )
        )
        self.turn.event(ticket, "created", sender.key)
        return ticket

    # --------------------------------------------------------------------------------- relay
    def relay_to_desk(self, ticket: Ticket, text: str, event: InboundMessage) -> None:
        if ticket.status == TicketStatus.WAITING_USER:
            ticket.status = TicketStatus.CLAIMED if ticket.owner else TicketStatus.OPEN
            self.engine.update_card(self.turn, ticket)
        if event.attachments:
            stored = list(ticket.context.get("attachments", []))
            stored.extend([a.kind, a.file_id, a.name] for a in event.attachments)
            ticket.context = {**ticket.context, "attachments": stored}
        ticket.updated_at = self.turn.now
        self.turn.event(ticket, "relayed", self.event.sender.key, direction="to_desk")
        self.turn.send(
            OutboundMessage(
                self.engine.desk_thread(ticket),
                self.engine.t(
                    self.engine.desk_lang, "desk_from_user", name=self.event.sender.label, text=text
                ),
                attachments=event.attachments,
            ),
            purpose="desk",
            ticket_id=ticket.id,
        )


def _reopens_on_reply(ticket: Ticket, now: datetime) -> bool:
    """A ticket closed automatically for want of the user's reply, recently enough to reopen."""
    if ticket.status != TicketStatus.CLOSED or not ticket.context.get("auto_closed"):
        return False
    until = ticket.context.get("reopen_until")
    return until is None or now <= datetime.fromisoformat(str(until))


def _duration_parts(minutes: int) -> dict[str, int]:
    hours, mins = divmod(minutes, 60)
    return {"hours": hours, "minutes": mins}
