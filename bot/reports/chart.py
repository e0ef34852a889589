"""The recap as a PNG chart: tickets per day by outcome, and the category breakdown. matplotlib (Agg
backend, no display) is imported only here, and only when a chart is drawn."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.reports.labels import _channel, _t, category_label, pct, title
from bot.reports.model import OUTCOMES, Report

CHART_WIDTH_PX = 1000

CHART_HEIGHT_PX = 1300

CHART_DPI = 125

OUTCOME_COLOURS: dict[str, str] = {
    "self_service": "#2a9d8f",
    "silent": "#a8dadc",
    "pending_feedback": "#d9d9d9",
    "abandoned": "#f4a261",
    "resolved": "#264653",
    "open": "#e63946",
    "closed": "#8d99ae",
}


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
        f"{_t(lang, 'report_self_service_rate')} {pct(report.self_service_rate)}",
        f"{_t(lang, 'report_escalation_rate')} {pct(report.escalation_rate)}",
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
