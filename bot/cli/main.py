"""The ``helpdesk`` command line."""

from __future__ import annotations

import asyncio
import getpass
import logging

import typer

from bot.cli.common import load_settings as _settings
from bot.cli.common import prepare_database
from bot.cli.kb import kb_app
from bot.cli.privacy import privacy_app
from bot.cli.report import register_report_commands

app = typer.Typer(help="Chat-first IT helpdesk: console, Telegram and Slack.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(privacy_app, name="privacy")
app.add_typer(kb_app, name="kb")  # import, export, list, match, show, history, rollback, ...
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
    workers: int = typer.Option(
        0,
        "--workers",
        "-w",
        min=0,
        max=64,
        help="Worker processes on one PostgreSQL database (default: HELPDESK_WORKERS, 1).",
    ),
) -> None:
    """Start every configured channel plus the background jobs (console chat when no tokens are set)."""
    from bot.app import platform_channels, run_channels, run_console, workers_refusal

    _logging(verbose)
    settings = _settings()
    channels = platform_channels(settings)
    count = workers or settings.helpdesk_workers
    refusal = workers_refusal(settings, count, channels)
    if refusal:
        typer.echo(refusal, err=True)
        raise typer.Exit(2)
    if count > 1:
        _supervise(count, verbose)
    elif channels:
        asyncio.run(run_channels(settings))
    else:
        typer.echo(
            "No chat tokens configured: starting the console chat. Run `helpdesk desk` in another terminal."
        )
        asyncio.run(run_console(settings, user or getpass.getuser(), desk=False))


def _supervise(count: int, verbose: bool) -> None:
    """Migrate once, then keep ``count`` single-process ``helpdesk run`` workers going."""
    import sys

    from bot.workers.supervisor import Supervisor

    prepare_database(_settings())
    command = [sys.executable, "-m", "bot.cli.main", "run"] + (["--verbose"] if verbose else [])
    typer.echo(f"Starting {count} workers (Ctrl+C or SIGTERM stops them).")
    raise typer.Exit(Supervisor(command, count).run())


@app.command()
def chat(
    user: str = typer.Option("", help="Your user name in the console chat."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Chat with the helpdesk in this terminal, as a user."""
    from bot.app import run_console

    _logging(verbose)
    asyncio.run(run_console(_settings(), user or getpass.getuser(), desk=False))


@app.command()
def desk(
    name: str = typer.Option("", help="Your name as a specialist."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Work tickets in this terminal, as a specialist (new tickets appear here)."""
    from bot.app import run_console

    _logging(verbose)
    asyncio.run(run_console(_settings(), name or getpass.getuser(), desk=True))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (and load the starting FAQ into an empty database)."""
    from bot.cli.progress import progress_bar

    with progress_bar("Encoding the starting FAQ (once)") as progress:
        prepare_database(_settings(), progress)
    typer.echo("Database is up to date.")


def main() -> None:
    """Entry point of the ``helpdesk`` script."""
    app()


if __name__ == "__main__":
    main()
