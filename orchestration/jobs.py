"""Jobs: load delivery months, then rebuild everything that is not a delivery month."""

from dagster import AssetSelection, define_asset_job

from orchestration.assets.raw import raw_monthly_deliveries

MONTHLY = AssetSelection.assets(raw_monthly_deliveries)

# Loads one delivery month, or a range of them as one run (single-run backfill).
ingest_deliveries_job = define_asset_job(
    "ingest_deliveries",
    selection=MONTHLY,
    description="Load delivery months from the landing directory into DuckDB `raw`.",
)

# The address snapshot, every dbt model, the checks and the exports. The marts need whole
# years, so they rebuild from all loaded months (issue #6).
refresh_job = define_asset_job(
    "refresh_downstream",
    selection=AssetSelection.all() - MONTHLY,
    description="Reload the CPR snapshot and rebuild staging, linkage, marts and exports.",
)
