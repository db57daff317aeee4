"""Benchmark (not a test): generator and ingestion throughput at national volume.

    python bench/generator_throughput.py [--scale 1] [--from 2018-01 --to 2018-12] [--out DIR]

Prints wall time, rows per second and peak memory (max RSS) of generating one year at
`--scale 1` (~175,000 persons with a plan, ~12 M outpatient visits), then of loading it into
a fresh DuckDB file with the platform's ingestion (all months in one transaction).
"""

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.core import ingest
from synthetic.writer import write_extract


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--from", dest="first", default="2018-01")
    p.add_argument("--to", dest="last", default="2018-12")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="gop-bench-"))
    landing = root / "landing"
    shutil.rmtree(landing, ignore_errors=True)

    t = time.perf_counter()
    report = write_extract(landing, scale=args.scale, seed=1, first_month=args.first,
                           last_month=args.last)
    gen_s = time.perf_counter() - t
    size = sum(f.stat().st_size for f in landing.rglob("*") if f.is_file()) / 1e6
    print(f"generate  scale={args.scale} {args.first}..{args.last}: {report.total_rows:,} rows, "
          f"{report.files} files, {size:,.0f} MB in {gen_s:.1f} s = "
          f"{report.total_rows / gen_s:,.0f} rows/s; peak RSS {peak_mb():,.0f} MB")
    for table, rows in report.rows.items():
        print(f"    {table:<28} {rows:>12,}")

    warehouse = root / "bench.duckdb"
    warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    months = ingest.delivery_months(landing)
    t = time.perf_counter()
    loaded = ingest.load(con, landing, months)
    ingest.load_snapshot(con, landing)
    ing_s = time.perf_counter() - t
    rows = sum(f.rows for f in loaded)
    print(f"ingest    {len(months)} months, {rows:,} rows, {size:,.0f} MB in {ing_s:.1f} s = "
          f"{rows / ing_s:,.0f} rows/s, {size / ing_s:,.0f} MB/s; peak RSS {peak_mb():,.0f} MB")
    con.close()
    if args.out is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
