"""A person's rights over their data (UU PDP No. 27/2022, GDPR): see it and have it erased.

- :func:`summary` and :func:`as_json`: what is stored about someone, for ``/mydata`` and
  ``helpdesk privacy export``.
- :func:`forget`: close their tickets still open with the desk (with a note in each thread), then
  erase their name, texts and chats, keeping anonymous ticket figures for the recaps; audited.
- :func:`purge_expired`: the retention job (``DATA_RETENTION_DAYS``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.core.records import ERASED, PersonalData
from bot.core.types import UserRef
from bot.engine import ticket_states

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

SUMMARY_MESSAGES = 20  # the latest messages shown in chat; the export has them all


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


def summary(data: PersonalData, lang: str, prefix: str = "/") -> str:
    """What is stored about the person, as a readable message in ``lang`` (``prefix``: how commands
    are typed on their platform)."""
    t = texts.text
    lines = [t(lang, "mydata_header")]
    profile = data.profile
    lines.append(
        t(
            lang,
            "mydata_profile",
            name=(profile.display_name if profile and profile.display_name else "-"),
            platform=data.platform,
            user_id=data.user_id,
            language=(profile.language if profile and profile.language else "-"),
            since=_when(profile.created_at if profile else None),
        )
    )
    lines.append(t(lang, "mydata_tickets", count=len(data.tickets)))
    for ticket in data.tickets:
        lines.append(
            t(
                lang,
                "mydata_ticket_line",
                number=ticket.number,
                subject=ticket.subject[:80],
                status=t(lang, f"status_{ticket.status}"),
                created=_when(ticket.created_at),
                rating=ticket.rating if ticket.rating is not None else "-",
            )
        )
    inbound = [m for m in data.messages if m.direction == "in"]
    lines.append(t(lang, "mydata_messages", count=len(inbound), shown=min(len(inbound), SUMMARY_MESSAGES)))
    for message in inbound[-SUMMARY_MESSAGES:]:
        lines.append(f"- {_when(message.at)}: {message.text[:200]}")
    lines.append(t(lang, "mydata_footer", c=prefix))
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def as_json(data: PersonalData) -> str:
    """Everything stored about the person, as JSON (the admin's export)."""
    document = {
        "platform": data.platform,
        "user_id": data.user_id,
        "profile": asdict(data.profile) if data.profile else None,
        "conversations": [asdict(c) for c in data.conversations],
        "tickets": [
            {**asdict(t), "history": [asdict(e) for e in data.events.get(t.id or 0, [])]}
            for t in data.tickets
        ],
        "messages": [asdict(m) for m in data.messages],
    }
    return json.dumps(_plain(document), ensure_ascii=False, indent=2)


def forget(engine: HelpdeskEngine, turn: Turn, person: UserRef, actor: UserRef) -> dict[str, int]:
    """Erase ``person``'s data; their open tickets are closed first, with a note to the desk.

    Returns how many records of each kind were changed (also written to the audit log)."""
    open_tickets = turn.uow.tickets.open_for_requester(person.platform, person.user_id)
    for ticket in open_tickets:
        ticket_states.close(turn, ticket, "privacy", "forgotten", "closed: the requester's data was erased")
    pseudonym = f"forgotten-{uuid.uuid4().hex[:12]}"
    counts = turn.uow.privacy.erase(person.platform, person.user_id, pseudonym)
    # The desk hears after the erasure, so its notes are not erased with the rest.
    for ticket in open_tickets:
        if ticket.escalated:
            engine.to_thread(turn, ticket, engine.t(engine.desk_lang, "desk_forgotten", number=ticket.number))
            engine.update_card(turn, ticket)
    by_self = actor.key == person.key
    turn.audit(
        UserRef(actor.platform, pseudonym if by_self else actor.user_id),
        "privacy_forget",
        pseudonym,
        by="self" if by_self else "admin",
        closed=len(open_tickets),
        **counts,
    )
    return counts


def export_audited(turn: Turn, person: UserRef, actor: UserRef) -> PersonalData:
    """The person's data, with the look-up written to the audit log."""
    data = turn.uow.privacy.personal_data(person.platform, person.user_id)
    turn.audit(actor, "privacy_export", person.key, tickets=len(data.tickets), messages=len(data.messages))
    return data


def purge_expired(turn: Turn, retention_days: int) -> dict[str, int]:
    """Blank message texts and closed tickets' texts older than ``retention_days`` (0: keep)."""
    if retention_days <= 0:
        return {}
    counts = turn.uow.privacy.purge_before(turn.now - timedelta(days=retention_days))
    if any(counts.values()):
        turn.audit(UserRef("system", "retention"), "privacy_purge", f"{retention_days}d", **counts)
    return counts


__all__ = ["ERASED", "as_json", "export_audited", "forget", "purge_expired", "summary"]
