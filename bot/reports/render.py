"""Recaps as people read them: a short chat message, full text or markdown, CSV, and a PNG chart.

Every word comes from :mod:`bot.texts` in the language asked for. matplotlib (Agg backend, no
display) is imported only here, and only when a chart is drawn.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot import texts
from bot.reports.figures import OUTCOMES, Report

CHART_WIDTH_PX = 1000
CHART_HEIGHT_PX = 1300
CHART_DPI = 125
SUMMARY_TOP = 3

OUTCOME_COLOURS: dict[str, str] = {
    "self_service": "#2a9d8f",
    "silent": "#a8dadc",
    "pending_feedback": "#d9d9d9",
    "abandoned": "#f4a261",
    "resolved": "#264653",
    "open": "#e63946",
    "closed": "#8d99ae",
}

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


# ------------------------------------------------------------------------------------ helpers
def _t(lang: str, key: str, **fields: Any) -> str:
    return texts.text(lang, key, **fields)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _mins(lang: str, minutes: float | None) -> str:
    return _t(lang, "report_none") if minutes is None else _t(lang, "minutes", minutes=minutes)


def _channel(name: str) -> str:
    return name[:1].upper() + name[1:]


def category_label(category: str, lang: str) -> str:
    """A category's name for people (the id itself when it has no text)."""
    key = f"category_{category}"
    label = _t(lang, key)
    return category if label == key else label


def title(report: Report, lang: str) -> str:
    """The recap's title, e.g. "Helpdesk recap, week Mon 17 Nov - Sun 23 Nov"."""
    period = report.period
    if period.kind == "day":
        return _t(lang, "report_title_day", day=_t(lang, "date_long", day=period.first_day))
    if period.kind == "month":
        return _t(lang, "report_title_month", month=_t(lang, "month_year", day=period.first_day))
    key = "report_title_week" if period.kind == "week" else "report_title_range"
    first, last = period.first_day, period.last_day
    last_text = (
        _t(lang, "date_long", day=last) if period.kind == "range" else _t(lang, "date_short", day=last)
    )
    return _t(lang, key, first=_t(lang, "date_short", day=first), last=last_text)


def _generated(report: Report, lang: str) -> str:
    tz: tzinfo | None = report.period.start.tzinfo
    when = report.generated_at.astimezone(tz)
    stamp = f"{_t(lang, 'date_short', day=when.date())} {when:%H:%M}"
    return _t(lang, "report_generated", when=stamp, timezone=str(tz))


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
            rate=_pct(report.self_service_rate),
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
            rate=_pct(report.escalation_rate),
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
        return [[label(k), str(v), _pct(v / total)] for k, v in mapping.items()]

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
                [_t(lang, f"outcome_{k}"), str(report.outcomes[k]), _pct(report.outcomes[k] / total)]
                for k in OUTCOMES
            ]
            + [
                [_t(lang, "report_escalation_rate"), str(report.escalated), _pct(report.escalation_rate)],
                [
                    _t(lang, "report_self_service_rate"),
                    str(report.outcomes["self_service"]),
                    _pct(report.self_service_rate),
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
                    _pct(u.helpful_ratio),
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
                    _pct(u.helpful_ratio),
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
    out = [render_summary(report, lang), "", _generated(report, lang)]
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
        f"_{_generated(report, lang)}_",
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


# -------------------------------------------------------------------------------------- chart
def _subtitle(report: Report, lang: str) -> str:
    csat = report.satisfaction
    parts = [
        _t(
            lang,
            "report_tickets",
            total=report.total,
            channels=", ".join(f"{_channel(k)} {v}" for k, v in report.by_channel.items()) or "-",
        ),
        f"{_t(lang, 'report_self_service_rate')} {_pct(report.self_service_rate)}",
        f"{_t(lang, 'report_escalation_rate')} {_pct(report.escalation_rate)}",
    ]
    if csat.average is not None:
        parts.append(_t(lang, "report_csat_average", average=f"{csat.average:.1f}", count=csat.count))
    return "   ·   ".join(parts[:2]) + "\n" + "   ·   ".join(parts[2:])


def render_png(report: Report, lang: str) -> bytes:
    """The chart (PNG, :data:`CHART_WIDTH_PX` x :data:`CHART_HEIGHT_PX`): tickets per day stacked by
    outcome, and tickets per category split the same way."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(CHART_WIDTH_PX / CHART_DPI, CHART_HEIGHT_PX / CHART_DPI), dpi=CHART_DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor("white")
    grid = figure.add_gridspec(
        2, 1, height_ratios=[3, 2], hspace=0.55, left=0.17, right=0.96, top=0.86, bottom=0.07
    )
    daily_ax = figure.add_subplot(grid[0])
    category_ax = figure.add_subplot(grid[1])
    figure.suptitle(title(report, lang), fontsize=17, fontweight="bold", y=0.975)
    figure.text(0.5, 0.915, _subtitle(report, lang), ha="center", va="center", fontsize=11.5, color="#333333")
    shown = [o for o in OUTCOMES if report.outcomes.get(o)] or ["self_service", "resolved", "open"]
    _daily_chart(daily_ax, report, lang, shown)
    _category_chart(category_ax, report, lang, shown)
    handles = [_legend_patch(OUTCOME_COLOURS[o], _t(lang, f"outcome_{o}")) for o in shown]
    daily_ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.42, -0.2),
        ncol=min(3, len(handles)),
        fontsize=10.5,
        frameon=False,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white")
    return buffer.getvalue()


def _legend_patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="none", label=label)


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=10.5)


def _daily_chart(ax: Any, report: Report, lang: str, shown: Sequence[str]) -> None:
    days = [day for day, _ in report.daily]
    weekly = len(days) != len(report.period.days())
    positions = list(range(len(days)))
    bottoms = [0] * len(days)
    for outcome in shown:
        values = [counts.get(outcome, 0) for _, counts in report.daily]
        ax.bar(
            positions,
            values,
            bottom=bottoms,
            color=OUTCOME_COLOURS[outcome],
            width=0.75,
            edgecolor="white",
            linewidth=0.6,
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    peak = max(bottoms, default=0)
    if len(days) <= 16:
        for x, height in zip(positions, bottoms, strict=True):
            if height:
                ax.text(x, height + peak * 0.015, str(height), ha="center", va="bottom", fontsize=10)
    step = max(1, len(days) // 14)
    ax.set_xticks(positions[::step])
    if len(days) <= 8:  # "Mon" over "16 Nov": fits a phone screen without rotating
        labels = [_t(lang, "date_short", day=d).replace(" ", "\n", 1) for d in days]
        ax.set_xticklabels(labels)
    else:
        ax.set_xticklabels(
            [_t(lang, "date_short", day=d) for d in days[::step]],
            rotation=45,
            ha="right",
            rotation_mode="anchor",
        )
    ax.set_xlim(-0.6, max(len(days) - 0.4, 0.6))
    ax.set_ylim(0, max(peak * 1.15, 1))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(
        _t(lang, "report_chart_weekly" if weekly else "report_chart_daily"), fontsize=13.5, loc="left", pad=10
    )
    ax.set_ylabel(_t(lang, "report_axis_tickets"), fontsize=11.5)
    ax.set_xlabel(_t(lang, "report_axis_week" if weekly else "report_axis_day"), fontsize=11.5)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    _style(ax)
    if report.total == 0:
        ax.text(
            0.5,
            0.5,
            _t(lang, "report_empty"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=13,
            color="#666666",
        )


def _category_chart(ax: Any, report: Report, lang: str, shown: Sequence[str]) -> None:
    categories = list(report.category_outcomes)[:9][::-1]  # largest on top
    positions = list(range(len(categories)))
    lefts = [0] * len(categories)
    for outcome in shown:
        values = [report.category_outcomes[c].get(outcome, 0) for c in categories]
        ax.barh(
            positions,
            values,
            left=lefts,
            color=OUTCOME_COLOURS[outcome],
            height=0.7,
            edgecolor="white",
            linewidth=0.6,
        )
        lefts = [a + v for a, v in zip(lefts, values, strict=True)]
    peak = max(lefts, default=0)
    for y, width in zip(positions, lefts, strict=True):
        ax.text(width + peak * 0.01, y, str(width), va="center", fontsize=10)
    ax.set_yticks(positions)
    ax.set_yticklabels([category_label(c, lang) for c in categories], fontsize=11)
    ax.set_xlim(0, max(peak * 1.1, 1))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(_t(lang, "report_chart_categories"), fontsize=13.5, loc="left", pad=10)
    ax.set_xlabel(_t(lang, "report_axis_tickets"), fontsize=11.5)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    _style(ax)
