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
from orchestration.assets.raw import DUCKDB_POOL
from orchestration.resources import DataDocs, Warehouse


def _metadata(outcome: quality.SuiteOutcome) -> dict:
    lines = ["| expectation | column | rule | failing rows | sample |", "|---|---|---|---|---|"]
    for o in outcome.failed:
        sample = ", ".join(o.sample) if o.sample else "(not shown)"
        lines.append(f"| {o.type} | {o.column} | {o.rule} | {o.unexpected_count} | {sample} |")
    meta = {
        "suite": outcome.suite,
        "rows_validated": outcome.rows,
        "failed_expectations": len(outcome.failed),
        "failing_rows": sum(o.unexpected_count for o in outcome.failed),
        "failures": MetadataValue.md("\n".join(lines) if outcome.failed else "none"),
    }
    if outcome.docs_url:
        meta["data_docs"] = MetadataValue.url(outcome.docs_url)
    return meta


def build_gx_checks() -> list:
    checks = []
    for spec in quality.load_suites():

        def make(spec=spec):
            @asset_check(
                asset=AssetKey(list(spec.asset_key)),
                name=f"gx_{spec.name.replace('.', '__')}",
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
                                        metadata=_metadata(outcome))

            return _check

        checks.append(make())
    return checks
