"""The ticket card specialists see in the desk, and its buttons."""

from __future__ import annotations

from bot import texts
from bot.core.records import Ticket
from bot.core.types import Button

TRANSCRIPT_LINES = 12


def card_text(ticket: Ticket, lang: str) -> str:
    """Everything a specialist needs at a glance: who, what, how urgent, what the bot tried."""
    t = texts.text
    lines = [
        t(
            lang,
            "card_title",
            number=ticket.number,
            priority=ticket.priority.upper(),
            category=ticket.category,
        ),
        t(
            lang,
            "card_from",
            name=ticket.requester_name,
            who=f"{ticket.requester_platform}:{ticket.requester_id}",
        ),
        t(
            lang,
            "card_status",
            status=t(lang, f"status_{ticket.status}"),
            owner=ticket.owner_name or t(lang, "card_nobody"),
        ),
    ]
    if ticket.sla_breached:
        lines.append(t(lang, "card_sla_breached"))
    lines.append(t(lang, "card_question", question=ticket.subject))
    triage = ticket.context.get("triage", {})
    labels = ticket.context.get("triage_labels", {})
    if triage:
        lines.append(t(lang, "card_triage"))
        for key, answer in triage.items():
            label = labels.get(key) or t(lang, f"triage_label_{key}")
            lines.append(f"  - {label}: {answer}")
    candidates = ticket.context.get("candidates", [])
    if candidates:
        shown = ", ".join(f"{entry_id} ({score:.0f})" for entry_id, score in candidates[:3])
        lines.append(t(lang, "card_candidates", candidates=shown))
    if ticket.faq_entry_id:
        lines.append(t(lang, "card_bot_answered", entry=ticket.faq_entry_id, version=ticket.faq_version or 1))
    transcript = ticket.context.get("transcript", [])
    if transcript:
        lines.append(t(lang, "card_transcript"))
        for who, said in transcript[-TRANSCRIPT_LINES:]:
            lines.append(f"  {who}: {said}")
    attachments = ticket.context.get("attachments", [])
    if attachments:
        lines.append(t(lang, "card_attachments", count=len(attachments)))
    return "\n".join(lines)


def card_buttons(ticket: Ticket, lang: str) -> tuple[Button, ...]:
    """Claim, resolve and priority buttons while the ticket is open; none once it is done."""
    if not ticket.is_open:
        return ()
    value = str(ticket.id)
    return (
        Button(texts.text(lang, "btn_claim"), "claim", value),
        Button(texts.text(lang, "btn_resolve"), "resolve", value),
        Button(texts.text(lang, "btn_priority"), "prio", value),
    )


def rating_buttons(ticket: Ticket) -> tuple[Button, ...]:
    """1-5 rating buttons for ``ticket``."""
    return tuple(Button(str(n), "rate", f"{ticket.id}:{n}") for n in range(1, 6))
