"""Export assets: the files of docs/extract-contract.md ("Exports") and the linkage charts.

They read the warehouse read-only and replace their files atomically.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.core import export_files
from orchestration.core.plan_types import plan_type_codes
from orchestration.defs.resources import DUCKDB_POOL, Exports, Warehouse

EXPORT_GROUP = "exports"
OWNERS = ["team:analytics"]


@asset(
    key=AssetKey(["exports", "plans_linked"]),
    deps=[AssetKey(["marts", "fct_plans_linked"])],
    group_name=EXPORT_GROUP,
    kinds={"csv"},
    owners=OWNERS,
    tags={"layer": "exports"},
    # Readers too: DuckDB refuses a reader while another process writes the file.
    pool=DUCKDB_POOL,
    description=("`plans_linked.csv` (docs/extract-contract.md): one row per plan that entered "
                 "product 1 with its status, stay type, stay end date, delay and timeliness "
                 "group. No person key."),
)
def plans_linked_csv(context: AssetExecutionContext, warehouse: Warehouse, exports_dir: Exports):
    target = exports_dir.root / "plans_linked.csv"
    with warehouse.connect(read_only=True) as con:
        rows = export_files.write_csv(con, export_files.PLANS_LINKED_SQL, target)
    return MaterializeResult(metadata={"file": target.name, "dagster/row_count": rows})


@asset(
    key=AssetKey(["exports", "linkage_charts"]),
    deps=[AssetKey(["marts", "mart_delay_distribution"]),
          AssetKey(["marts", "mart_timeliness_groups"])],
    group_name=EXPORT_GROUP,
    kinds={"png"},
    owners=OWNERS,
    tags={"layer": "exports"},
    pool=DUCKDB_POOL,
    description=("Seed 003 Figur 7 (delay distribution, one panel per year, per plan type) "
                 "and Figur 9 (timeliness groups by year and type) as PNG, written to "
                 "`charts/` beside the exports and shown here. Bars of 1-4 plans are not "
                 "drawn."),
)
def linkage_charts(context: AssetExecutionContext, warehouse: Warehouse, exports_dir: Exports):
    charts = {}
    with warehouse.connect(read_only=True) as con:
        for plan_type in plan_type_codes():
            charts[f"figur7_delay_{plan_type}.png"] = export_files.delay_chart(con, plan_type)
        charts["figur9_timeliness.png"] = export_files.timeliness_chart(con)
    metadata = {}
    for name, png in charts.items():
        if png is None:
            continue
        with export_files.atomic_path(exports_dir.root / "charts" / name) as tmp:
            tmp.write_bytes(png)
        metadata[name.removesuffix(".png")] = MetadataValue.md(export_files.png_markdown(png, name))
    return MaterializeResult(metadata=metadata)
