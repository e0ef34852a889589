"""The ``helpdesk`` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import sys
from pathlib import Path

import typer

from bot.app import platform_channels, prepare_database, run_channels, run_console
from bot.cli_report import register_report_commands
from bot.cli_settings import load_settings as _settings
from bot.faq_service import import_entries

app = typer.Typer(help="Chat-first IT helpdesk: console, Telegram and Slack.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
kb_app = typer.Typer(help="The FAQ knowledge base.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(kb_app, name="kb")
register_report_commands(app)  # helpdesk report, helpdesk demo-data


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def run(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
    user: str = typer.Option("", help="Console user name when no chat tokens are set."),
) -> None:
    """Start every configured channel plus the background jobs (console chat when no tokens are set)."""
    _logging(verbose)
    settings = _settings()
    channels = platform_channels(settings)
    if channels:
        asyncio.run(run_channels(settings))
    else:
        typer.echo(
            "No chat tokens configured: starting the console chat. Run `helpdesk desk` in another terminal."
        )
        asyncio.run(run_console(settings, user or getpass.getuser(), desk=False))


@app.command()
def chat(
    user: str = typer.Option("", help="Your user name in the console chat."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Chat with the helpdesk in this terminal, as a user."""
    _logging(verbose)
    asyncio.run(run_console(_settings(), user or getpass.getuser(), desk=False))


@app.command()
def desk(
    name: str = typer.Option("", help="Your name as a specialist."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Work tickets in this terminal, as a specialist (new tickets appear here)."""
    _logging(verbose)
    asyncio.run(run_console(_settings(), name or getpass.getuser(), desk=True))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (and load the starting FAQ into an empty database)."""
    prepare_database(_settings())
    typer.echo("Database is up to date.")


def _load_entries(path: Path) -> list:  # type: ignore[type-arg]
    from knowledge_base.faq_file import FaqFileError, FaqFileErrors, load_faq_path

    try:
        return load_faq_path(path)
    except (FaqFileError, FaqFileErrors) as error:
        typer.echo(f"Refused, nothing was changed:\n{error}", err=True)
        raise typer.Exit(1) from error
    except OSError as error:
        typer.echo(f"Cannot read {path}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from error


@kb_app.command("import")
def kb_import(
    file: Path = typer.Argument(..., help="A YAML or CSV file, or a folder of YAML files."),
    replace: bool = typer.Option(False, "--replace", help="Replace the whole FAQ instead of merging by id."),
) -> None:
    """Import FAQ entries (validated whole before anything is written)."""
    entries = _load_entries(file)
    factory = prepare_database(_settings())
    with factory() as uow:
        summary = import_entries(uow, entries, author=f"cli:{getpass.getuser()}", replace_all=replace)
        uow.commit()
    typer.echo(f"Imported {file}: {summary}.")


@kb_app.command("export")
def kb_export(file: Path = typer.Argument(..., help="Where to write (.yaml or .csv); - for stdout.")) -> None:
    """Export the FAQ in the import format."""
    from knowledge_base.faq_file import dump_faq, dump_faq_csv

    factory = prepare_database(_settings())
    with factory() as uow:
        entries = sorted(uow.faq.all(), key=lambda e: e.id)
    text = dump_faq_csv(entries) if file.suffix.lower() == ".csv" else dump_faq(entries)
    if str(file) == "-":
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"Exported {len(entries)} entries to {file}.")


@kb_app.command("list")
def kb_list(category: str = typer.Option("", help="Only this category.")) -> None:
    """List the FAQ entries."""
    factory = prepare_database(_settings())
    with factory() as uow:
        entries = sorted(uow.faq.all(), key=lambda e: (e.category, e.id))
    for entry in entries:
        if category and entry.category != category:
            continue
        flag = " [security]" if entry.security else ""
        typer.echo(f"{entry.id:32} {entry.category:10} v{entry.version:<3} {entry.title_in('en')}{flag}")


@kb_app.command("match")
def kb_match(
    queries: list[str] = typer.Argument(None, help="Questions to match; - reads one per line from stdin."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per query per line."),
    lang: str = typer.Option("", help="Force the language (id or en)."),
    explain: bool = typer.Option(False, "--explain", help="Show the normalised text and component scores."),
) -> None:
    """Show what the bot would do with each question."""
    from bot.faq_index import FaqIndex
    from knowledge_base.matcher import FaqMatcher

    settings = _settings()
    factory = prepare_database(settings)
    index = FaqIndex(factory, FaqMatcher(default_lang=settings.helpdesk_language))
    index.refresh(force=True)
    items = list(queries or [])
    if items == ["-"]:
        items = [line.rstrip("\n") for line in sys.stdin]
    for text in items:
        result = index.match(text, lang or None)
        matches = [{"id": c.entry_id, "score": round(c.score, 2)} for c in result.candidates[:5]]
        if as_json:
            record: dict[str, object] = {
                "text": text,
                "lang": result.lang,
                "decision": str(result.decision),
                "matches": matches,
            }
            if explain:
                record["normalized"] = result.normalized
                record["components"] = {c.entry_id: dict(c.components) for c in result.candidates[:5]}
            typer.echo(json.dumps(record, ensure_ascii=False))
            continue
        typer.echo(f"{text!r} [{result.lang}] -> {result.decision}")
        if explain:
            typer.echo(f"  normalised: {result.normalized!r}")
        for candidate in result.candidates[:5]:
            parts = ""
            if explain and candidate.components:
                parts = "  (" + ", ".join(f"{k}={v:.2f}" for k, v in candidate.components) + ")"
            typer.echo(f"  {candidate.score:6.1f}  {candidate.entry_id}{parts}")


from bot import cli_kb  # noqa: E402,F401  (adds kb show/history/rollback/delete/lint/calibrate)


def main() -> None:
    """Entry point of the ``helpdesk`` script."""
    app()


if __name__ == "__main__":
    main()
