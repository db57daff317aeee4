"""Benchmark (not a test): the platform at national volume, as SDS runs it: seven
national years, rebuilt and refreshed monthly (docs/benchmarks.md).

    python bench/national.py [--root DIR] [--scale 1] [--from 2015-01] [--to 2021-12]
                             [--redeliver 2019-06] [--pandas-from 2018-01 --pandas-to 2019-12]
                             [--reuse-source]

1. generates the whole range with `gop generate` (seven national years by default);
2. full rebuild: `gop run` on every month but the last, everything on (raw gates, dbt
   models and tests, GX gates, exports), on a fresh warehouse and Dagster instance;
3. monthly refresh: the last month is delivered and `gop run` brings everything up to date;
4. re-delivery: a month in the middle comes again with a few rows changed, `gop run`;
5. a second full rebuild of the final landing directory on a fresh warehouse, whose
   exports must be byte-identical to those of the incremental runs, and every incrementally
   built table equal row for row;
6. the linkage (steps 1-5 and the window) at the full range, and against the pandas
   implementation of bench/linkage.py on the largest volume pandas fits (two years).

Prints one table: step, wall seconds, peak memory (the largest single process and the sum
of all processes of the step, sampled every 0.1 s), rows; then each target
with its figure and whether it is met. Every step runs as a separate process, as a user
would run it; nothing here is a test.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))

from linkage import LINKAGE, pandas_linkage, read_inputs  # noqa: E402


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    peak_process_mb: float = 0.0
    peak_total_mb: float = 0.0
    processes: dict[str, float] = field(default_factory=dict)  # process -> peak MB
    rows: str = ""
    output: str = ""


def _label(proc: psutil.Process) -> str:
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "?"
    words = [Path(c).name for c in cmd[:4]]
    for known in ("gop", "dbt"):
        if known in words:
            i = words.index(known)
            return " ".join(words[i:i + 2])
    return " ".join(words[:2])


def run(name: str, cmd: list[str], env: dict[str, str] | None = None,
        cwd: Path | None = None) -> Step:
    """Run a command, sampling the resident memory of it and its children."""
    step = Step(name)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    root = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = 0.0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    mb = p.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                total += mb
                label = _label(p)
                step.processes[label] = max(step.processes.get(label, 0.0), mb)
                step.peak_process_mb = max(step.peak_process_mb, mb)
            step.peak_total_mb = max(step.peak_total_mb, total)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    step.seconds = time.perf_counter() - started
    step.output = output
    if proc.returncode != 0:
        print(output[-4000:])
        raise SystemExit(f"{name}: {' '.join(cmd)} exited {proc.returncode}")
    return step


def months_between(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def link_month(source: Path, landing: Path, month: str) -> None:
    """Deliver a month into the landing directory as hard links (no copy of GBs)."""
    for path in sorted((source / month).rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(path, target)


def redeliver(landing: Path, month: str) -> str:
    """The month again with a few rows changed: three plans fewer, three plans sent at
    another time of the same day, three virtual LPR3 contacts fewer. New files, never
    written through the hard links into the generated source."""
    def rewrite(path: Path, change) -> None:
        with open(path, encoding="utf-8", newline="") as fh:
            header, *rows = list(csv.reader(fh))
        rows = change(header, rows)
        path.unlink()  # the hard link, not the source's file
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([header, *rows])

    def plans(header, rows):
        sent = header.index("afsendt_tidspunkt")
        for i in (40, 50, 60):
            rows[i][sent] = rows[i][sent][:11] + "23:59:00"
        return [r for i, r in enumerate(rows) if i not in (10, 20, 30)]

    def contacts(header, rows):
        kind = header.index("kontakttype")
        virtual = [i for i, r in enumerate(rows) if r[kind] != "ALCA00"][:3]
        return [r for i, r in enumerate(rows) if i not in virtual]

    rewrite(landing / month / "gop" / "t_ggop.csv", plans)
    changes = ["gop/t_ggop: 3 plans fewer, 3 sent later the same day"]
    if (landing / month / "lpr3" / "kontakter.csv").exists():
        rewrite(landing / month / "lpr3" / "kontakter.csv", contacts)
        changes.append("lpr3/kontakter: 3 virtual contacts fewer")
    return "; ".join(changes)


def platform_env(root: Path, landing: Path) -> dict[str, str]:
    return {"GOP_LANDING_DIR": str(landing), "GOP_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
            "GOP_EXPORT_DIR": str(root / "exports"), "DAGSTER_HOME": str(root / "dagster_home"),
            "GOP_GX_DIR": str(root / "gx"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "GX_ANALYTICS_ENABLED": "false"}


def gop_run(name: str, root: Path, landing: Path) -> Step:
    step = run(name, [str(BIN / "gop"), "run"], platform_env(root, landing))
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    raw = con.execute("select sum(row_count) from raw._deliveries").fetchone()[0]
    plans = con.execute("select count(*) from marts.fct_plans_linked").fetchone()[0]
    con.close()
    step.rows = f"{raw:,} raw, {plans:,} plans"
    return step


def ingestion_seconds(root: Path) -> float:
    """Wall time of the ingestion runs (job ingest_deliveries) in a Dagster instance."""
    from dagster import DagsterInstance, RunsFilter

    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    with DagsterInstance.get() as instance:
        runs = instance.get_runs(RunsFilter(job_name="ingest_deliveries"))
        stats = [instance.get_run_stats(r.run_id) for r in runs]
    return sum(s.end_time - s.start_time for s in stats if s.end_time and s.start_time)


def csv_mb(landing: Path, months: list[str]) -> float:
    return sum(p.stat().st_size for m in months for p in (landing / m).rglob("*.csv")) / 1e6


def same_exports(a: Path, b: Path) -> tuple[bool, list[str]]:
    names_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    if names_a != names_b:
        return False, sorted(set(names_a) ^ set(names_b))
    differ = [n for n in names_a if (a / n).read_bytes() != (b / n).read_bytes()]
    return not differ, differ


def incremental_tables() -> list[str]:
    """The dbt models built incrementally (schema.name), from the project's manifest."""
    manifest = json.loads((ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    return sorted(f"{n['schema']}.{n['name']}" for n in manifest["nodes"].values()
                  if n["resource_type"] == "model"
                  and n["config"]["materialized"] == "incremental")


def same_tables(a: Path, b: Path) -> list[str]:
    """The incrementally built tables that differ (as multisets of rows) between two
    warehouses: the incremental one must hold what a full rebuild makes."""
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    differ = []
    for t in incremental_tables():
        extra = con.execute(f"select count(*) from (select * from a.{t} except all "
                            f"select * from b.{t})").fetchone()[0]
        missing = con.execute(f"select count(*) from (select * from b.{t} "
                              f"except all select * from a.{t})").fetchone()[0]
        if extra or missing:
            differ.append(f"{t} ({extra} rows more, {missing} fewer)")
    con.close()
    return differ


def dbt_linkage(warehouse: Path, target: Path) -> tuple[Step, float]:
    """`dbt run` of the linkage models; returns the step and the models' own seconds (from
    run_results.json, without dbt's start-up)."""
    env = {"GOP_WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # --full-refresh: the linkage models are incremental, and on a refreshed warehouse a
    # plain run rebuilds nothing (int_linkage__relinked_from is 9999-12-31).
    step = run("linkage (dbt run)", [str(BIN / "dbt"), "run", "--select", LINKAGE,
                                     "--full-refresh", "--profiles-dir", ".",
                                     "--target-path", str(target), "--quiet"],
               env, cwd=ROOT / "dbt_project")
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    return step, sum(r["execution_time"] for r in results["results"])


def linkage_subset(full: Path, subset: Path, first_year: int, last_year: int) -> int:
    """The inputs of the linkage for plans sent in first_year..last_year (and the stays they
    can pair with, ending in first_year - 1 .. last_year) in a warehouse of their own."""
    subset.unlink(missing_ok=True)
    con = duckdb.connect(str(subset))
    con.execute(f"attach '{full}' as full_wh (read_only)")
    for schema in ("intermediate", "reference"):
        con.execute(f"create schema {schema}")
    con.execute("create table intermediate.int_plans as select * from "
                f"full_wh.intermediate.int_plans where sent_year between {first_year} and "
                f"{last_year}")
    con.execute("create table intermediate.int_stays as select * from "
                f"full_wh.intermediate.int_stays where stay_end_year between "
                f"{first_year - 1} and {last_year}")
    con.execute("create table intermediate.int_residence__addresses as select * from "
                "full_wh.intermediate.int_residence__addresses")
    con.execute("create table reference.timeliness_groups as select * from "
                "full_wh.reference.timeliness_groups")
    plans = con.execute("select count(*) from intermediate.int_plans").fetchone()[0]
    con.close()
    return plans


def pandas_worker(subset: Path) -> None:
    """In a process of its own (its memory apart): time the pandas linkage on the subset's
    inputs and compare its statuses with dbt's fct_plans_linked there."""
    plans, stays, by_dbt = read_inputs(subset)
    t = time.perf_counter()
    status = pandas_linkage(plans, stays)
    seconds = time.perf_counter() - t
    merged = by_dbt.set_index("plan_id")["status"].sort_index()
    same = merged.equals(status.sort_index().rename("status").rename_axis("plan_id"))
    print(json.dumps({"seconds": seconds, "same": bool(same)}))


def pandas_step(subset: Path) -> tuple[Step, bool]:
    step = run("linkage (pandas, same steps)",
               [sys.executable, __file__, "--pandas-worker", str(subset)])
    result = json.loads(step.output.strip().splitlines()[-1])
    step.seconds = result["seconds"]  # the linkage alone, without reading its inputs
    return step, result["same"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", type=Path, default=ROOT / "data" / "bench-national")
    p.add_argument("--scale", default="1")
    p.add_argument("--from", dest="first", default="2015-01")
    p.add_argument("--to", dest="last", default="2021-12")
    p.add_argument("--redeliver", default="2019-06")
    p.add_argument("--pandas-from", type=int, default=2018)
    p.add_argument("--pandas-to", type=int, default=2019)
    p.add_argument("--reuse-source", action="store_true",
                   help="keep a generated source from an earlier run (the generator is then "
                        "not measured)")
    p.add_argument("--pandas-worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.pandas_worker:
        pandas_worker(args.pandas_worker)
        return
    root, source, landing = args.root, args.root / "source", args.root / "landing"
    months = months_between(args.first, args.last)
    steps: list[Step] = []
    cores = os.cpu_count() or 1
    print(f"bench/national.py: scale {args.scale}, {args.first} .. {args.last}, "
          f"{cores} cores, {psutil.virtual_memory().total / 2**30:.0f} GB", flush=True)

    if not (args.reuse_source and (source / "cpr").is_dir()):
        shutil.rmtree(source, ignore_errors=True)
        step = run("generate", [str(BIN / "gop"), "generate", "--out", str(source),
                                "--scale", args.scale, "--from", args.first, "--to", args.last])
        step.rows = f"{csv_mb(source, months):,.0f} MB CSV"
        steps.append(step)
        print(f"  {step.name}: {step.seconds:.0f} s", flush=True)
    for name in ("landing", "incremental", "rebuild", "linkage"):
        shutil.rmtree(root / name, ignore_errors=True)
    for month in months[:-1]:
        link_month(source, landing, month)
    link_month(source, landing, "cpr")

    inc, full = root / "incremental", root / "rebuild"
    steps.append(gop_run(f"full rebuild, {len(months) - 1} months", inc, landing))
    print(f"  {steps[-1].name}: {steps[-1].seconds:.0f} s", flush=True)
    ingest_s = ingestion_seconds(inc)
    ingest_mb = csv_mb(landing, months[:-1])

    link_month(source, landing, months[-1])
    steps.append(gop_run(f"monthly refresh, {months[-1]} delivered", inc, landing))
    print(f"  {steps[-1].name}: {steps[-1].seconds:.0f} s", flush=True)

    changed = redeliver(landing, args.redeliver)
    steps.append(gop_run(f"re-delivery of {args.redeliver}", inc, landing))
    steps[-1].rows += f" ({changed})"
    print(f"  {steps[-1].name}: {steps[-1].seconds:.0f} s", flush=True)

    steps.append(gop_run(f"full rebuild of the same landing, {len(months)} months", full,
                         landing))
    print(f"  {steps[-1].name}: {steps[-1].seconds:.0f} s", flush=True)
    identical, differ = same_exports(inc / "exports", full / "exports")
    tables_differ = same_tables(inc / "warehouse.duckdb", full / "warehouse.duckdb")

    link_step, link_models_s = dbt_linkage(full / "warehouse.duckdb", root / "linkage" / "t")
    link_step.rows = f"{len(months)} months; models alone {link_models_s:.1f} s"
    steps.append(link_step)
    subset = root / "linkage" / "subset.duckdb"
    plans = linkage_subset(full / "warehouse.duckdb", subset, args.pandas_from, args.pandas_to)
    sub_step, sub_models_s = dbt_linkage(subset, root / "linkage" / "s")
    sub_step.name = f"linkage (dbt run), plans {args.pandas_from}-{args.pandas_to}"
    sub_step.rows = f"{plans:,} plans; models alone {sub_models_s:.1f} s"
    steps.append(sub_step)
    pd_step, same_status = pandas_step(subset)
    pd_step.rows = f"{plans:,} plans; statuses identical to dbt: {same_status}"
    steps.append(pd_step)

    print()
    print("| step | wall s | peak MB (largest process) | peak MB (all processes) | rows |")
    print("|---|---:|---:|---:|---|")
    for s in steps:
        print(f"| {s.name} | {s.seconds:.1f} | {s.peak_process_mb:,.0f} | "
              f"{s.peak_total_mb:,.0f} | {s.rows} |")
    print()
    for s in steps:
        if s.processes:
            print(f"{s.name}: " + ", ".join(f"{k} {v:,.0f} MB" for k, v in
                                            sorted(s.processes.items(), key=lambda kv: -kv[1])))
    gen = next((s for s in steps if s.name == "generate"), None)
    rebuild = next(s for s in steps if s.name.startswith("full rebuild,"))
    refresh = next(s for s in steps if s.name.startswith("monthly refresh"))
    redelivery = next(s for s in steps if s.name.startswith("re-delivery"))
    mb_per_core = ingest_mb / ingest_s / cores if ingest_s else 0.0
    targets = [
        ("generator peak <= 2 GB", gen.peak_total_mb if gen else "not measured "
         "(--reuse-source)", gen is not None and gen.peak_total_mb <= 2048),
        ("full rebuild <= 600 s", rebuild.seconds, rebuild.seconds <= 600),
        ("full rebuild peak <= 6 GB", rebuild.peak_total_mb, rebuild.peak_total_mb <= 6144),
        ("monthly refresh <= 90 s", refresh.seconds, refresh.seconds <= 90),
        ("monthly refresh peak <= 4 GB", refresh.peak_total_mb, refresh.peak_total_mb <= 4096),
        ("re-delivery <= 180 s", redelivery.seconds, redelivery.seconds <= 180),
        ("exports byte-identical to a full rebuild", "yes" if identical else
         f"no: {', '.join(differ[:5])}", identical),
        (f"{len(incremental_tables())} incremental tables identical to a full rebuild",
         "yes" if not tables_differ else
         f"no: {', '.join(tables_differ)}", not tables_differ),
        ("ingestion with raw gates >= 40 MB/s per core",
         f"{mb_per_core:.1f} ({ingest_mb:,.0f} MB in {ingest_s:.0f} s, {cores} cores)",
         mb_per_core >= 40),
        ("linkage <= 15 s at the full range", f"{link_models_s:.1f} (dbt wall "
         f"{link_step.seconds:.1f})", link_models_s <= 15),
        ("linkage >= 5x pandas", f"{pd_step.seconds / max(sub_models_s, 1e-9):.1f}x "
         f"({pd_step.seconds:.1f} s vs {sub_models_s:.1f} s)",
         pd_step.seconds >= 5 * sub_models_s and same_status),
    ]
    print()
    print("| target | measured | met |")
    print("|---|---|---|")
    for name, value, met in targets:
        shown = f"{value:,.1f}" if isinstance(value, float) else value
        print(f"| {name} | {shown} | {'yes' if met else 'NO'} |")
    print()
    print("all targets met" if all(m for *_, m in targets) else "NOT all targets met")


if __name__ == "__main__":
    main()
