"""Raw ingestion assets: one asset per table of data-contract.md, keyed like the dbt sources.

The monthly tables are one multi-asset, so that a delivery month loads atomically across its
tables (data-contract.md: "nothing of that month is half-loaded"); a backfill of a range of
months arrives as one run (single-run backfill policy) and loads in one transaction.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
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

from orchestration import ingest
from orchestration.contract import DUCKDB_TYPE, LINEAGE_COLUMNS, MONTHLY_TABLES, SNAPSHOT_TABLES
from orchestration.contract import Table as ContractTable
from orchestration.partitions import delivery_months
from orchestration.resources import Landing, Warehouse

DUCKDB_POOL = "duckdb"  # one writer at a time (shared/stack-notes.md)
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
                     "(shared/data-contract.md)."),
        kinds={"duckdb"},
        owners=OWNERS,
        tags={"layer": "raw", "register": table.register},
        metadata={"dagster/column_schema": _schema(table),
                  "dagster/table_name": f"warehouse.{ingest.RAW_SCHEMA}.{table.key}"},
    )


def _results(con, loaded: list[ingest.LoadedFile], tables) -> list[MaterializeResult]:
    results = []
    for table in tables:
        mine = [f for f in loaded if f.table == table.key]
        total = con.execute(f"SELECT count(*) FROM {ingest.RAW_SCHEMA}.{table.key}").fetchone()[0]
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


def _load(context: AssetExecutionContext, warehouse: Warehouse, landing: Landing,
          months: list[str], tables) -> list[MaterializeResult]:
    try:
        with warehouse.connect() as con:
            loaded = ingest.load(con, landing.root, months, tables)
            return _results(con, loaded, tables)
    except ingest.ContractError as exc:
        # The message names file, row and column; no value of a person key is in it.
        raise Failure(description=str(exc), metadata={
            "file": exc.file, "row": exc.row if exc.row is not None else -1,
            "column": exc.column or "", "problem": exc.problem}) from None
    except ingest.DeliveryNotFound as exc:
        raise Failure(description=str(exc)) from None


@multi_asset(
    name="raw_monthly_deliveries",
    specs=[_spec(t) for t in MONTHLY_TABLES],
    partitions_def=delivery_months,
    backfill_policy=BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    can_subset=False,
)
def raw_monthly_deliveries(context: AssetExecutionContext, warehouse: Warehouse,
                           landing: Landing):
    """Replace the delivery months of this run (one, or a backfill range) in every table."""
    months = list(context.partition_keys)
    context.log.info(f"loading delivery months {months[0]} .. {months[-1]} ({len(months)})")
    yield from _load(context, warehouse, landing, months, MONTHLY_TABLES)


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
)
def cpr_t_adresse(context: AssetExecutionContext, warehouse: Warehouse, landing: Landing):
    """Replace the CPR address-history snapshot."""
    if ingest.find_file(landing.root, _ADDRESS, None) is None:
        raise Failure(description=f"no {_ADDRESS.relative_path(None)} in the landing directory")
    (result,) = _load(context, warehouse, landing, [ingest.SNAPSHOT], SNAPSHOT_TABLES)
    return result
