"""The ingestion job: load delivery months (one, or a range as one run)."""

from dagster import AssetSelection, define_asset_job

from orchestration.defs.ingestion.assets import raw_monthly_deliveries

MONTHLY = AssetSelection.assets(raw_monthly_deliveries)

# Loads one delivery month, or a range of them as one run (single-run backfill).
ingest_deliveries_job = define_asset_job(
    "ingest_deliveries",
    selection=MONTHLY,
    description="Load delivery months from the landing directory into DuckDB `raw`.",
)
