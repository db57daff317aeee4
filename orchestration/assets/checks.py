"""The Great Expectations suites as blocking Dagster asset checks, one per suite.

An `error` suite that fails stops everything downstream of its asset in that run, so the
exports of the last good run stay as they were (issue #5). The metadata lists the failing
expectations with their rule, the number of failing rows and, for columns that are not
person keys or marked sensitive, a few failing values; and a link to the Data Docs page.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration import quality
from orchestration.resources import DUCKDB_POOL, DataDocs, Warehouse


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


def build_gx_checks() -> list:
    checks = []
    # Raw suites are checks of the ingestion assets, run before a delivery is written
    # (orchestration/assets/raw.py).
    for spec in (s for s in quality.load_suites() if s.layer != "raw"):

        def make(spec=spec):
            @asset_check(
                asset=AssetKey(list(spec.asset_key)),
                name=spec.check_name,
                description=f"Great Expectations suite `{spec.name}` "
                            f"(expectations/{spec.name.replace('.', '/')}.yml).",
                blocking=spec.severity == "error",
                pool=DUCKDB_POOL,
            )
            def _check(context: AssetCheckExecutionContext, warehouse: Warehouse,
                       data_docs: DataDocs):
                with warehouse.connect(read_only=True) as con:
                    outcome = quality.validate(con, spec, docs_dir=data_docs.root)
                severity = (AssetCheckSeverity.ERROR if spec.severity == "error"
                            else AssetCheckSeverity.WARN)
                return AssetCheckResult(passed=outcome.success, severity=severity,
                                        metadata=check_metadata(outcome))

            return _check

        checks.append(make())
    return checks
