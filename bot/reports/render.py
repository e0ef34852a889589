"""Recaps as people read them: a short chat message, full text or markdown, CSV, and a PNG chart.

Every word comes from :mod:`bot.texts` in the language asked for. matplotlib (Agg backend, no
display) is imported only here, and only when a chart is drawn.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo
from typing import Any

from bot.reports.labels import _channel, _mins, _t, category_label, generated, pct, title
from bot.reports.model import OUTCOMES, Report

SUMMARY_TOP = 3

CSV_COLUMNS: tuple[str, ...] = (
    "ticket",
    "created_at",
    "channel",
    "category",
    "priority",
    "status",
    "outcome",
    "escalated",
    "escalation_reason",
    "faq_entry_id",
    "faq_version",
    "owner",
    "first_response_at",
    "first_response_business_minutes",
    "resolved_at",
    "resolution_business_minutes",
    "reopened",
    "sla_breached",
    "rating",
    "subject",
)


# ------------------------------------------------------------------------------------ summary
def render_summary(report: Report, lang: str) -> str:
    """The chat message: the key figures in a dozen short lines, readable on a phone."""
    lines = [title(report, lang)]
    if report.total == 0:
        lines.append(_t(lang, "report_empty"))
        lines.append(_t(lang, "report_open_now_line", count=report.open_now))
        return "\n".join(lines)
    o = report.outcomes
    channels = ", ".join(f"{_channel(name)} {count}" for name, count in report.by_channel.items())
    lines.append(_t(lang, "report_tickets", total=report.total, channels=channels))
    lines.append(
        _t(
            lang,
            "report_faq_line",
            count=o["self_service"],
            rate=pct(report.self_service_rate),
            silent=o["silent"],
            abandoned=o["abandoned"],
        )
    )
    if o["pending_feedback"]:
        lines.append(_t(lang, "report_pending_line", count=o["pending_feedback"]))
    lines.append(
        _t(
            lang,
            "report_escalated_line",
            count=report.escalated,
            rate=pct(report.escalation_rate),
            resolved=o["resolved"],
            open=o["open"],
            closed=o["closed"],
        )
    )
    lines.append(_t(lang, "report_reopened_line", days=report.reopen_days, count=report.reopened))
    if report.first_response.count:
        lines.append(
            _t(
                lang,
                "report_first_response_line",
                median=_mins(lang, report.first_response.median),
                p90=_mins(lang, report.first_response.p90),
            )
        )
    if report.resolution.count:
        lines.append(
            _t(
                lang,
                "report_resolution_line",
                median=_mins(lang, report.resolution.median),
                p90=_mins(lang, report.resolution.p90),
            )
        )
    lines.append(
        _t(
            lang,
            "report_sla_line",
            count=report.sla_breaches,
            first=report.first_response_breaches,
            resolution=report.resolution_breaches,
        )
    )
    csat = report.satisfaction
    if csat.count and csat.average is not None:
        lines.append(_t(lang, "report_csat_line", average=f"{csat.average:.1f}", count=csat.count))
    else:
        lines.append(_t(lang, "report_csat_none"))
    if report.faq_entries:
        items = ", ".join(
            f"{u.entry_id} {u.served} (👍{u.helpful} 👎{u.not_helpful})"
            for u in report.faq_entries[:SUMMARY_TOP]
        )
        lines.append(_t(lang, "report_top_faq_line", items=items))
    if report.gaps:
        items = "; ".join(f'"{_short(g.example)}" ×{g.count}' for g in report.gaps[:SUMMARY_TOP])
        lines.append(_t(lang, "report_gaps_line", items=items))
    if report.workload:
        items = ", ".join(
            _t(lang, "report_workload_item", name=s.name, resolved=s.resolved)
            for s in report.workload[:SUMMARY_TOP]
        )
        lines.append(_t(lang, "report_workload_line", items=items))
    lines.append(_t(lang, "report_open_now_line", count=report.open_now))
    return "\n".join(lines)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- text / markdown
def _sections(report: Report, lang: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, column names, rows) for every table of the full report."""
    total = report.total or 1
    count, share = _t(lang, "report_col_count"), _t(lang, "report_col_share")
    name = _t(lang, "report_col_name")

    def counts(mapping: dict[str, int], label: Any = str) -> list[list[str]]:
        return [[label(k), str(v), pct(v / total)] for k, v in mapping.items()]

    sections: list[tuple[str, list[str], list[list[str]]]] = [
        (_t(lang, "report_by_channel"), [name, count, share], counts(report.by_channel, _channel)),
        (
            _t(lang, "report_by_category"),
            [name, count, share],
            counts(report.by_category, lambda c: category_label(c, lang)),
        ),
        (
            _t(lang, "report_by_priority"),
            [name, count],
            [[_t(lang, f"priority_{k}"), str(v)] for k, v in report.by_priority.items()],
        ),
        (
            _t(lang, "report_section_outcomes"),
            [name, count, share],
            [
                [_t(lang, f"outcome_{k}"), str(report.outcomes[k]), pct(report.outcomes[k] / total)]
                for k in OUTCOMES
            ]
            + [
                [_t(lang, "report_escalation_rate"), str(report.escalated), pct(report.escalation_rate)],
                [
                    _t(lang, "report_self_service_rate"),
                    str(report.outcomes["self_service"]),
                    pct(report.self_service_rate),
                ],
                [_t(lang, "report_reopened", days=report.reopen_days), str(report.reopened), ""],
            ],
        ),
        (
            _t(lang, "report_section_times"),
            [
                _t(lang, "report_col_measure"),
                count,
                _t(lang, "report_col_median"),
                _t(lang, "report_col_p90"),
            ],
            [
                [
                    _t(lang, "report_first_response"),
                    str(report.first_response.count),
                    _mins(lang, report.first_response.median),
                    _mins(lang, report.first_response.p90),
                ],
                [
                    _t(lang, "report_resolution"),
                    str(report.resolution.count),
                    _mins(lang, report.resolution.median),
                    _mins(lang, report.resolution.p90),
                ],
            ],
        ),
        (
            _t(lang, "report_section_sla"),
            [_t(lang, "report_col_measure"), count],
            [
                [_t(lang, "report_breaches_first"), str(report.first_response_breaches)],
                [_t(lang, "report_breaches_resolution"), str(report.resolution_breaches)],
                [_t(lang, "report_breaches_total"), str(report.sla_breaches)],
            ],
        ),
        (
            _t(lang, "report_section_csat"),
            [_t(lang, "report_col_score"), count],
            [
                [f"{score} ★", str(n)]
                for score, n in zip(range(1, 6), report.satisfaction.distribution, strict=True)
            ],
        ),
        (
            _t(lang, "report_section_faq"),
            [
                _t(lang, f"report_col_{c}")
                for c in ("entry", "served", "helpful", "not_helpful", "asked_human", "silent", "ratio")
            ],
            [
                [
                    u.entry_id,
                    str(u.served),
                    str(u.helpful),
                    str(u.not_helpful),
                    str(u.asked_human),
                    str(u.silent),
                    pct(u.helpful_ratio),
                ]
                for u in report.faq_entries
            ],
        ),
        (
            _t(lang, "report_section_versions"),
            [
                _t(lang, f"report_col_{c}")
                for c in ("entry", "version", "served", "helpful", "not_helpful", "ratio")
            ],
            [
                [
                    u.entry_id,
                    str(u.version or "-"),
                    str(u.served),
                    str(u.helpful),
                    str(u.not_helpful),
                    pct(u.helpful_ratio),
                ]
                for u in report.faq_versions
            ],
        ),
        (
            _t(lang, "report_section_gaps"),
            [_t(lang, "report_col_question"), _t(lang, "report_col_asked"), _t(lang, "report_col_tickets")],
            [
                [_short(g.example, 80), str(g.count), " ".join(f"#{t}" for t in g.tickets[:8])]
                for g in report.gaps
            ],
        ),
        (
            _t(lang, "report_section_workload"),
            [_t(lang, f"report_col_{c}") for c in ("specialist", "claimed", "resolved", "first_response")],
            [
                [s.name, str(s.claimed), str(s.resolved), _mins(lang, s.median_first_response)]
                for s in report.workload
            ],
        ),
    ]
    return sections


def render_text(report: Report, lang: str) -> str:
    """The full recap as plain text: the summary, then every table."""
    out = [render_summary(report, lang), "", generated(report, lang)]
    if report.total == 0:
        return "\n".join(out) + "\n"
    for heading, columns, rows in _sections(report, lang):
        if not rows:
            continue
        out += ["", heading, "-" * len(heading)]
        widths = [max(len(str(c)), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        out.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in rows:
            out.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def render_markdown(report: Report, lang: str) -> str:
    """The full recap as markdown: the summary as a list, then every table."""
    summary = render_summary(report, lang).splitlines()
    out = [
        f"# {summary[0]}",
        "",
        *(f"- {_md(line)}" for line in summary[1:]),
        "",
        f"_{generated(report, lang)}_",
    ]
    if report.total == 0:
        return "\n".join(out) + "\n"
    for heading, columns, rows in _sections(report, lang):
        if not rows:
            continue
        out += [
            "",
            f"## {heading}",
            "",
            "| " + " | ".join(_md(c) for c in columns) + " |",
            "|" + "|".join("---" for _ in columns) + "|",
        ]
        out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------- CSV
def _iso(value: datetime | None, tz: tzinfo | None) -> str:
    return "" if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(report: Report) -> list[dict[str, str]]:
    """The tickets of the period as CSV rows (every value a string, times in the desk's timezone)."""
    tz = report.period.start.tzinfo
    rows = []
    for fact in report.tickets:
        t = fact.ticket
        rows.append(
            {
                "ticket": str(t.id),
                "created_at": _iso(t.created_at, tz),
                "channel": t.requester_platform,
                "category": t.category,
                "priority": str(t.priority),
                "status": str(t.status),
                "outcome": fact.outcome,
                "escalated": "yes" if t.escalated else "no",
                "escalation_reason": fact.reason or "",
                "faq_entry_id": t.faq_entry_id or "",
                "faq_version": "" if t.faq_version is None else str(t.faq_version),
                "owner": t.owner_name or "",
                "first_response_at": _iso(fact.first_response_at, tz),
                "first_response_business_minutes": _num(fact.first_response_minutes),
                "resolved_at": _iso(t.resolved_at, tz) if fact.outcome == "resolved" else "",
                "resolution_business_minutes": _num(fact.resolution_minutes),
                "reopened": "yes" if fact.reopened else "no",
                "sla_breached": "yes" if fact.sla_breached else "no",
                "rating": "" if t.rating is None else str(t.rating),
                "subject": t.subject,
            }
        )
    return rows


def render_csv(report: Report) -> str:
    """The tickets of the period as CSV (header row of :data:`CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(report))
    return buffer.getvalue()
