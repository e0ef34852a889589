"""Self-service: a new question matched against the FAQ, the answer with "did this solve it?",
"did you mean" choices, the user's buttons, the rating and reopening."""

from __future__ import annotations

from typing import Any

from bot.conversation.content import lacks_content
from bot.conversation.escalation import EscalationSteps
from bot.core.records import ConversationState, Ticket, TicketStatus
from bot.core.types import Button, ButtonPress, Decision, FaqEntry, InboundMessage, OutboundMessage
from bot.engine import ticket_states
from bot.engine.cards import rating_buttons


class AnswerSteps(EscalationSteps):
    """Answering from the FAQ, clarifying, and what the user's buttons do."""

    async def new_question(self, text: str, first_contact: bool) -> None:
        asked_to_describe = bool(self.conv.context.get("asked_to_describe"))
        self.set_state(ConversationState.IDLE)
        self.conv.ticket_id = None
        self.remember("user", text)
        if first_contact:
            self.turn.greet(self.address, self.t("greeting_short", name=self.event.sender.label))
        incident = self.detect_incident(text)
        if incident is not None:
            await self.security_incident(text, incident)
            return
        result = self.match(text)
        best = result.best
        best_entry = self.engine.faq.get(best.entry_id) if best else None
        candidates = [[c.entry_id, round(c.score, 1)] for c in result.candidates[:5]]
        if result.decision == Decision.ANSWER and best_entry is not None and best_entry.security:
            self.offer_choices(text, candidates)  # near a security entry, but not clearly an incident
        elif result.decision == Decision.ANSWER and best_entry is not None:
            self.answer_with(best_entry, text, candidates)
        elif result.decision == Decision.CLARIFY and result.candidates:
            self.offer_choices(text, candidates)
        elif lacks_content(result.normalized) and not asked_to_describe:
            # Nothing to act on yet ("halo", one word, a keyboard mash): ask once before a ticket.
            self.say(self.t("describe_problem"))
            self.remember("bot", "asked to describe the problem")
            self.set_state(ConversationState.IDLE, asked_to_describe=True)
        else:
            self.say(self.t("no_answer"))
            self.remember("bot", "no FAQ match")
            await self.start_escalation(text, reason="no_match", candidates=candidates)

    def answer_with(self, entry: FaqEntry, question: str, candidates: list[list[Any]]) -> None:
        ticket = self.open_ticket(
            question,
            category=entry.category,
            status=TicketStatus.ANSWERED,
            faq_entry_id=entry.id,
            faq_version=entry.version,
            context={"candidates": candidates},
        )
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
        ticket_states.mark_self_service(self.turn, ticket, self.event.sender.key)
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
        ticket_states.reopen(self.turn, ticket, self.event.sender.key)
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
        ticket_states.reopen(self.turn, ticket, self.event.sender.key, by_reply=True)
        self.say(self.t("reopened_by_reply", number=ticket.number))
        self.engine.to_thread(
            self.turn,
            ticket,
            self.engine.t(self.engine.desk_lang, "desk_reopened_by_reply", number=ticket.number),
            reopen_thread=True,
        )
        self.relay_to_desk(ticket, text, event)
        self.engine.update_card(self.turn, ticket)
