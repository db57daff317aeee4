"""The refresh job: rebuild everything that is not a delivery month."""

from dagster import AssetSelection, define_asset_job

from orchestration.defs.ingestion.jobs import MONTHLY

# The address snapshot, every dbt model, the checks and the exports. The marts need whole
# years, so they rebuild from all loaded months (docs/incremental-refresh.md).
refresh_job = define_asset_job(
    "refresh_downstream",
    selection=AssetSelection.all() - MONTHLY,
    description="Reload the CPR snapshot and rebuild staging, linkage, marts and exports.",
)
