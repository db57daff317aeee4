"""The one entry point: `Definitions` for `dagster dev`, the CLI and the tests.

workspace.yaml and pyproject.toml ([tool.dagster]) both name this module.
"""

from dagster import Definitions

from orchestration.app.config import Settings, duckdb_config, load_settings
from orchestration.defs.alerts.sensors import alert_on_failed_warn_checks, alert_on_run_failure
from orchestration.defs.dbt.assets import (
    LocalDbtCliResource,
    build_dbt_assets,
    dbt_executable,
    dbt_project,
)
from orchestration.defs.exports.assets import linkage_charts, plans_linked_csv
from orchestration.defs.exports.table1 import table1_persons_by_municipality
from orchestration.defs.ingestion.assets import cpr_t_adresse, raw_monthly_deliveries
from orchestration.defs.ingestion.automation import monthly_refresh, new_deliveries
from orchestration.defs.ingestion.jobs import ingest_deliveries_job
from orchestration.defs.quality.checks import build_gx_checks
from orchestration.defs.recovery.sensors import recover_dead_runs
from orchestration.defs.refresh.assets import refresh_record
from orchestration.defs.refresh.automation import refresh_after_ingest
from orchestration.defs.refresh.jobs import refresh_job
from orchestration.defs.resources import Alerting, DataDocs, Exports, Landing, Warehouse


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    project = dbt_project()
    return Definitions(
        assets=[raw_monthly_deliveries, cpr_t_adresse, *build_dbt_assets(project),
                plans_linked_csv, linkage_charts, table1_persons_by_municipality,
                refresh_record],
        asset_checks=build_gx_checks(settings.gates),
        jobs=[ingest_deliveries_job, refresh_job],
        schedules=[monthly_refresh],
        sensors=[new_deliveries, refresh_after_ingest, alert_on_run_failure,
                 alert_on_failed_warn_checks, recover_dead_runs],
        resources={
            "warehouse": Warehouse(path=str(settings.warehouse_path),
                                   duckdb_settings=duckdb_config(settings)),
            "landing": Landing(path=str(settings.landing_dir)),
            "exports_dir": Exports(path=str(settings.export_dir),
                                   complementary_suppression=settings.complementary_suppression),
            "data_docs": DataDocs.given(str(settings.gx_dir), settings.gates),
            "alerting": Alerting.given(settings.alerts),
            # dagster-dbt takes the DbtProject itself (its validator reads the folder from it);
            # the field is annotated as a path.
            "dbt": LocalDbtCliResource(project_dir=project,  # type: ignore[arg-type]
                                       dbt_executable=dbt_executable()),
        },
    )


defs = build_definitions()
