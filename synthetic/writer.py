"""Write a generated extract as the landing directory of docs/extract-contract.md."""

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.core.contract import TABLE_BY_KEY, TABLES, Table
from synthetic import columns as col
from synthetic.frame import month_index
from synthetic.generator import draw_skeleton, month_tables

# Key spaces: width and offset of each generated identifier (all digits, fixed width so
# that text order is number order, which step 1's "smallest plan id" relies on).
KEY_FORMAT = {
    "recnum": (12, 100_000_000_000),
    "kontakt": (15, 300_000_000_000_000),
    "forloeb": (15, 500_000_000_000_000),
    "procedure": (15, 700_000_000_000_000),
    "plan": (12, 200_000_000_000),
}
UNKNOWN_MUNICIPALITY = "998"  # not in reference/municipalities.csv: quarantined


@dataclass
class GenerationReport:
    out: Path
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class _Formatter:
    def __init__(self, seed: int, muni_codes: list[str]):
        self.salt = (seed * 2654435761) % (2**61)
        self.muni_codes = muni_codes + [UNKNOWN_MUNICIPALITY]

    def column(self, spec: tuple) -> pa.Array:
        kind, *args = spec
        if kind == "person":
            return col.hex_keys(args[0], self.salt)
        if kind in KEY_FORMAT:
            width, offset = KEY_FORMAT[kind]
            keys = col.digit_keys(args[0], width, offset)
            return _mask(keys, args[1]) if len(args) > 1 else keys
        if kind == "pick":
            return col.pick(args[0], args[1])
        if kind == "date":
            return col.dates(*args)
        if kind == "time":
            return col.times(*args)
        if kind == "timestamp":
            return col.timestamps(*args)
        if kind == "int":
            return pa.array(args[0].astype(np.int32))
        if kind == "object":
            return pa.array(list(args[0]), type=pa.string())
        if kind == "muni":
            idx = args[0]  # -1 is the unknown code, the last of muni_codes
            return col.pick(self.muni_codes, np.where(idx < 0, len(self.muni_codes) - 1, idx))
        unit = args[0]
        hospital = [f"{1301 + h:04d}" for h in range(int(unit.max(initial=0)) // 5 + 1)]
        department = [f"{11 + 10 * d:03d}" for d in range(5)]
        if kind == "sgh":
            return col.pick(hospital, unit // 5)
        if kind == "afd":
            return col.pick(department, unit % 5)
        if kind == "sgh_afd":
            return pa.compute.binary_join_element_wise(
                col.pick(hospital, unit // 5), col.pick(department, unit % 5), "")
        if kind == "sor":
            return col.digit_keys(unit * 7919 + 12345, 15, 600_000_000_000_000)
        raise ValueError(f"unknown column kind {kind}")


def _mask(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    return pa.compute.if_else(pa.array(valid), arr, pa.nulls(len(arr), arr.type))


def _month_name(index: int) -> str:
    return str(np.datetime64(index, "M"))


class _MonthFiles:
    """Rows waiting for their delivery month's file, written once the month is complete.

    Pieces of a (month, table) are kept in the order they arrive, and arrive in the order of
    the generated months, so a file's bytes do not depend on how many months are generated
    at a time (`chunk_months`)."""

    def __init__(self, out: Path, file_format: str, first_month: int, last_month: int,
                 report: "GenerationReport"):
        self.out, self.file_format, self.report = out, file_format, report
        self.first_month, self.last_month = first_month, last_month
        self.pending: dict[tuple[int, str], list[pa.Table]] = {}
        self.written_before = first_month  # LPR months before this one are written

    def add(self, table: Table, arrow: pa.Table, spec: dict) -> None:
        kind, days, *valid = spec[table.month_column]
        month = month_index(days)
        inside = (month >= self.first_month) & (month <= self.last_month)
        if kind == "date" and valid:
            inside &= valid[0]
        rows = np.flatnonzero(inside)
        rows = rows[np.argsort(month[rows], kind="stable")]
        months = month[rows]
        arrow = arrow.take(pa.array(rows))
        bounds = list(np.flatnonzero(np.r_[True, months[1:] != months[:-1]])) if len(rows) else []
        ends = bounds[1:] + [len(rows)] if bounds else []
        for b, e in zip(bounds, ends, strict=True):
            if int(months[b]) < self.written_before:
                raise AssertionError(f"{table.key}: rows for {_month_name(int(months[b]))}, "
                                     "whose file is written already")
            self.pending.setdefault((int(months[b]), table.key), []).append(
                arrow.slice(b, e - b))
        self.report.rows[table.key] = self.report.rows.get(table.key, 0) + len(rows)

    def flush(self, before: int | None = None) -> None:
        """Write every month earlier than `before` (all when None)."""
        for month, key in sorted(k for k in self.pending if before is None or k[0] < before):
            pieces = self.pending.pop((month, key))
            path = self.out / TABLE_BY_KEY[key].relative_path(_month_name(month))
            self.report.files += _write(pa.concat_tables(pieces), path, self.file_format)
        if before is not None:
            self.written_before = max(self.written_before, before)


def write_extract(
    out: Path,
    scale: float = 0.01,
    seed: int = 20160501,
    first_month: str = "2015-01",
    last_month: str = "2021-12",
    file_format: str = "csv",
    calibrate: bool = False,
    municipality_codes: list[str] | None = None,
    chunk_months: int = 1,
) -> GenerationReport:
    """Generate and write a landing directory; returns what was written.

    The LPR tables are generated `chunk_months` months at a time and each month's files are
    written when no later month can add to them, so memory holds a few months, not the
    extract (seven national years in at most 2 GB, docs/benchmarks.md). The bytes are the same for
    any `chunk_months`: each month is drawn from its own random stream (generator.py)."""
    if chunk_months < 1:
        raise ValueError("chunk_months must be at least 1")
    started = time.perf_counter()
    skeleton, global_tables, facts = draw_skeleton(scale, seed, first_month, last_month,
                                                   calibrate, municipality_codes)
    fmt = _Formatter(seed, [m.code for m in skeleton.frame.munis])
    report = GenerationReport(out=out)
    months = skeleton.frame.months()
    files = _MonthFiles(out, file_format, months[0], months[-1], report)

    def add(tables: list[dict[str, dict]]) -> None:
        for table in TABLES:
            specs = [t[table.key] for t in tables if table.key in t]
            if not specs:
                continue
            spec = {c: _concat([s[c] for s in specs]) for c in table.column_names}
            arrow = pa.table({c: fmt.column(spec[c]) for c in table.column_names})
            if table.partitioned:
                files.add(table, arrow, spec)
            else:
                report.files += _write(arrow, out / table.relative_path(None), file_format)
                report.rows[table.key] = arrow.num_rows

    add([global_tables])
    files.flush()  # the GOP months: no LPR table shares a file with them
    del global_tables  # at national volume most of the global draw's memory
    n_stays = 0
    for i in range(0, len(months), chunk_months):
        chunk = months[i:i + chunk_months]
        drawn = [month_tables(skeleton, m) for m in chunk]
        n_stays += sum(m.stays for m in drawn)
        add([m.tables for m in drawn])
        files.flush(before=chunk[-1] + 1)
        # Arrow's allocator keeps freed blocks for reuse; give them back between chunks, or
        # the resident size grows with the LPR3 months' larger tables.
        pa.default_memory_pool().release_unused()
    files.flush()

    report.facts = {**asdict(facts), "stays": n_stays}
    report.seconds = time.perf_counter() - started
    return report


def _concat(specs: list[tuple]) -> tuple:
    """One column spec from the same column of several months: arrays joined, the rest
    (a kind, a list of values to pick from) as the first month's."""
    if len(specs) == 1:
        return specs[0]
    kind, *rest = specs[0]
    joined = [np.concatenate([s[1 + i] for s in specs]) if isinstance(a, np.ndarray) else a
              for i, a in enumerate(rest)]
    return (kind, *joined)


def _write(table: pa.Table, path: Path, file_format: str) -> int:
    path = path.with_suffix(".parquet" if file_format == "parquet" else ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if file_format == "parquet":
        pq.write_table(table, tmp)
    else:
        pa_csv.write_csv(col.to_csv_columns(table), tmp,
                         pa_csv.WriteOptions(quoting_style="needed"))
    tmp.replace(path)  # a reader never sees a half-written file
    return 1
