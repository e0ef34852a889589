"""``helpdesk privacy export|forget PLATFORM:USER_ID``: a person's data for an administrator."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import load_settings as _settings
from bot.cli.common import prepare_database
from bot.conversation import privacy
from bot.core.types import UserRef
from bot.engine.turn import Turn
from bot.faq.index import FaqIndex

privacy_app = typer.Typer(
    help="A person's data: export it, or erase it (UU PDP, GDPR).", no_args_is_help=True
)
ADMIN = UserRef("cli", "admin", "command line")


def _person(value: str) -> UserRef:
    platform, sep, user_id = value.partition(":")
    if not sep or not platform or not user_id:
        typer.echo(f"Give the person as PLATFORM:USER_ID (e.g. telegram:123456), not {value!r}", err=True)
        raise typer.Exit(2)
    return UserRef(platform, user_id)


@privacy_app.command("export")
def export(
    person: str = typer.Argument(..., help="PLATFORM:USER_ID"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the JSON here instead of printing it."),
) -> None:
    """Everything stored about a person, as JSON (audited)."""
    from bot.app import SystemClock

    who = _person(person)
    factory = prepare_database(_settings())
    with factory() as uow:
        data = privacy.export_audited(Turn(uow, SystemClock().now()), who, ADMIN)
        uow.commit()
    document = privacy.as_json(data)
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document, encoding="utf-8")
        typer.echo(f"Wrote {out} ({len(data.tickets)} tickets, {len(data.messages)} messages).")


@privacy_app.command("forget")
def forget(
    person: str = typer.Argument(..., help="PLATFORM:USER_ID"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase a person's name, texts and chats; open tickets are closed with a note to the desk (audited)."""
    from bot.app import SystemClock, assemble_engine, engine_config  # here: --help stays quick
    from knowledge_base.matcher import FaqMatcher

    who = _person(person)
    if not yes and not typer.confirm(f"Erase every text and the name of {who.key}? This cannot be undone"):
        typer.echo("Nothing was erased.")
        raise typer.Exit(1)
    settings = _settings()
    factory = prepare_database(settings)
    engine = assemble_engine(
        factory, FaqIndex(factory, FaqMatcher([])), SystemClock(), engine_config(settings)
    )
    with factory() as uow:
        counts = privacy.forget(engine, Turn(uow, SystemClock().now()), who, ADMIN)
        uow.commit()
    typer.echo("Erased: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
