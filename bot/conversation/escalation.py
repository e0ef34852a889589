"""Escalation: focused triage questions, then a ticket card in the desk; security incidents; the
relay of the user's messages to the ticket's desk thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.conversation.context import UserTurn
from bot.conversation.triage import many_affected, plan_questions
from bot.core.records import ConversationState, Priority, Ticket, TicketStatus
from bot.core.types import (
    Button,
    Candidate,
    ChannelAddress,
    Decision,
    FaqEntry,
    InboundMessage,
    OutboundMessage,
)
from bot.engine import ticket_states
from bot.engine.cards import card_buttons, card_text
from bot.engine.flood import HELD_FOR_DESK
from bot.security.incidents import incident_kind

# How sure the matcher must be, and how long the text, for a security entry to count mid-flow.
MID_FLOW_SECURITY_SCORE = 70.0
MID_FLOW_WORDS = 3
# A new question near a security entry by the matcher alone (no incident pattern) is an incident
# only from this score; below it the entry is offered as a choice ("my screen shows weird colours"
# is close to malware, and an URGENT ticket for it would be a confident wrong answer).
NEW_QUESTION_SECURITY_SCORE = 60.0


@dataclass(frozen=True)
class Incident:
    """A security incident a message reports: its kind, the FAQ security entry that fits (if any)
    and the matcher's candidates (kept on the ticket for the desk)."""

    kind: str
    entry: FaqEntry | None
    candidates: tuple[Candidate, ...] = ()


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
                "ticket_opened_urgent" if priority == Priority.URGENT else "ticket_opened",
                number=ticket.number,
                expected=self.t("duration", **_duration_parts(minutes), due=due),
            )
        )
        self.set_state(ConversationState.WITH_SPECIALIST)
        self.conv.ticket_id = ticket.id

    def detect_incident(self, text: str, *, mid_flow: bool = False) -> Incident | None:
        """The security incident ``text`` reports, by the patterns or the FAQ's security entries.

        ``mid_flow``: the text answers a question (triage, choices) or is a relayed message, often a
        fragment ("laptop kantor, outlook") that the matcher places near a security entry by its
        nouns alone; the entry counts then only on a clear score and a few words."""
        kind = incident_kind(text)
        result = self.match(text)
        best = result.best
        best_entry = self.engine.faq.get(best.entry_id) if best else None
        if best is None:
            clear = False
        elif mid_flow:
            clear = best.score >= MID_FLOW_SECURITY_SCORE and len(text.split()) >= MID_FLOW_WORDS
        else:
            clear = best.score >= NEW_QUESTION_SECURITY_SCORE
        security_entry = (
            best_entry
            if best_entry is not None
            and best_entry.security
            and result.decision == Decision.ANSWER
            and (clear or kind is not None)  # an incident for sure: the entry only gives the first aid
            else None
        )
        if kind is None and security_entry is None:
            return None
        return Incident(kind or "security", security_entry, result.candidates)

    async def security_incident(self, text: str, incident: Incident, ticket: Ticket | None = None) -> None:
        """First aid, then an URGENT security ticket (``ticket`` raised, or a new one) in the desk."""
        kind, entry = incident.kind, incident.entry
        answers: dict[str, str] = dict(self.conv.context.get("answers", {}))
        labels: dict[str, str] = dict(self.conv.context.get("labels", {}))
        question = str(self.conv.context.get("question") or "")
        if question and question != text and "problem" not in answers:
            answers = {"problem": question[:1000], **answers}  # what the user asked before the incident
        if ticket is None:
            ticket = self.open_ticket(text, category="security", status=TicketStatus.OPEN)
        else:
            ticket.category = "security"
            answers = {**answers, "incident": text[:1000]}
        ticket.context = {
            **ticket.context,
            "candidates": [[c.entry_id, round(c.score, 1)] for c in incident.candidates[:5]],
        }
        if entry is not None:
            ticket.faq_entry_id = entry.id
            ticket.faq_version = entry.version
        self.say(self.t("security_intro") + "\n\n" + self.first_aid(incident))
        self.remember("bot", f"security first aid ({kind})")
        self.turn.event(ticket, "security", "bot", incident=kind)
        self.escalate(ticket, Priority.URGENT, f"security:{kind}", answers, labels)

    def first_aid(self, incident: Incident) -> str:
        """The steps to take now: the security FAQ entry's answer, or the built-in ones."""
        if incident.entry is not None:
            return incident.entry.answer_in(self.lang)
        return self.t(f"first_aid_{incident.kind}")

    def raise_to_incident(self, ticket: Ticket, incident: Incident) -> None:
        """A user with a ticket open at the desk reports an incident: URGENT now, desk alerted."""
        if ticket.priority == Priority.URGENT and ticket.category == "security":
            return
        ticket_states.raise_to_incident(self.turn, ticket, incident.kind, self.event.sender.key)
        minutes = self.engine.response_estimator(Priority.URGENT, self.turn.now)
        self.say(
            self.t(
                "incident_raised",
                number=ticket.number,
                expected=self.t("duration", **_duration_parts(minutes), due=""),
            )
            + "\n\n"
            + self.first_aid(incident)
        )
        desk = self.engine.config.desk
        lang = self.engine.desk_lang
        self.turn.send(
            OutboundMessage(
                ChannelAddress(desk.platform, desk.chat_id),
                self.engine.t(lang, "desk_incident_raised", number=ticket.number, kind=incident.kind),
                (Button(self.engine.t(lang, "btn_claim"), "claim", str(ticket.id)),),
            ),
            purpose="desk",
            ticket_id=ticket.id,
        )
        self.engine.update_card(self.turn, ticket)

    def relay_to_desk(self, ticket: Ticket, text: str, event: InboundMessage) -> None:
        if ticket_states.user_replied(self.turn, ticket):
            self.engine.update_card(self.turn, ticket)
        if event.attachments:
            stored = list(ticket.context.get("attachments", []))
            stored.extend([a.kind, a.file_id, a.name] for a in event.attachments)
            ticket.context = {**ticket.context, "attachments": stored}
        ticket.updated_at = self.turn.now
        held: list[str] = list(ticket.context.get(HELD_FOR_DESK, []))
        if held:
            # Messages flood control held back reach the desk with this one, in one post.
            ticket.context = {k: v for k, v in ticket.context.items() if k != HELD_FOR_DESK}
            lines = "\n".join(f"- {line}" for line in held)
            text = (
                self.engine.t(self.engine.desk_lang, "desk_held_messages", count=len(held), lines=lines)
                + "\n"
                + text
            )
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
