"""Writing exports: atomic files, and the charts of seed 003 (Figur 7 and 9).

An export is written to a temporary file beside its target and renamed over it, so the
previous export stays whole until the new one is complete (docs/extract-contract.md,
"Exports": the exports of the last good run stay as they were).
"""

import base64
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.core.plan_types import plan_type_codes
from orchestration.core.sql import scalar

# Small counts (1-4) are not shown in a chart: the same rule as the published table
# (seed 000's note: "<5"), so no unsuppressed small count leaves the platform.
SMALL_COUNT_MAX = 4

PLANS_LINKED_SQL = """
select
    plan_id,
    plan_type,
    strftime(sent_date, '%Y-%m-%d') as sent_date,
    status,
    case when status in ('linked', 'excluded_tail') then stay_type end as stay_type,
    case when status in ('linked', 'excluded_tail')
        then strftime(stay_end_date, '%Y-%m-%d') end as stay_end_date,
    case when status in ('linked', 'excluded_tail') then delay_days end as delay_days,
    case when status = 'linked' then timeliness_group end as timeliness_group
from marts.fct_plans_linked
order by plan_id
"""


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path that replaces `target` only when the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    """Write a query to CSV (UTF-8, comma, header; empty field for null). Returns rows."""
    with atomic_path(target) as tmp:
        con.execute(f"COPY ({sql}) TO '{tmp}' (FORMAT csv, HEADER true, DELIMITER ',')")
    return scalar(con, f"SELECT count(*) FROM ({sql})")


def png_markdown(png: bytes, alt: str) -> str:
    """A PNG as Markdown the Dagster UI renders inline."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display on a server), imported
    only when a chart is drawn: it is slow to import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def delay_chart(con: duckdb.DuckDBPyConnection, plan_type: str) -> bytes | None:
    """Seed 003 Figur 7 for every analysis year: plans by delay, stacked by stay type.

    Bars of 1-4 plans are left out (hatched marker at zero) so no small count is shown.
    """
    plt = _pyplot()
    rows = con.execute(
        """select analysis_year, stay_type, greatest(least(delay_days, 30), -15) as d,
                  sum(plan_count) as n
           from marts.mart_delay_distribution where plan_type = ?
           group by all order by 1, 2, 3""", [plan_type]).fetchall()
    if not rows:
        return None
    years = sorted({r[0] for r in rows})
    cols = min(3, len(years))
    nrows = (len(years) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(5 * cols, 3.2 * nrows), squeeze=False,
                             sharex=True)
    for ax, year in zip(axes.flat, years, strict=False):
        bottom: dict[int, int] = {}
        for stay_type, color in (("admission", "#c0392b"), ("outpatient", "#2e86c1")):
            pts = [(d, n) for y, s, d, n in rows if y == year and s == stay_type]
            shown = [(d, n) for d, n in pts if n > SMALL_COUNT_MAX]
            hidden = [d for d, n in pts if 0 < n <= SMALL_COUNT_MAX]
            ax.bar([d for d, _ in shown], [n for _, n in shown],
                   bottom=[bottom.get(d, 0) for d, _ in shown], color=color, label=stay_type,
                   width=0.9)
            for d, n in shown:
                bottom[d] = bottom.get(d, 0) + n
            if hidden:
                ax.plot(hidden, [0] * len(hidden), "x", color=color, markersize=4)
        ax.axvspan(-1.5, 14.5, color="#2ecc71", alpha=0.08)
        ax.set_title(f"{year}")
        ax.set_yscale("symlog")
    for ax in list(axes.flat)[len(years):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Figur 7: {plan_type} plans by days from stay end to sending "
                 "(green: window; x: 1-4 plans, not shown; -15/30 collect the tails)",
                 fontsize=10)
    fig.supxlabel("days (negative: sent during the admission)")
    png = _figure_bytes(fig)
    plt.close(fig)
    return png


def timeliness_chart(con: duckdb.DuckDBPyConnection) -> bytes | None:
    """Seed 003 Figur 9 for every year and plan type: shares of linked plans by group."""
    plt = _pyplot()
    rows = con.execute(
        """select plan_type, analysis_year, timeliness_group, plan_count
           from marts.mart_timeliness_groups where area_level = 'national'
           order by 1, 2""").fetchall()
    if not rows:
        return None
    types = plan_type_codes()
    groups = [("timely", "#27ae60"), ("days_2_7", "#f1c40f"), ("days_8_14", "#e67e22")]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6), squeeze=False)
    for ax, plan_type in zip(axes.flat, types, strict=True):
        years = sorted({r[1] for r in rows if r[0] == plan_type})
        totals = {y: sum(r[3] for r in rows if r[0] == plan_type and r[1] == y) for y in years}
        bottom = [0.0] * len(years)
        for group, color in groups:
            counts = [next((r[3] for r in rows if r[0] == plan_type and r[1] == y
                            and r[2] == group), 0) for y in years]
            # A share built on 1-4 plans is left out (the same rule as the published table).
            shares = [100 * c / totals[y] if c > SMALL_COUNT_MAX else 0
                      for c, y in zip(counts, years, strict=True)]
            ax.bar([str(y) for y in years], shares, bottom=bottom, color=color, label=group)
            bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
        ax.set_title(plan_type)
        ax.set_ylim(0, 100)
        ax.set_ylabel("% of linked plans")
    axes.flat[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Figur 9: linked plans by timeliness group (groups of 1-4 plans not shown)",
                 fontsize=10)
    png = _figure_bytes(fig)
    plt.close(fig)
    return png
