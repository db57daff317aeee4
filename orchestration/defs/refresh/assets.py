"""The last asset of a refresh: it records that every model, gate and export is up to date
with the changes loaded so far (orchestration/core/refresh.py, docs/incremental-refresh.md).

It runs only when everything upstream succeeded; a failed step or blocking gate leaves the
changes pending, so the next refresh rebuilds and judges the same persons again.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from orchestration.core import refresh
from orchestration.core.ingest import ensure_raw_schema
from orchestration.core.paths import DBT_PROJECT_DIR
from orchestration.defs.resources import DUCKDB_POOL, Warehouse

REFRESH_KEY = AssetKey(["platform", "refresh"])


@asset(
    key=REFRESH_KEY,
    deps=[AssetKey(["exports", "plans_linked"]), AssetKey(["exports", "linkage_charts"]),
          AssetKey(["exports", "table1_persons_by_municipality"])],
    group_name="exports",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    tags={"layer": "exports"},
    pool=DUCKDB_POOL,
    description=("Records a complete refresh in `raw._refreshes` (the newest change it "
                 "covered and the dbt logic it ran) and drops the changes it covered, so the "
                 "next refresh rebuilds only what is loaded after it."),
)
def refresh_record(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    fingerprint = refresh.logic_fingerprint(DBT_PROJECT_DIR)
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        plan = refresh.plan_refresh(con, fingerprint, refresh.forced_by(context.run.tags))
        refresh.record_refresh(con, plan, fingerprint)
    return MaterializeResult(metadata={"full_refresh": plan.full, "why": plan.reason,
                                       "covers_change": plan.change_id})
