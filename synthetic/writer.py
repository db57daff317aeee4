"""Write a generated extract as the landing directory of shared/data-contract.md."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.contract import TABLES
from synthetic import columns as col
from synthetic.generator import build_extract

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


def _month_index(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_name(index: int) -> str:
    return str(np.datetime64(index, "M"))


def write_extract(
    out: Path,
    scale: float = 0.01,
    seed: int = 20160501,
    first_month: str = "2015-01",
    last_month: str = "2021-12",
    file_format: str = "csv",
    calibrate: bool = False,
    municipality_codes: list[str] | None = None,
) -> GenerationReport:
    """Generate and write a landing directory; returns what was written."""
    started = time.perf_counter()
    extract, model = build_extract(scale, seed, first_month, last_month, calibrate,
                                   municipality_codes)
    fmt = _Formatter(seed, [m.code for m in model.munis])
    report = GenerationReport(out=out)
    first_m, last_m = _month_index(np.array([extract.first_day, extract.last_day]))
    for table in TABLES:
        spec = extract.tables[table.key]
        arrow = pa.table({c: fmt.column(spec[c]) for c in table.column_names})
        if not table.partitioned:
            report.files += _write(arrow, out / table.relative_path(None), file_format)
            report.rows[table.key] = arrow.num_rows
            continue
        kind, *args = spec[table.month_column]
        days = args[0]
        month = _month_index(days)
        inside = (month >= first_m) & (month <= last_m)
        if kind == "date" and len(args) > 1:
            inside &= args[1]
        rows = np.flatnonzero(inside)
        rows = rows[np.argsort(month[rows], kind="stable")]
        arrow = arrow.take(pa.array(rows))
        months = month[rows]
        bounds = list(np.flatnonzero(np.r_[True, months[1:] != months[:-1]])) if len(rows) else []
        ends = bounds[1:] + [len(rows)] if bounds else []
        for b, e in zip(bounds, ends, strict=True):
            path = out / table.relative_path(_month_name(int(months[b])))
            report.files += _write(arrow.slice(b, e - b), path, file_format)
        report.rows[table.key] = len(rows)

    report.facts = {
        "persons_in_population": model.n_pop,
        "plan_episodes": len(model.ep_person),
        "movers": model.n_movers,
        "emigrants": model.n_emigrants,
        "stays": len(model.st_person),
    }
    report.seconds = time.perf_counter() - started
    return report


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
