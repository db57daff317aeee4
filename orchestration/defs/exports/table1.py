"""Export of product 2: seed 000's table 1 as published, with the disclosure audit."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.core import disclosure, publication
from orchestration.defs.resources import DUCKDB_POOL, Exports, Warehouse

CSV_NAME = "table1_persons_by_municipality.csv"
XLSX_NAME = "table1_persons_by_municipality.xlsx"


@asset(
    key=AssetKey(["exports", "table1_persons_by_municipality"]),
    deps=[AssetKey(["marts", "mart_table1_published"])],
    group_name="exports",
    kinds={"csv", "excel"},
    owners=["team:analytics"],
    tags={"layer": "exports"},
    pool=DUCKDB_POOL,
    description=(
        "Seed 000's table 1 (docs/method.md, Product 2): `table1_persons_by_municipality.csv` "
        "(long form, docs/extract-contract.md) and a workbook laid out like the seed. Reads "
        "only the disclosure-controlled mart. Audits which `<5` cells can be recovered by "
        "differencing; with GOP_COMPLEMENTARY_SUPPRESSION=true it hides further cells (`x`) "
        "until none can."),
)
def table1_persons_by_municipality(context: AssetExecutionContext, warehouse: Warehouse,
                                   exports_dir: Exports):
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("""select area_order, area_code, area_name, row_type, year, value
                              from marts.mart_table1_published""").fetchall()
    published = {disclosure.Cell(a, t, int(y)): v for _, a, _, t, y, v in rows}
    areas = publication.national_first(sorted({(o, a, n) for o, a, n, *_ in rows}))
    names = dict(areas)
    years = sorted({int(r[4]) for r in rows})
    audit_before = disclosure.recoverable(published)
    hidden: list[disclosure.Cell] = []
    values = published
    if exports_dir.complementary_suppression:
        values, hidden = disclosure.complementary_suppression(published)
    audit = disclosure.recoverable(values)
    root = exports_dir.root
    n = publication.write_csv(root / CSV_NAME, areas, years, values)
    note = publication.note_text(years, audit, hidden, names,
                                 exports_dir.complementary_suppression)
    publication.write_workbook(root / XLSX_NAME, areas, years, values, note)

    def listing(cells):
        return MetadataValue.md("\n".join(
            f"- {names[c.area_code]} {c.year} {c.row_type}" for c in cells) or "none")

    # Cell identities only, never a value: a recovered value would be a count of 1-4.
    return MaterializeResult(metadata={
        "files": MetadataValue.md(f"`{CSV_NAME}` ({n} rows), `{XLSX_NAME}`"),
        "years": MetadataValue.text(f"{years[0]}-{years[-1]}" if years else "none"),
        "complementary_suppression": exports_dir.complementary_suppression,
        "recoverable_cells_sds_rules": len(audit_before),
        "recoverable_cells_published": len(audit),
        "recoverable_cells": listing(audit_before),
        "complementary_cells": listing(hidden),
    })
