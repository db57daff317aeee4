"""Incremental refresh: what the next refresh must rebuild (docs/incremental-refresh.md).

Each load records, under a change number, the months it replaced and the persons whose
stays it can change (orchestration/core/ingest.py). A refresh then rebuilds the person-keyed
stay models for those persons only, unless it must rebuild everything: when no refresh has
completed yet, or when the dbt project's logic (models, macros, seeds, tests) differs from
the logic of the last complete refresh. Only a refresh whose every step succeeded records
itself; until then the same changes stay pending, so a failed gate fails again next time.
No Dagster here.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.core.contract import PARENT_TABLES
from orchestration.core.ingest import CHANGED_MONTHS_TABLE, CHANGED_PERSONS_TABLE, REFRESHES_TABLE
from orchestration.core.sql import scalar

# What the dbt models compute from: a change in any of these rebuilds everything.
LOGIC_PATHS = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def logic_fingerprint(project_dir: Path) -> str:
    """SHA-256 over the paths and contents of the dbt project's logic files."""
    digest = hashlib.sha256()
    for part in LOGIC_PATHS:
        root = project_dir / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class RefreshPlan:
    full: bool
    reason: str
    change_id: int  # the newest change this refresh covers
    months: tuple[str, ...] = ()  # the delivery months loaded since the last refresh
    # Whether one of those loads replaced loaded rows of a table other rows point at
    # (contract.PARENT_TABLES): the quarantine is then judged again whole.
    parents_replaced: bool = False


# A run tagged so rebuilds and judges everything (`gop run --full-refresh`, or the tag set
# when launching the refresh job in the UI).
FULL_REFRESH_TAG = "gop/full_refresh"


def plan_refresh(con: duckdb.DuckDBPyConnection, fingerprint: str,
                 forced: bool = False) -> RefreshPlan:
    """What the refresh under way does; the same for each of its steps, since only its last
    asset records it. Needs the tables of `ensure_raw_schema`."""
    last = con.execute(f"SELECT change_id, logic_fingerprint FROM {REFRESHES_TABLE} "
                       "ORDER BY change_id DESC, refreshed_at DESC LIMIT 1").fetchone()
    newest = scalar(con, f"SELECT coalesce(max(change_id), 0) FROM {CHANGED_MONTHS_TABLE}")
    done = last[0] if last else 0
    months = tuple(m for (m,) in con.execute(
        f"SELECT DISTINCT delivery_month FROM {CHANGED_MONTHS_TABLE} WHERE change_id > ? "
        "ORDER BY 1", [done]).fetchall())
    parents = ", ".join(f"'{t}'" for t in PARENT_TABLES)
    parents_replaced = scalar(
        con, f"SELECT count(*) > 0 FROM {CHANGED_MONTHS_TABLE} WHERE change_id > ? AND "
        f"replaced AND table_key IN ({parents})", [done])
    if forced:
        full, reason = True, "asked for (full refresh)"
    elif last is None:
        full, reason = True, "no refresh has completed yet"
    elif last[1] != fingerprint:
        full, reason = True, "the dbt project's logic changed since the last refresh"
    else:
        full, reason = False, f"incremental: {len(months)} delivery months loaded since"
    return RefreshPlan(full, reason, max(newest, done), months, parents_replaced)


def dbt_vars(plan: RefreshPlan) -> dict:
    """What dbt is told of an incremental refresh: the staging tests judge the rows of these
    months, named as values so that DuckDB skips the other months' row groups; the
    quarantine is judged again whole when a parent table's month was replaced."""
    return {"gop_incremental": True, "gop_pending_months": list(plan.months),
            "gop_parents_replaced": plan.parents_replaced}


# What an incremental refresh leaves out: the YAML unit tests are part of the logic
# fingerprint, so with the same fingerprint they passed at the last complete refresh and
# cannot fail now (a change of a model or its tests makes the refresh full). The seeds are
# fingerprinted too, but they are built: a seed asset not materialised would make Dagster
# skip every step below it, and they load in a tenth of a second.
UNCHANGED_BY_DATA = ("resource_type:unit_test",)


def dbt_connection_vars(warehouse_path: str, duckdb_settings: Mapping[str, str]) -> dict:
    """dbt's connection as `--vars`, which dbt_project/profiles.yml reads first: the file and
    the DuckDB settings the Dagster resource was given, without changing the environment
    of the process (dagster-dbt's `cli()` passes only the process's own environment)."""
    found = {"gop_warehouse_path": warehouse_path}
    for name in ("memory_limit", "temp_directory"):
        if name in duckdb_settings:
            found[f"gop_duckdb_{name}"] = duckdb_settings[name]
    return found


def dbt_build_args(plan: RefreshPlan, connection: Mapping[str, str] | None = None) -> list[str]:
    """The `dbt build` arguments of a layer step of the refresh under way, on `connection`
    (dbt_connection_vars; without it, the profile's environment defaults)."""
    given = dict(connection or {})
    if plan.full:
        return ["build", "--full-refresh"] + (["--vars", json.dumps(given)] if given else [])
    # One value, space-separated: dagster-dbt folds --exclude into its own selection and
    # takes a single value after the flag.
    return ["build", "--vars", json.dumps({**given, **dbt_vars(plan)}),
            "--exclude", " ".join(UNCHANGED_BY_DATA)]


def forced_by(tags: Mapping[str, str]) -> bool:
    return tags.get(FULL_REFRESH_TAG, "").lower() == "true"


def record_refresh(con: duckdb.DuckDBPyConnection, plan: RefreshPlan, fingerprint: str) -> None:
    """A refresh covering every change up to plan.change_id completed: record it, and drop
    the changes it covered."""
    con.execute("BEGIN TRANSACTION")
    con.execute(f"INSERT INTO {REFRESHES_TABLE} VALUES (?, ?, ?, ?)",
                [plan.change_id, fingerprint, plan.full, datetime.now().replace(microsecond=0)])
    for table in (CHANGED_PERSONS_TABLE, CHANGED_MONTHS_TABLE):
        con.execute(f"DELETE FROM {table} WHERE change_id <= ?", [plan.change_id])
    con.execute("COMMIT")
