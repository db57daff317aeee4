"""The Great Expectations suites as blocking Dagster asset checks, one per suite, run
together per layer.

An `error` suite that fails stops the next layer and everything after it in that run, so
the exports of the last good run stay as they were (docs/quality-gates.md). The metadata
lists the failing expectations with their rule, the number of failing rows and, for columns
that are not person keys or marked sensitive, a few failing values; and a link to the Data
Docs page.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from orchestration.core import quality, refresh
from orchestration.core.paths import DBT_PROJECT_DIR
from orchestration.core.quality import DEFAULT_GATES
from orchestration.core.settings import GateSettings
from orchestration.defs.resources import DUCKDB_POOL, DataDocs, Warehouse


def check_metadata(outcome: quality.SuiteOutcome) -> dict:
    """What a steward needs to act: each broken rule, its failing rows, whether it blocks or
    sends rows to quarantine, a few values (never of a person key) and, for raw suites, the
    delivery file and row of the first failing rows."""
    broken = [o for o in outcome.outcomes if not o.success or o.unexpected_count]
    lines = ["| rule | expectation | column | failing rows | verdict | sample | where |",
             "|---|---|---|---|---|---|---|"]
    for o in broken:
        sample = ", ".join(o.sample) if o.sample else "(not shown)"
        verdict = "quarantined" if o.success else "blocks"
        lines.append(f"| {o.rule} | {o.type} | {o.column} | {o.unexpected_count} | {verdict} "
                     f"| {sample} | {'; '.join(o.locations)} |")
    meta = {
        "suite": outcome.suite,
        "rows_validated": outcome.rows,
        "failed_expectations": len(outcome.failed),
        "failing_rows": sum(o.unexpected_count for o in broken),
        "quarantined_rows": sum(o.unexpected_count for o in outcome.quarantined),
        "rules": "; ".join(o.rule for o in broken) or "none",
        "failures": MetadataValue.md("\n".join(lines) if broken else "none"),
    }
    locations = [loc for o in broken for loc in o.locations]
    if locations:
        meta["first_failing_rows"] = "; ".join(locations[:5])
    if outcome.docs_url:
        meta["data_docs"] = MetadataValue.url(outcome.docs_url)
    return meta


def build_gx_checks(gates: GateSettings = DEFAULT_GATES) -> list:
    """One blocking multi-asset check per layer (staging, intermediate, marts), a check
    per suite. Dagster fails a step when a blocking check in it fails, and skips everything
    that reads any asset of the step; so a failing gate on any model of a layer stops the
    next layer's dbt step, not only the models that read that one model (step 4 is built
    with step 3, in one dbt step per layer). It also imports GX once per layer, not once
    per suite. Raw suites are checks of the ingestion assets, run before a delivery is
    written (orchestration/defs/ingestion/assets.py)."""
    by_layer: dict[str, list[quality.SuiteSpec]] = {}
    for spec in quality.load_suites(gates=gates):
        if spec.layer != "raw":
            by_layer.setdefault(spec.layer, []).append(spec)
    return [_layer_gate(layer, suites) for layer, suites in by_layer.items()]


def _layer_gate(layer: str, suites: list[quality.SuiteSpec]):
    by_key = {AssetCheckKey(AssetKey(list(s.asset_key)), s.check_name): s for s in suites}

    @multi_asset_check(
        name=f"gx_{layer}",
        description=f"The Great Expectations suites of the {layer} layer "
                    f"(expectations/{layer}/), one blocking check per suite.",
        specs=[AssetCheckSpec(
            name=s.check_name, asset=AssetKey(list(s.asset_key)),
            blocking=s.severity == "error",
            description=s.description)
            for s in suites],
        can_subset=True,
        pool=DUCKDB_POOL,
    )
    def _gate(context: AssetCheckExecutionContext, warehouse: Warehouse, data_docs: DataDocs):
        # Every selected suite runs and reports, also after one has failed: Dagster fails the
        # step at its end, so the steward sees each broken rule of the layer at once.
        validator = data_docs.validator()
        keys = sorted(context.selected_asset_check_keys, key=str)
        with warehouse.connect(read_only=True) as con:
            # The refresh's plan (orchestration/core/refresh.py): incremental, the stays' suite
            # judges the persons just rebuilt.
            plan = refresh.plan_refresh(con, refresh.logic_fingerprint(DBT_PROJECT_DIR),
                                        refresh.forced_by(context.run.tags))
            outcomes = [validator.validate(con, by_key[key], incremental=not plan.full,
                                           months=plan.months) for key in keys]
        validator.publish()  # the layer's Data Docs pages, and the index once
        for key, outcome in zip(keys, outcomes, strict=True):
            yield AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
                severity=(AssetCheckSeverity.ERROR if by_key[key].severity == "error"
                          else AssetCheckSeverity.WARN),
                metadata=check_metadata(outcome))

    return _gate
