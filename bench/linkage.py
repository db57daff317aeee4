"""Benchmark (not a test): the dbt linkage against a pandas implementation of the same steps.

    python bench/linkage.py [--scale 1] [--from 2018-01 --to 2019-12] [--out DIR]

1. generates two national years (`--scale 1`: ~25 M stays, ~0.45 M plans) and loads them;
2. builds the stays and plans models (`int_stays`, `int_plans`: the inputs of the linkage);
3. times `dbt build` of the linkage models alone (steps 1-5, window, fct_plans_linked, with
   their data tests excluded) and its peak memory (max RSS of the dbt process);
4. times a pandas implementation of steps 1-5 and the window on the same inputs, read from
   the same DuckDB tables (the read is timed apart from the linkage);
5. checks that both give identical statuses for every plan, and prints the figures.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.core import ingest  # noqa: E402
from synthetic.writer import write_extract  # noqa: E402

LINKAGE = ("int_linkage__step1_one_plan_per_sender_day int_linkage__step2_plan_stay_pairs "
           "int_linkage__step3_pairs_not_before_stay int_linkage__step4_nearest_stay "
           "int_linkage__step5_one_plan_per_stay int_linkage__timeliness_window "
           "fct_plans_linked")


def dbt(args: list[str], warehouse: Path, target: Path) -> tuple[float, float]:
    """Run dbt; returns (seconds, peak RSS of the dbt process in MB)."""
    env = {**os.environ, "GOP_WAREHOUSE_PATH": str(warehouse),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", ".",
           "--target-path", str(target), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT / "dbt_project", env=env, check=True)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def read_inputs(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The linkage's inputs (plans, stays) as pandas frames with datetime columns, and dbt's
    status per plan from the same warehouse."""
    con = duckdb.connect(str(warehouse), read_only=True)
    stays = con.execute("""select stay_key, person_key, stay_type, stay_start_date,
        stay_end_date, stay_end_year from intermediate.int_stays""").df()
    plans = con.execute("""select plan_id, person_key, sender_code, sent_at, sent_date,
        sent_year from intermediate.int_plans""").df()
    by_dbt = con.execute("select plan_id, status from marts.fct_plans_linked").df()
    con.close()
    for df, cols in ((stays, ["stay_start_date", "stay_end_date"]), (plans, ["sent_date"])):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    return plans, stays, by_dbt


def pandas_linkage(plans: pd.DataFrame, stays: pd.DataFrame) -> pd.Series:
    """Steps 1-5 and the window of docs/method.md with merge + sort; returns status per plan."""
    plans = plans.sort_values(["sent_at", "plan_id"])
    # Step 1: first plan per person, sender, day.
    step1 = plans.drop_duplicates(["person_key", "sender_code", "sent_date"], keep="first")
    # Step 2: pairs with stays ending in Y-1 or Y (merge on person and stay end year).
    years = pd.concat([step1.assign(stay_end_year=step1.sent_year - 1),
                       step1.assign(stay_end_year=step1.sent_year)], ignore_index=True)
    pairs = years[["plan_id", "person_key", "sent_at", "sent_date", "stay_end_year"]].merge(
        stays, on=["person_key", "stay_end_year"], how="inner")
    pairs["delay"] = (pairs["sent_date"] - pairs["stay_end_date"]).dt.days
    # Step 3: not sent before the stay.
    adm = pairs["stay_type"].to_numpy() == "admission"
    keep = np.where(adm, pairs["sent_date"] >= pairs["stay_start_date"], pairs["delay"] >= 0)
    pairs = pairs[keep]
    # Step 4: nearest stay; ties admission first, later start, smaller key.
    pairs = pairs.assign(abs_delay=pairs["delay"].abs(),
                         outpatient=(pairs["stay_type"] != "admission").astype(np.int8),
                         neg_start=-pairs["stay_start_date"].to_numpy().astype("int64"))
    pairs = pairs.sort_values(["plan_id", "abs_delay", "outpatient", "neg_start", "stay_key"])
    nearest = pairs.drop_duplicates("plan_id", keep="first")
    # Step 5: first plan per stay.
    linked = nearest.sort_values(["sent_at", "plan_id"]).drop_duplicates("stay_key", keep="first")
    low = np.where(linked["stay_type"] == "admission", -1, 0)
    inside = (linked["delay"] >= low) & (linked["delay"] <= 14)
    status = pd.Series("excluded_duplicate", index=plans["plan_id"].to_numpy())
    status[step1["plan_id"].to_numpy()] = "excluded_no_stay"
    status[nearest["plan_id"].to_numpy()] = "excluded_supplement"
    status[linked["plan_id"].to_numpy()] = np.where(inside, "linked", "excluded_tail")
    return status


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--from", dest="first", default="2018-01")
    p.add_argument("--to", dest="last", default="2019-12")
    p.add_argument("--out", type=Path)
    p.add_argument("--reuse", action="store_true", help="keep an existing landing/warehouse")
    args = p.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="gop-bench-"))
    landing, warehouse, target = root / "landing", root / "bench.duckdb", root / "target"

    if not (args.reuse and warehouse.exists()):
        shutil.rmtree(landing, ignore_errors=True)
        warehouse.unlink(missing_ok=True)
        t = time.perf_counter()
        write_extract(landing, scale=args.scale, seed=1, first_month=args.first,
                      last_month=args.last)
        print(f"generate {args.first}..{args.last} scale {args.scale}: "
              f"{time.perf_counter() - t:.0f} s")
        con = duckdb.connect(str(warehouse))
        t = time.perf_counter()
        ingest.load(con, landing, ingest.delivery_months(landing))
        ingest.load_snapshot(con, landing)
        con.close()
        print(f"ingest: {time.perf_counter() - t:.0f} s")
        s, mb = dbt(["build", "--select",
                     "+int_stays +int_plans +int_residence__addresses timeliness_groups",
                     "--exclude", "test_type:data test_type:unit"], warehouse, target)
        print(f"dbt stays + plans (inputs of the linkage): {s:.1f} s, peak {mb:,.0f} MB")

    con = duckdb.connect(str(warehouse), read_only=True)
    n_stays = con.execute("select count(*) from intermediate.int_stays").fetchone()[0]
    n_plans = con.execute("select count(*) from intermediate.int_plans").fetchone()[0]
    con.close()
    print(f"inputs: {n_stays:,} stays, {n_plans:,} plans")

    s_dbt, mb_dbt = dbt(["run", "--select", LINKAGE], warehouse, target)
    print(f"dbt linkage models (steps 1-5, window, fct_plans_linked): {s_dbt:.1f} s, "
          f"peak RSS of dbt {mb_dbt:,.0f} MB")

    t = time.perf_counter()
    plans, stays, sql_status = read_inputs(warehouse)
    read_s = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    status = pandas_linkage(plans, stays)
    s_pd = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas linkage: {s_pd:.1f} s (+ {read_s:.1f} s to read the inputs), "
          f"peak RSS of this process {rss1:,.0f} MB (before the linkage {rss0:,.0f} MB)")
    merged = sql_status.set_index("plan_id")["status"].sort_index()
    same = merged.equals(status.sort_index().rename("status").rename_axis("plan_id"))
    diff = (merged != status.reindex(merged.index)).sum()
    print(f"identical statuses: {same} ({diff} of {len(merged):,} plans differ)")
    print(status.value_counts().to_string())
    if args.out is None:
        shutil.rmtree(root)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
