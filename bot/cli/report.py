"""``helpdesk report`` and ``helpdesk demo-data``: recaps on the command line, and demo tickets to try."""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from bot.cli.common import load_settings as _settings
from bot.cli.common import prepare_database
from bot.core.ports import UnitOfWorkFactory
from bot.reports.chart import render_png
from bot.reports.demo_data import fill_demo_data
from bot.reports.figures import build_report
from bot.reports.model import PERIOD_KINDS, ReportOptions
from bot.reports.periods import Period, period_before, period_between, period_containing
from bot.reports.render import render_csv, render_markdown, render_text
from bot.settings import Settings

FORMATS = ("text", "markdown", "csv", "png")


def _options(settings: Settings) -> ReportOptions:
    from bot.app import job_config

    return job_config(settings).report_options


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        typer.echo(f"{name} must be a date like 2026-11-23, not {value!r}", err=True)
        raise typer.Exit(2) from error


def choose_period(
    kind: str, first: str, last: str, current: bool, now: datetime, options: ReportOptions
) -> Period:
    """The period the options ask for (a ``--from``/``--to`` range wins over ``--period``)."""
    tz = options.policy.calendar.tz
    if first or last:
        start = _date(first, "--from") if first else _date(last, "--to")
        end = _date(last, "--to") if last else now.astimezone(tz).date()
        if end < start:
            typer.echo("--to is before --from", err=True)
            raise typer.Exit(2)
        return period_between(start, end, tz)
    if kind not in PERIOD_KINDS:
        typer.echo(f"--period must be one of {', '.join(PERIOD_KINDS)}", err=True)
        raise typer.Exit(2)
    return period_containing(kind, now, tz) if current else period_before(kind, now, tz)


def _demo_database(settings: Settings, now: datetime, options: ReportOptions) -> UnitOfWorkFactory:
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-demo-"))
    demo = settings.model_copy(update={"database_url": f"sqlite:///{folder / 'demo.db'}"})
    factory = prepare_database(demo)
    fill_demo_data(factory, now, options.policy, lang=settings.helpdesk_language)
    return factory


def report(
    period: str = typer.Option("week", "--period", "-p", help="day, week or month: the last complete one."),
    first: str = typer.Option("", "--from", help="First day (YYYY-MM-DD) of a custom range."),
    last: str = typer.Option("", "--to", help="Last day (YYYY-MM-DD) of a custom range (default: today)."),
    current: bool = typer.Option(
        False, "--current", help="The period in progress instead of the last complete one."
    ),
    fmt: str = typer.Option(
        "text", "--format", "-f", help="text, markdown, csv (the tickets) or png (the chart)."
    ),
    out: str = typer.Option("", "--out", "-o", help="Write here instead of stdout (needed for png)."),
    lang: str = typer.Option("", "--lang", help="id or en (default: HELPDESK_LANGUAGE)."),
    demo: bool = typer.Option(False, "--demo", help="Report on a throw-away database of demo tickets."),
) -> None:
    """Recap of what the helpdesk saw and did: tickets, outcomes, response times, SLA, FAQ gaps."""
    if fmt not in FORMATS:
        typer.echo(f"--format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    if fmt == "png" and not out:
        typer.echo("--format png needs --out FILE", err=True)
        raise typer.Exit(2)
    settings = _settings()
    language = lang or settings.helpdesk_language
    if language not in ("id", "en"):
        typer.echo("--lang must be id or en", err=True)
        raise typer.Exit(2)
    options = _options(settings)
    now = datetime.now(UTC)
    chosen = choose_period(period, first, last, current, now, options)
    factory = _demo_database(settings, now, options) if demo else prepare_database(settings)
    with factory() as uow:
        recap = build_report(uow, chosen, now, options)
    if fmt == "png":
        Path(out).write_bytes(render_png(recap, language))
        typer.echo(f"Wrote the chart of {recap.total} tickets to {out}.")
        return
    renderers = {
        "text": lambda: render_text(recap, language),
        "markdown": lambda: render_markdown(recap, language),
        "csv": lambda: render_csv(recap),
    }
    body = renderers[fmt]()
    if not out:
        sys.stdout.write(body)
    else:
        Path(out).write_text(body, encoding="utf-8")
        typer.echo(f"Wrote the {fmt} recap of {recap.total} tickets to {out}.")


def demo_data(
    weeks: int = typer.Option(4, help="How many weeks back from now."),
    seed: int = typer.Option(7, help="Random seed (the same seed gives the same tickets)."),
    force: bool = typer.Option(False, "--force", help="Add demo tickets even if the database has tickets."),
) -> None:
    """Fill the configured database with realistic demo tickets (for trying reports; not for production)."""
    settings = _settings()
    factory = prepare_database(settings)
    with factory() as uow:
        has_tickets = uow.tickets.get(1) is not None
    if has_tickets and not force:
        typer.echo("The database already has tickets; use --force to add demo tickets anyway.", err=True)
        raise typer.Exit(1)
    options = _options(settings)
    count = fill_demo_data(
        factory, datetime.now(UTC), options.policy, weeks=weeks, seed=seed, lang=settings.helpdesk_language
    )
    typer.echo(
        f"Added {count} demo tickets over the last {weeks} week(s). Try: helpdesk report --period week"
    )


def register_report_commands(app: typer.Typer) -> None:
    """Add ``report`` and ``demo-data`` to the ``helpdesk`` command line."""
    app.command("report")(report)
    app.command("demo-data")(demo_data)
