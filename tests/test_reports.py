"""Recap figures checked against a known week of tickets, and every output format."""

from __future__ import annotations

import csv
import dataclasses
import io
import struct
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.records import Ticket, TicketEvent
from bot.jobs.helpdesk_jobs import HelpdeskJobs, JobConfig
from bot.reports.chart import CHART_HEIGHT_PX, CHART_WIDTH_PX, render_png
from bot.reports.figures import build_report, compute
from bot.reports.gaps import group_questions, token_similarity
from bot.reports.model import Report, ReportInput, ReportOptions, percentile
from bot.reports.periods import Period, period_before, period_between, period_containing
from bot.reports.render import CSV_COLUMNS, csv_rows, render_csv, render_markdown, render_summary, render_text
from bot.sla.policy import BusinessCalendar, BusinessHours, SlaPolicy
from tests.fakes import DeskWorld

JAKARTA = ZoneInfo("Asia/Jakarta")
POLICY = SlaPolicy(
    BusinessCalendar(BusinessHours.parse("mon-fri 08:00-17:00"), JAKARTA),
    {"urgent": 15, "high": 60, "normal": 240, "low": 480},
    {"urgent": 240, "high": 540, "normal": 1620, "low": 2700},
)
OPTIONS = ReportOptions(policy=POLICY, feedback_window=timedelta(minutes=60), reopen_days=7)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA).astimezone(UTC)  # Monday 09:00 in Jakarta
WEEK = period_before("week", NOW, JAKARTA)  # Mon 16 - Sun 22 November 2026


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """A moment in November 2026, Jakarta time, as UTC (how storage hands it back)."""
    return datetime(2026, 11, day, hh, mm, tzinfo=JAKARTA).astimezone(UTC)


class Story:
    """One ticket and its history, written the way the engine writes them."""

    def __init__(self, channel: str, subject: str, category: str, created: datetime, **fields: Any):
        self.ticket = Ticket(
            requester_platform=channel,
            requester_id="u1",
            requester_name="User",
            user_chat_id="u1",
            subject=subject,
            category=category,
            created_at=created,
            updated_at=created,
            **fields,
        )
        self.events: list[TicketEvent] = [TicketEvent(0, "created", f"{channel}:u1", {}, created)]

    def ev(self, kind: str, when: datetime, actor: str = "", **detail: Any) -> Story:
        self.events.append(TicketEvent(0, kind, actor, detail, when))
        return self


def known_week() -> list[Story]:
    """Nine tickets opened in the week plus two outside it (see each comment)."""
    sari, budi, rina = "console:desk:sari", "console:desk:budi", "console:desk:rina"
    esc = {"escalated": True}
    stories = [
        # 1: the FAQ solved it, rated 5.
        Story(
            "telegram",
            "vpn tidak bisa connect",
            "network",
            at(16, 10),
            status="self_service",
            faq_entry_id="vpn-setup",
            faq_version=1,
            rating=5,
            resolved_at=at(16, 10, 5),
        )
        .ev("answered", at(16, 10), "bot", entry="vpn-setup", version=1)
        .ev("self_solved", at(16, 10, 5))
        .ev("csat", at(16, 10, 6), score=5),
        # 2: answered, never a word back: silent.
        Story(
            "slack",
            "how to install vpn",
            "network",
            at(16, 11),
            status="answered",
            faq_entry_id="vpn-setup",
            faq_version=1,
        ).ev("answered", at(16, 11), "bot", entry="vpn-setup", version=1),
        # 3: not solved -> escalated, first response after 60 business minutes, resolved after 240, rated 4.
        Story(
            "telegram",
            "wifi putus terus",
            "network",
            at(17, 9),
            status="resolved",
            faq_entry_id="wifi-connect",
            faq_version=2,
            priority="normal",
            escalated_at=at(17, 9, 6),
            first_response_at=at(17, 10, 6),
            resolved_at=at(17, 13, 6),
            owner=sari,
            owner_name="Sari",
            rating=4,
            **esc,
        )
        .ev("answered", at(17, 9), "bot", entry="wifi-connect", version=2)
        .ev("not_solved", at(17, 9, 5))
        .ev("escalated", at(17, 9, 6), "bot", reason="not_solved", priority="normal")
        .ev("claimed", at(17, 9, 30), sari)
        .ev("relayed", at(17, 10, 6), sari, direction="to_user")
        .ev("resolved", at(17, 13, 6), sari)
        .ev("csat", at(17, 13, 30), score=4),
        # 4: no match on Friday 16:30; answered Monday 08:45 (75 business minutes); waiting on the user.
        Story(
            "slack",
            "printer lantai 3 tidak bisa scan ke email",
            "printing",
            at(20, 16, 30),
            status="waiting_user",
            priority="normal",
            escalated_at=at(20, 16, 30),
            first_response_at=at(23, 8, 45),
            owner=rina,
            owner_name="Rina",
            **esc,
        )
        .ev("escalated", at(20, 16, 30), "bot", reason="no_match", priority="normal")
        .ev("claimed", at(23, 8, 45), rina, auto=True)
        .ev("relayed", at(23, 8, 45), rina, direction="to_user"),
        # 5: none fit, high: first response after 90 business minutes (target 60: breached); resolved,
        #    reopened the next morning, resolved again 538 business minutes after escalation (target 540).
        Story(
            "console",
            "scan ke email gagal di printer lantai 3",
            "printing",
            at(18, 10),
            status="resolved",
            priority="high",
            escalated_at=at(18, 10, 2),
            first_response_at=at(18, 11, 32),
            resolved_at=at(19, 10),
            owner=budi,
            owner_name="Budi",
            **esc,
        )
        .ev("escalated", at(18, 10, 2), "bot", reason="none_fit", priority="high")
        .ev("claimed", at(18, 11, 30), budi)
        .ev("relayed", at(18, 11, 32), budi, direction="to_user")
        .ev("resolved", at(18, 15, 2), budi)
        .ev("reopened", at(19, 9))
        .ev("resolved", at(19, 10), budi),
        # 6: /ticket with no FAQ answer on Thursday 14:00; nobody answered: first response due Friday 09:00.
        Story(
            "telegram",
            "aplikasi absensi tidak bisa dibuka",
            "software",
            at(19, 14),
            status="open",
            priority="normal",
            escalated_at=at(19, 14),
            **esc,
        ).ev("escalated", at(19, 14), "bot", reason="asked", priority="normal"),
        # 7: a security incident on Saturday night, claimed Monday 08:05 but not answered by 08:15.
        Story(
            "telegram",
            "klik link phishing",
            "security",
            at(21, 20),
            status="claimed",
            priority="urgent",
            escalated_at=at(21, 20),
            owner=sari,
            owner_name="Sari",
            **esc,
        )
        .ev("security", at(21, 20), "bot", incident="phishing")
        .ev("escalated", at(21, 20), "bot", reason="security:phishing", priority="urgent")
        .ev("claimed", at(23, 8, 5), sari),
        # 8: no match, withdrawn by the user twenty minutes later (no breach: closed before the due time).
        Story(
            "slack",
            "monitor kedip-kedip",
            "hardware",
            at(18, 16),
            status="closed",
            priority="normal",
            escalated_at=at(18, 16, 1),
            closed_at=at(18, 16, 20),
            **esc,
        )
        .ev("escalated", at(18, 16, 1), "bot", reason="no_match", priority="normal")
        .ev("cancelled", at(18, 16, 20)),
        # 9: "not solved" pressed, then the user left before a ticket opened: gave up.
        Story(
            "console",
            "printer offline",
            "printing",
            at(19, 15),
            status="answered",
            faq_entry_id="printer-offline",
            faq_version=1,
        )
        .ev("answered", at(19, 15), "bot", entry="printer-offline", version=1)
        .ev("not_solved", at(19, 15, 3)),
        # Outside the week: Sunday before, and this Monday.
        Story("telegram", "lupa password", "account", at(15, 23), status="self_service"),
        Story("telegram", "lupa password lagi", "account", at(23, 8, 30), status="self_service"),
    ]
    return stories


def store(uow_factory: Any, stories: list[Story]) -> None:
    with uow_factory() as uow:
        for story in stories:
            ticket = uow.tickets.add(story.ticket)
            for event in story.events:
                event.ticket_id = ticket.id
                uow.tickets.add_event(event)
        uow.commit()


def as_input(stories: list[Story], period: Period) -> ReportInput:
    """The stories as the repository hands them out: numbered, and only those opened in ``period``."""
    tickets, events = [], {}
    for number, story in enumerate(stories, start=1):
        ticket = dataclasses.replace(story.ticket, id=number)
        events[number] = [dataclasses.replace(e, ticket_id=number) for e in story.events]
        assert ticket.created_at is not None
        if period.start <= ticket.created_at < period.end:
            tickets.append(ticket)
    open_now = sum(1 for s in stories if s.ticket.is_open)
    tickets.sort(key=lambda t: (t.created_at, t.id))  # as list_created_between orders them
    return ReportInput(tuple(tickets), events, open_now)


@pytest.fixture(scope="module")
def week_report() -> Report:
    """The recap of the known week, computed from the records (the database path is checked below)."""
    return compute(as_input(known_week(), WEEK), WEEK, NOW, OPTIONS)


def test_the_database_gives_the_same_report(uow_factory: Any, week_report: Report) -> None:
    store(uow_factory, known_week())
    with uow_factory() as uow:
        from_db = build_report(uow, WEEK, NOW, OPTIONS)
    assert render_csv(from_db) == render_csv(week_report)
    assert render_text(from_db, "en") == render_text(week_report, "en")
    assert from_db.open_now == week_report.open_now == 3


# ----------------------------------------------------------------------------------- periods
def test_periods_in_the_desk_timezone() -> None:
    assert (WEEK.first_day, WEEK.last_day, WEEK.key) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
        "week:2026-11-16",
    )
    assert WEEK.start == datetime(2026, 11, 16, tzinfo=JAKARTA)
    day = period_before("day", NOW, JAKARTA)
    assert (day.first_day, day.last_day) == (date(2026, 11, 22), date(2026, 11, 22))
    # 23:30 UTC on the 22nd is already the 23rd in Jakarta.
    assert period_containing("day", datetime(2026, 11, 22, 23, 30, tzinfo=UTC), JAKARTA).first_day == date(
        2026, 11, 23
    )
    month = period_before("month", NOW, JAKARTA)
    assert (month.first_day, month.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    january = period_before("month", datetime(2027, 1, 5, tzinfo=UTC), JAKARTA)
    assert january.first_day == date(2026, 12, 1) and len(january.days()) == 31
    custom = period_between(date(2026, 11, 1), date(2026, 11, 3), JAKARTA)
    assert custom.key == "range:2026-11-01:2026-11-03" and len(custom.days()) == 3


# ----------------------------------------------------------------------------------- figures
def test_every_counter_of_a_known_week(week_report: Report) -> None:
    r = week_report
    assert r.total == 9
    assert r.by_channel == {"telegram": 4, "slack": 3, "console": 2}
    assert r.by_category == {"network": 3, "printing": 3, "hardware": 1, "security": 1, "software": 1}
    assert r.by_priority == {"normal": 4, "high": 1, "urgent": 1}
    assert r.outcomes == {
        "self_service": 1,
        "silent": 1,
        "pending_feedback": 0,
        "abandoned": 1,
        "resolved": 2,
        "open": 3,
        "closed": 1,
    }
    assert sum(r.outcomes.values()) == r.total  # one outcome per ticket
    assert r.escalated == 6
    assert r.escalation_rate == pytest.approx(6 / 9) and r.self_service_rate == pytest.approx(1 / 9)
    assert r.reopened == 1
    assert r.open_now == 3


def test_times_are_business_hours_aware(week_report: Report) -> None:
    first = week_report.first_response
    assert first.count == 3  # tickets 3, 4 and 5: 60, 75 (Friday 16:30 -> Monday 08:45) and 90 minutes
    assert first.median == pytest.approx(75) and first.p90 == pytest.approx(87)
    resolution = week_report.resolution
    assert resolution.count == 2  # 240 and 538 (over the reopening)
    assert resolution.median == pytest.approx(389) and resolution.p90 == pytest.approx(240 + 0.9 * 298)
    by_id = {f.ticket.id: f for f in week_report.tickets}
    assert by_id[4].first_response_minutes == pytest.approx(75)
    assert by_id[5].resolution_minutes == pytest.approx(538)


def test_sla_breaches(week_report: Report) -> None:
    r = week_report
    breached = sorted(f.ticket.id or 0 for f in r.tickets if f.first_response_breached)
    assert breached == [5, 6, 7]  # 90 > 60; nobody by Friday 09:00; urgent due Monday 08:15
    assert r.first_response_breaches == 3 and r.resolution_breaches == 0 and r.sla_breaches == 3


def test_satisfaction_and_faq_entries(week_report: Report) -> None:
    csat = week_report.satisfaction
    assert (csat.count, csat.average, csat.distribution) == (2, 4.5, (0, 0, 0, 1, 1))
    entries = {u.entry_id: u for u in week_report.faq_entries}
    assert [u.entry_id for u in week_report.faq_entries] == ["vpn-setup", "printer-offline", "wifi-connect"]
    vpn = entries["vpn-setup"]
    assert (vpn.served, vpn.helpful, vpn.not_helpful, vpn.silent, vpn.helpful_ratio) == (2, 1, 0, 1, 1.0)
    assert (entries["wifi-connect"].not_helpful, entries["wifi-connect"].helpful_ratio) == (1, 0.0)
    versions = {(u.entry_id, u.version): u.served for u in week_report.faq_versions}
    assert versions == {("vpn-setup", 1): 2, ("printer-offline", 1): 1, ("wifi-connect", 2): 1}


def test_faq_gaps_are_grouped_by_similarity(week_report: Report) -> None:
    gaps = [(g.count, g.tickets) for g in week_report.gaps]
    # The two scan-to-email questions are one gap; the security incident and the ticket the FAQ
    # answered first (#3) are not gaps.
    assert gaps == [(2, (5, 4)), (1, (6,)), (1, (8,))]  # in the order they were asked
    assert "scan" in week_report.gaps[0].example


def test_workload(week_report: Report) -> None:
    loads = [
        (s.name, s.claimed, s.resolved, s.first_responses, s.median_first_response)
        for s in week_report.workload
    ]
    assert loads == [("Sari", 2, 1, 1, 60.0), ("Budi", 1, 1, 1, 90.0), ("Rina", 1, 0, 1, 75.0)]


def test_daily_series(week_report: Report) -> None:
    daily = {day.day: {k: v for k, v in counts.items() if v} for day, counts in week_report.daily}
    assert daily == {
        16: {"self_service": 1, "silent": 1},
        17: {"resolved": 1},
        18: {"resolved": 1, "closed": 1},
        19: {"open": 1, "abandoned": 1},
        20: {"open": 1},
        21: {"open": 1},
        22: {},
    }


def test_feedback_window_decides_silent_or_pending() -> None:
    answered = Story(
        "telegram", "q", "email", NOW - timedelta(minutes=30), status="answered", faq_entry_id="e"
    )
    answered.ticket.id = 1
    answered.ev("answered", NOW - timedelta(minutes=30), "bot", entry="e", version=1)
    data = ReportInput((answered.ticket,), {1: answered.events})
    today = period_containing("day", NOW, JAKARTA)
    assert compute(data, today, NOW, OPTIONS).outcomes["pending_feedback"] == 1
    assert compute(data, today, NOW + timedelta(minutes=31), OPTIONS).outcomes["silent"] == 1


def test_similarity_and_percentiles() -> None:
    assert token_similarity("Printer lantai 3 tidak bisa scan", "printernya lantai 3 gak bisa scan") == 1.0
    assert token_similarity("monitor kedip-kedip", "layar monitor berkedip") > 0.5
    assert token_similarity("wifi mati", "aplikasi absensi error") == 0.0
    groups = group_questions([(1, "vpn error 809"), (2, "outlook crash"), (3, "VPN error 809 lagi")])
    assert [(g.count, g.tickets) for g in groups] == [(2, (1, 3)), (1, (2,))]
    assert percentile([], 0.5) is None
    assert percentile([10, 20, 30, 40], 0.5) == 25 and percentile([7], 0.9) == 7


def test_empty_period(uow_factory: Any) -> None:
    with uow_factory() as uow:
        report = build_report(uow, WEEK, NOW, OPTIONS)
    assert report.total == 0 and report.escalation_rate is None and report.first_response.median is None
    assert "No tickets" in render_summary(report, "en")
    assert render_png(report, "en").startswith(b"\x89PNG")


# ------------------------------------------------------------------------------------ formats
def test_summary_text_and_markdown(week_report: Report) -> None:
    summary = render_summary(week_report, "en")
    lines = summary.splitlines()
    assert lines[0] == "Helpdesk recap, week Mon 16 Nov - Sun 22 Nov"
    assert "Tickets: 9 (Telegram 4, Slack 3, Console 2)" in summary
    assert "Solved by the FAQ (confirmed): 1 (11%); no feedback: 1; gave up: 1" in summary
    assert "Escalated to specialists: 6 (67%): resolved 2, still open 3, closed 1" in summary
    assert "First response: median 1 h 15 min, 90% within 1 h 27 min (business hours)" in summary
    assert "SLA breaches: 3" in summary and "Satisfaction: 4.5/5 from 2 rating(s)" in summary
    assert '"printer lantai 3 tidak bisa scan ke email" ×2' in summary or "scan ke email" in summary
    assert len(lines) <= 16 and max(len(line) for line in lines) < 200  # short enough for a phone
    indonesian = render_summary(week_report, "id")
    assert indonesian.startswith("Rekap helpdesk mingguan, Sen 16 Nov - Min 22 Nov")
    assert "Diteruskan ke spesialis: 6 (67%)" in indonesian
    text = render_text(week_report, "en")
    assert "Questions the bot could not answer (FAQ gaps)" in text and "#5 #4" in text
    markdown = render_markdown(week_report, "en")
    assert markdown.startswith("# Helpdesk recap") and "| FAQ entry | Version |" in markdown
    assert "| wifi-connect | 2 | 1 | 0 | 1 | 0% |" in markdown


def test_csv_round_trips(week_report: Report) -> None:
    text = render_csv(week_report)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed == csv_rows(week_report)
    assert list(parsed[0]) == list(CSV_COLUMNS)
    row = {r["ticket"]: r for r in parsed}["5"]
    assert (row["outcome"], row["reopened"], row["sla_breached"], row["escalation_reason"]) == (
        "resolved",
        "yes",
        "yes",
        "none_fit",
    )
    assert row["resolution_business_minutes"] == "538.0" and row["created_at"] == "2026-11-18T10:00:00+07:00"


def test_png_is_a_chart_of_the_expected_size(week_report: Report) -> None:
    png = render_png(week_report, "id")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
    assert len(png) > 20_000  # bars, labels and legend, not an empty canvas


# ------------------------------------------------------------------------------- chat command
async def test_report_command_for_admins_only(world: DeskWorld) -> None:
    world.engine.config = dataclasses.replace(world.config, admins=frozenset({"console:desk:boss"}))
    HelpdeskJobs(world.engine, JobConfig(policy=POLICY, report_options=OPTIONS)).install()
    await world.user_says("lupa password email")  # answered from the FAQ: one ticket
    out = await world.desk_says("/report week now", who="sari")  # a specialist, not an admin
    assert len(out) == 1 and "hanya admin" in out[0].text and out[0].message.image is None
    out = await world.user_says("/report")  # a user in their own chat
    assert "hanya admin" in out[0].text
    out = await world.desk_says("/report week now", who="boss")
    assert out[0].text.startswith("Rekap helpdesk mingguan") and "Tiket: 1" in out[0].text
    assert out[1].message.image is not None and out[1].message.image.startswith(b"\x89PNG")
    out = await world.desk_says("/report fortnight", who="boss")
    assert "/report week" in out[0].text
    with world.uow_factory() as uow:
        audit = [
            (a.actor, a.action, a.detail.get("allowed")) for a in uow.audit.recent() if a.action == "report"
        ]
    assert audit.count(("console:desk:boss", "report", True)) == 1
    assert ("console:desk:sari", "report", False) in audit and ("console:budi", "report", False) in audit


# ---------------------------------------------------------------------------------------- CLI
def test_cli_demo_data_then_report(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "HELPDESK_LANGUAGE": "en"}
    runner = CliRunner()
    # Two weeks back, so the last complete week is wholly covered whatever the day and hour of the run
    # (early on a Monday in Jakarta the week in progress has no tickets yet).
    result = runner.invoke(app, ["demo-data", "--weeks", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["demo-data", "--weeks", "1"], env=env).exit_code == 1  # not twice by accident
    result = runner.invoke(app, ["report", "--period", "week", "--format", "csv"], env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and set(rows[0]) == set(CSV_COLUMNS)
    today = datetime.now(JAKARTA).date()
    first = (today - timedelta(days=today.weekday())).isoformat()
    result = runner.invoke(
        app,
        ["report", "--from", first, "--to", today.isoformat(), "--format", "markdown", "--out", "r.md"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Helpdesk recap")
    assert runner.invoke(app, ["report", "--format", "png"], env=env).exit_code == 2  # png needs --out
    assert runner.invoke(app, ["report", "--from", "2026-13-01"], env=env).exit_code == 2


def test_period_key_is_stable() -> None:
    assert Period("day", WEEK.start, WEEK.start + timedelta(days=1)).key == "day:2026-11-16"
