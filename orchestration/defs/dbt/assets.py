"""The dbt project as Dagster assets: every model and seed an asset, every dbt test a check,
one dbt step per layer.

Sources map to the raw ingestion assets by key (`lpr2/t_adm` ...), so raw -> staging ->
intermediate -> marts reads as one lineage graph. Groups are the dbt layers.
"""

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetMaterialization,
    Failure,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging.version import Version

from orchestration.core import dbt_rules, progress, refresh
from orchestration.core.ingest import ensure_raw_schema
from orchestration.core.paths import DBT_PROJECT_DIR
from orchestration.core.sql import scalar
from orchestration.defs.ingestion.assets import OWNERS
from orchestration.defs.resources import DUCKDB_POOL, Warehouse

LAYER_OWNERS = {
    "staging": OWNERS,
    "intermediate": ["team:data-engineering", "team:analytics"],
    "marts": ["team:analytics"],
    "reference": ["team:data-stewards"],
}


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


class LocalDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told dbt's version without asking the executable.

    Before its first invocation in a run, dagster-dbt runs `dbt --version` to learn which
    dbt it drives (dbt-core or the Fusion engine): one more dbt start-up, 2.1 s on this
    project's 2-core machine, in the part of a monthly refresh that does not shrink with
    the data (docs/incremental-refresh.md, "The fixed cost of a run"). When the executable
    is the dbt beside this Python, it is the dbt-core package installed here, and the
    package's metadata gives its version at once; any other executable is still asked.
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return Version(installed_version("dbt-core"))
        return super()._cli_version


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class LayeredTranslator(DagsterDbtTranslator):
    """Group by dbt layer (the folder under models/), seeds in `reference`."""

    @staticmethod
    def layer(props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        fqn = props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "staging"

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return self.layer(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return LAYER_OWNERS.get(self.layer(dbt_resource_props), OWNERS)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {**super().get_tags(dbt_resource_props), "layer": self.layer(dbt_resource_props)}

    def get_asset_check_spec(self, asset_spec, manifest: Mapping[str, Any], unique_id: str,
                             project) -> AssetCheckSpec | None:
        """Every dbt test's check says its rule and its source (orchestration/core/dbt_rules.py):
        dagster-dbt gives it none, and a steward could not tell which rule failed."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        test = manifest["nodes"][unique_id]
        parents = test.get("attached_node") or next(iter(test["depends_on"]["nodes"]), None)
        return spec._replace(description=dbt_rules.describe(test, manifest["nodes"].get(parents)))


def with_table_metadata(events, manifest: Mapping[str, Any], warehouse: Warehouse):
    """Add the column schema (with the dbt YAML's column descriptions) and the row count of
    its relation to each model's and seed's materialisation. Counts are of rows, never a
    value; a view's count runs its query."""
    nodes = manifest["nodes"]
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, Output | AssetMaterialization):
                uid = event.metadata.get("unique_id")
                node = nodes.get(getattr(uid, "value", uid))
                if node and node["resource_type"] in ("model", "seed"):
                    event = event.with_metadata({**event.metadata,
                                                 **_table_metadata(con, node)})
            yield event


def _table_metadata(con, node: Mapping[str, Any]) -> dict[str, Any]:
    schema, name = node["schema"], node.get("alias") or node["name"]
    described = {c: v.get("description") or None for c, v in node.get("columns", {}).items()}
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name]).fetchall()
    if not columns:  # not built in this run (a failed test upstream skipped it)
        return {}
    rows = scalar(con, f'select count(*) from "{schema}"."{name}"')
    meta: dict[str, Any] = {
        "dagster/column_schema": TableSchema(columns=[
            TableColumn(c, t, description=described.get(c)) for c, t in columns]),
        "dagster/row_count": rows,
        "dagster/table_name": f"warehouse.{schema}.{name}",
    }
    # A model may ask for a column's sums by another in its record (YAML config.meta
    # dagster_summary: {by, sum}); `gop status` reads the quarantine's rows per delivery
    # month from there, never from the warehouse (orchestration/app/status.py). Only counts
    # of rows, never of persons, are summed this way.
    summary = dbt_rules.node_meta(node).get("dagster_summary")
    if summary:
        by, total = summary["by"], summary["sum"]
        sums = con.execute(f'select "{by}", sum("{total}") from "{schema}"."{name}" '
                           "group by all order by all").fetchall()
        meta[f"{total}_by_{by}"] = MetadataValue.json({str(k): int(v) for k, v in sums})
    return meta


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def dbt_failures(run_results: Path, limit: int = 5) -> list[str]:
    """The failed models and tests of a dbt invocation, each with the first line of its
    message, from dbt's run_results.json. Quoted literals are cut out of the messages: a
    DuckDB error quotes the value it could not convert, and that may be a key."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    out = []
    for r in failed[:limit]:
        resource, _, name, *_ = r["unique_id"].split(".")  # test.project.name.hash
        message = (r.get("message") or r["status"]).strip().splitlines()
        first = _QUOTED.sub("'…'", message[0] if message else r["status"])[:200]
        out.append(f"{resource} {name}: {first}")
    if len(failed) > limit:
        out.append(f"… and {len(failed) - limit} more")
    return out


# dbt writes 5-10 MB per run (manifest, compiled SQL, log) into its run folder; monthly runs
# for years would fill the disk, so the newest are kept for debugging and the rest go.
KEEP_RUN_FOLDERS = 20
_DAY = 24 * 3600


def prune_run_folders(target: Path, keep: int = KEEP_RUN_FOLDERS) -> list[Path]:
    """Remove the run folders (`run-*`, and dagster-dbt's default `dbt_*-*-*`) under dbt's
    target folder beyond the newest `keep`; one younger than a day stays, since another
    checkout's run may still be writing it. Returns what was removed."""
    folders = [p for pattern in ("run-*", "dbt_*-*-*") for p in target.glob(pattern)
               if p.is_dir()]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    now = time.time()
    removed = [p for p in folders[keep:] if now - p.stat().st_mtime > _DAY]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


# One dbt invocation per layer, so the GX gates of a layer run between it and the next: a
# failing staging or intermediate gate stops the models downstream of it, not only the
# exports (docs/quality-gates.md). Seeds (code lists, municipalities) build with staging,
# before they are used. Every model and seed is in exactly one layer (tested).
LAYER_SELECTIONS = {
    "staging": "resource_type:seed path:models/staging",
    "intermediate": "path:models/intermediate",
    "marts": "path:models/marts",
}


def build_dbt_assets(project: DbtProject) -> list:
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest missing ({project.manifest_path.name}): run `make dbt-parse` "
            "(or `dbt parse` in dbt_project/) before loading the definitions")
    return [_layer_assets(project, layer, select)
            for layer, select in LAYER_SELECTIONS.items()]


def _layer_assets(project: DbtProject, layer: str, select: str):
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=select,
        dagster_dbt_translator=LayeredTranslator(),
        pool=DUCKDB_POOL,
        name=f"dbt_{layer}",
    )
    def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        # dbt is told the resource's warehouse as --vars (refresh.dbt_connection_vars), so dbt
        # and Dagster always write the same file; a dbt test runs in the first layer step
        # where all its parents are built (dbt_project.yml, flags: indirect_selection).
        connection = refresh.dbt_connection_vars(warehouse.path, warehouse.duckdb_settings)
        # The three layer steps of a run share a target folder: the first parses, the later
        # two reuse its partial parse (a full parse costs ~6 s more per step).
        target = project.project_dir / project.target_path
        prune_run_folders(target)
        # Incremental unless the last complete refresh is missing or ran other logic
        # (orchestration/core/refresh.py); every layer step of a run decides alike, since only
        # the run's last asset records the refresh.
        with warehouse.connect() as con:
            ensure_raw_schema(con)
            plan = refresh.plan_refresh(con, refresh.logic_fingerprint(project.project_dir),
                                        refresh.forced_by(context.run.tags))
        context.log.info(f"dbt build of the {layer} layer: "
                         f"{'full' if plan.full else 'incremental'} ({plan.reason})")
        invocation = dbt.cli(refresh.dbt_build_args(plan, connection), context=context,
                             target_path=target / f"run-{context.run.run_id[:8]}")
        try:
            # dbt holds DuckDB's one write lock until it exits, so the events wait for it:
            # then each materialisation gets its table's schema and row count.
            events: list[Any] = []
            models, tests = len(context.selected_asset_keys), len(
                context.selected_asset_check_keys)
            built = judged = 0
            tick = progress.Throttle()
            try:
                for event in invocation.stream():
                    events.append(event)
                    built += isinstance(event, Output | AssetMaterialization)
                    judged += isinstance(event, AssetCheckResult)
                    if tick.due():
                        context.log.info(progress.message(f"dbt: {built} of {models} models "
                                                          f"built, {judged} of {tests} tests run"))
            except DagsterDbtCliRuntimeError:
                # dagster-dbt's error names the command line only: say which model or test
                # failed, and why, so the run's summary and alert point at it.
                failures = dbt_failures(invocation.target_path / "run_results.json")
                yield from with_table_metadata(events, invocation.manifest, warehouse)
                raise Failure(description=f"dbt build of the {layer} layer failed: "
                              + ("; ".join(failures) or "see the dbt log of this step")
                              ) from None
            yield from with_table_metadata(events, invocation.manifest, warehouse)
        finally:
            # If the step ends early (an error while reading dbt's events, a cancelled run),
            # dbt must not live on as an orphan holding DuckDB's single write lock.
            if invocation.process.poll() is None:
                invocation.process.terminate()
                try:
                    invocation.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    invocation.process.kill()

    return _build
