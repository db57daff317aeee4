"""Raw ingestion assets: one asset per table of docs/extract-contract.md, keyed like the dbt
sources.

The monthly tables are one multi-asset, so that a delivery month loads atomically across its
tables (docs/extract-contract.md, "What bad input gets": nothing of a refused month is
written); a backfill of a range of months arrives as one run (single-run backfill policy)
and loads in one transaction.

The raw Great Expectations suites are checks of these assets, evaluated inside the asset on
the incoming rows *before* they are written (docs/stack.md: a blocking check does
not undo its asset's own write). A suite that fails refuses the whole delivery, so the
previous good rows stay; a row rule broken by fewer rows than the quarantine threshold lets
the delivery in and fails the check as a warning, naming the rows that go to quarantine.
"""

import time

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    asset,
    multi_asset,
)

from orchestration.core import ingest, progress, quality
from orchestration.core.contract import (
    DUCKDB_TYPE,
    LINEAGE_COLUMNS,
    MONTHLY_TABLES,
    SNAPSHOT_TABLES,
)
from orchestration.core.contract import Table as ContractTable
from orchestration.core.quality import DEFAULT_GATES
from orchestration.core.settings import GateSettings
from orchestration.core.sql import scalar
from orchestration.defs.ingestion.partitions import delivery_months
from orchestration.defs.quality.checks import check_metadata
from orchestration.defs.resources import DUCKDB_POOL, DataDocs, Landing, Warehouse

RAW_GROUP = "raw"
OWNERS = ["team:data-engineering"]


def raw_asset_key(table: ContractTable) -> AssetKey:
    """Equal to the dbt source name and table: lineage reads as one graph."""
    return AssetKey([table.register, table.name])


def _schema(table: ContractTable) -> TableSchema:
    cols = [TableColumn(c, DUCKDB_TYPE[k]) for c, k in table.columns]
    cols += [TableColumn(c, t, description="lineage") for c, t in LINEAGE_COLUMNS]
    return TableSchema(columns=cols)


def _spec(table: ContractTable) -> AssetSpec:
    where = (f"`<landing>/<YYYY-MM>/{table.register}/{table.name}.csv|parquet`"
             if table.partitioned else f"`<landing>/{table.register}/{table.name}.csv|parquet`")
    return AssetSpec(
        key=raw_asset_key(table),
        group_name=RAW_GROUP,
        description=(f"{table.description}. Loaded as delivered from {where} into DuckDB "
                     f"`{ingest.RAW_SCHEMA}.{table.key}` with lineage columns "
                     "(docs/extract-contract.md)."),
        kinds={"duckdb"},
        owners=OWNERS,
        tags={"layer": "raw", "register": table.register},
        metadata={"dagster/column_schema": _schema(table),
                  "dagster/table_name": f"warehouse.{ingest.RAW_SCHEMA}.{table.key}"},
    )


def _results(con, loaded: list[ingest.LoadedFile], tables) -> list[MaterializeResult]:
    results: list[MaterializeResult] = []
    for table in tables:
        mine = [f for f in loaded if f.table == table.key]
        total = scalar(con, f"SELECT count(*) FROM {ingest.RAW_SCHEMA}.{table.key}")
        results.append(MaterializeResult(
            asset_key=raw_asset_key(table),
            metadata={
                "dagster/row_count": total,
                "rows_loaded": sum(f.rows for f in mine),
                "months_loaded": len(mine),
                "files": MetadataValue.md("\n".join(
                    f"- `{f.file}` {f.rows} rows" if f.file else f"- {f.month}: no file"
                    for f in mine) or "none"),
            },
        ))
    return results


def raw_suites(tables, gates: GateSettings = DEFAULT_GATES) -> list[quality.SuiteSpec]:
    """The raw suites of these tables; with the default gates for the check specs (their
    names), with the run's own gates (DataDocs) when a delivery is judged."""
    keys = {t.key for t in tables}
    return [s for s in quality.load_suites(gates=gates) if s.layer == "raw" and s.table in keys]


def _check_specs(tables) -> list[AssetCheckSpec]:
    return [AssetCheckSpec(
        name=s.check_name, asset=AssetKey(list(s.asset_key)), blocking=True,
        description=f"Judged on each delivery before it is written. {s.description}")
        for s in raw_suites(tables)]


def _check_result(spec: quality.SuiteSpec, outcome: quality.SuiteOutcome) -> AssetCheckResult:
    if not outcome.success:
        passed, severity = False, AssetCheckSeverity.ERROR
    elif outcome.quarantined:
        passed, severity = False, AssetCheckSeverity.WARN
    else:
        passed, severity = True, AssetCheckSeverity.ERROR
    return AssetCheckResult(asset_key=AssetKey(list(spec.asset_key)), check_name=spec.check_name,
                            passed=passed, severity=severity, metadata=check_metadata(outcome))


def _load(context: AssetExecutionContext, warehouse: Warehouse, landing: Landing,
          data_docs: DataDocs, months: list[str], tables):
    """Load the months, gated by the raw suites; yields the check results, then the
    materialisations, or raises Failure with nothing written."""
    suites = raw_suites(tables, data_docs.gates)
    outcomes: list[tuple[quality.SuiteSpec, quality.SuiteOutcome]] = []

    validator = data_docs.validator()

    def gate(con, incoming: dict[str, str]) -> bool:
        for spec in suites:
            outcomes.append((spec, validator.validate(con, spec, incoming)))
        validator.publish()
        return all(o.success for _, o in outcomes)

    started, rows_read, tick = time.perf_counter(), 0, progress.Throttle()

    def on_file(info: ingest.LoadedFile, done: int, total: int) -> None:
        nonlocal rows_read
        rows_read += info.rows
        if tick.due() or done == total:
            rate = rows_read / max(time.perf_counter() - started, 1e-3)
            context.log.info(progress.message(
                f"loading: {done}/{total} files read, {rows_read:,} rows, {rate:,.0f} rows/s"))

    try:
        with warehouse.connect() as con:
            loaded = ingest.load(con, landing.root, months, tables, gate=gate, on_file=on_file)
            results = _results(con, loaded, tables)
    except ingest.ContractError as exc:
        # The message names file, row and column; no value of a person key is in it.
        raise Failure(description=str(exc), metadata={
            "file": exc.file, "row": exc.row if exc.row is not None else -1,
            "column": exc.column or "", "problem": exc.problem}) from None
    except ingest.DeliveryNotFound as exc:
        raise Failure(description=str(exc)) from None
    except ingest.GateFailed as exc:
        yield from (_check_result(spec, o) for spec, o in outcomes)
        failed = [f"{spec.name}: {', '.join(f.rule for f in o.failed)}"
                  for spec, o in outcomes if not o.success]
        hint = ""
        if any("orphan" in f.rule for _, o in outcomes for f in o.failed):
            hint = _orphan_hint(warehouse, landing, months)
        raise Failure(description=f"{exc}: {'; '.join(failed)}{hint}") from None
    yield from (_check_result(spec, o) for spec, o in outcomes)
    yield from _observations(loaded)
    yield from results


# The delivery log (raw._deliveries, the dbt source platform.deliveries) as an asset.
DELIVERY_LOG = AssetKey(["platform", "deliveries"])


def _observations(loaded: list[ingest.LoadedFile]) -> list[AssetObservation]:
    """One observation of the delivery log per month loaded: its fingerprint (as
    `ingest.loaded_fingerprints` computes it), files with their SHA-256 and rows. What
    `gop status` reads to show the loaded months without opening the warehouse, whose one
    writer it must never get in the way of (orchestration/app/status.py)."""
    by_month: dict[str, list[ingest.LoadedFile]] = {}
    for f in loaded:
        by_month.setdefault(f.month, []).append(f)
    observations = []
    for month, files in by_month.items():
        shas = {f.file: f.sha256 or "" for f in files if f.file}
        observations.append(AssetObservation(asset_key=DELIVERY_LOG, metadata={
            "delivery_month": month,
            "fingerprint": ingest.files_fingerprint(shas.items()),
            "files": MetadataValue.json(shas),
            "rows": sum(f.rows for f in files)}))
    return observations


def _orphan_hint(warehouse: Warehouse, landing: Landing, months: list[str]) -> str:
    """Rows whose parent is in no loaded month: name the months of the landing directory that
    are not loaded yet and come before the delivery's last month, where the parents may be
    (a backfill run out of order)."""
    with warehouse.connect(read_only=True) as con:
        loaded = set(ingest.loaded_fingerprints(con))
    waiting = [m for m in ingest.delivery_months(landing.root)
               if m not in loaded and m not in months and m < max(months)]
    if not waiting:
        return " (their parent rows are in no loaded month)"
    shown = ", ".join(waiting[:6]) + (" ..." if len(waiting) > 6 else "")
    return (f" (their parent rows may be in a month not loaded yet: {shown} in the landing "
            "directory; load the months in order)")


@multi_asset(
    name="raw_monthly_deliveries",
    specs=[_spec(t) for t in MONTHLY_TABLES],
    partitions_def=delivery_months,
    backfill_policy=BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    can_subset=False,
    check_specs=_check_specs(MONTHLY_TABLES),
)
def raw_monthly_deliveries(context: AssetExecutionContext, warehouse: Warehouse,
                           landing: Landing, data_docs: DataDocs):
    """Replace the delivery months of this run (one, or a backfill range) in every table."""
    months = list(context.partition_keys)
    context.log.info(f"loading delivery months {months[0]} .. {months[-1]} ({len(months)})")
    yield from _load(context, warehouse, landing, data_docs, months, MONTHLY_TABLES)


(_ADDRESS,) = SNAPSHOT_TABLES


@asset(
    key=raw_asset_key(_ADDRESS),
    group_name=RAW_GROUP,
    description=_spec(_ADDRESS).description,
    kinds={"duckdb"},
    owners=OWNERS,
    tags={"layer": "raw", "register": _ADDRESS.register},
    metadata=dict(_spec(_ADDRESS).metadata),
    pool=DUCKDB_POOL,
    check_specs=_check_specs(SNAPSHOT_TABLES),
)
def cpr_t_adresse(context: AssetExecutionContext, warehouse: Warehouse, landing: Landing,
                  data_docs: DataDocs):
    """Replace the CPR address-history snapshot."""
    if ingest.find_file(landing.root, _ADDRESS, None) is None:
        raise Failure(description=f"no {_ADDRESS.relative_path(None)} in the landing directory")
    yield from _load(context, warehouse, landing, data_docs, [ingest.SNAPSHOT], SNAPSHOT_TABLES)
