"""Escalation: focused triage questions, then a ticket card in the desk; security incidents; the
relay of the user's messages to the ticket's desk thread."""

from __future__ import annotations

from typing import Any

from bot.conversation.context import UserTurn
from bot.conversation.triage import many_affected, plan_questions
from bot.core.records import ConversationState, Priority, Ticket, TicketStatus
from bot.core.types import Button, ChannelAddress, FaqEntry, InboundMessage, OutboundMessage
from bot.engine import ticket_states
from bot.engine.cards import card_buttons, card_text


class EscalationSteps(UserTurn):
    """Triage, escalation to the desk, security incidents and relaying to the desk."""

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
        ticket_states.escalate(self.turn, ticket, priority)
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

    def relay_to_desk(self, ticket: Ticket, text: str, event: InboundMessage) -> None:
        if ticket_states.user_replied(ticket):
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


def _duration_parts(minutes: int) -> dict[str, int]:
    hours, mins = divmod(minutes, 60)
    return {"hours": hours, "minutes": mins}
