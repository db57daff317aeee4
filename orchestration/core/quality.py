"""Great Expectations suites (expectations/*.yml) as GX 1.x suites, validated in DuckDB.

GX's SQL datasource does not work on DuckDB (docs/stack.md), and pulling a hundred
million rows through its pandas datasource costs minutes per layer (docs/stack.md). So each
expectation is translated to a DuckDB boolean per row (`rule_sql`), one query per suite
counts the rows and the rows that break each rule, and a second one, only for a broken rule,
reads its first few failing rows. GX gets these compact results as its own validation
results, which it stores and renders as Data Docs. GX is imported only here, when a
validation is stored (importing it costs seconds).

A result never carries a value of a person-key column or of a column the suite marks
`sensitive`: failing rows are described by count, and by sample values only elsewhere.

Raw suites validate a delivery *before* it is written (docs/stack.md: a blocking check
does not undo its asset's own write): their queries read `{rows}`, the incoming rows of
their table, and `{after:TABLE}`, a table as it will be once the delivery is written.
Failing rows of raw suites are located by delivery file and row (`_source_file`,
`_source_row`), never by a value of a person key.
"""

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from orchestration.core.contract import TABLE_BY_KEY
from orchestration.core.ingest import PERSON_COLUMNS
from orchestration.core.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from orchestration.core.settings import GateSettings
from orchestration.core.sql import sql_string

SAMPLE_SIZE = 5


LOCATION_COLUMNS = ["_source_file", "_source_row"]
# Person keys under their raw names and under the platform's name (staging on).
SENSITIVE_COLUMNS = frozenset(PERSON_COLUMNS | {"person_key"})
_AFTER = re.compile(r"\{after:(\w+)\}")
# A suite with `incremental_by: COLUMN` judges, on an incremental refresh, only the rows the
# refresh rebuilt or loaded (docs/incremental-refresh.md): those of the pending persons (the
# dbt model stg_platform__pending_persons), of the delivery months loaded since the last
# complete refresh (the refresh's plan, orchestration/core/refresh.py), or of the plans sent and
# stays ending from the linkage's moment on (the dbt model int_linkage__relinked_from);
# otherwise every row.
PENDING_PERSONS = "select person_key from staging.stg_platform__pending_persons"
RELINKED_FROM = "intermediate.int_linkage__relinked_from"
_RELINKED_BOUND = {"sent_date": "plans_from", "stay_end_date": "stays_from"}
INCREMENTAL_SCOPES = ("delivery_month", "person_key", *_RELINKED_BOUND)
_PENDING = re.compile(r"\{pending:(\w+)\}")


def _pending_sql(column: str, incremental: bool, months: tuple[str, ...]) -> str:
    """The scope of `incremental_by`; the months as values (the refresh's plan), so that
    DuckDB skips the other months' row groups."""
    if not incremental:
        return "true"
    if column == "delivery_month":
        return f"{column} in ({', '.join(repr(m) for m in months) or 'null'})"
    if column in _RELINKED_BOUND:
        return f"{column} >= (select {_RELINKED_BOUND[column]} from {RELINKED_FROM})"
    return f"{column} in ({PENDING_PERSONS})"


@dataclass(frozen=True)
class SuiteSpec:
    name: str  # layer.table, e.g. raw.lpr2__t_adm
    asset_key: tuple[str, ...]
    query: str
    severity: str
    expectations: list[dict[str, Any]]
    sensitive: frozenset[str]

    @property
    def layer(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def description(self) -> str:
        """What the UI shows on the suite's check: what it guards, whether it blocks, and
        each rule with its source (from the YAML), once."""
        verdict = ("a failure blocks everything downstream in the run" if self.severity == "error"
                   else "a failure warns and blocks nothing")
        rules = dict.fromkeys((e["meta"]["rule"], e["meta"]["source"]) for e in self.expectations)
        return "\n".join([
            f"Great Expectations suite `{self.name}` "
            f"(expectations/{self.layer}/{self.table}.yml): {verdict}. Rules:",
            *(f"- {rule} (source: {source})" for rule, source in rules)])

    @property
    def check_name(self) -> str:
        """The Dagster asset check that runs this suite, e.g. gx_raw__lpr2__t_adm."""
        return f"gx_{self.name.replace('.', '__')}"

    def sql(self, incoming: dict[str, str] | None = None, incremental: bool = False,
            months: tuple[str, ...] = ()) -> str:
        """The query with `{rows}` and `{after:TABLE}` bound to the relations of a delivery
        being loaded (keys `TABLE` and `after:TABLE`), else to the raw tables as they are;
        `{pending:COLUMN}` bound to the pending persons or months on an incremental refresh."""
        bound = incoming or {}
        query = self.query.replace("{rows}", bound.get(self.table, f"raw.{self.table}"))
        query = _AFTER.sub(lambda m: bound.get(f"after:{m.group(1)}", f"raw.{m.group(1)}"),
                           query)
        return _PENDING.sub(lambda m: _pending_sql(m.group(1), incremental, months), query)


@dataclass
class ExpectationOutcome:
    type: str
    column: str
    rule: str
    success: bool
    unexpected_count: int = 0
    element_count: int = 0
    sample: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)  # "file row N" of failing rows


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    rows: int
    outcomes: list[ExpectationOutcome]
    docs_url: str | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def quarantined(self) -> list[ExpectationOutcome]:
        """Row rules that held within their `mostly` but not on every row: those rows go to
        quarantine (docs/extract-contract.md, "What bad input gets") and the gate warns."""
        return [o for o in self.outcomes if o.success and o.unexpected_count]


# An expectation with this placeholder is left out while its setting is unset: keys are
# opaque strings by default (docs/extract-contract.md, "CSV format"), a shape is an opt-in rule.
OPTIONAL_PLACEHOLDERS = ("person_key_pattern",)


DEFAULT_GATES = GateSettings()  # the defaults of docs/operations.md, "Configuration"


def _placeholders(gates: GateSettings) -> dict[str, Any]:
    return {
        "person_key_pattern": gates.person_key_pattern,
        "quarantine_mostly": 1 - gates.quarantine_threshold,
        "today": date.today().isoformat(),
        "yoy_warn_share": gates.yoy_warn_share,
    }


def _seed_column(ref: str) -> list[str]:
    file, column = ref.rsplit(":", 1)
    with open(DBT_PROJECT_DIR / "seeds" / file, encoding="utf-8") as fh:
        return [r[column] for r in csv.DictReader(fh) if r[column] != ""]


def _resolve(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        name = value[1:-1]
        if name.startswith("seed:"):
            return _seed_column(name[5:])
        if name in values:
            return values[name]
    if isinstance(value, list):  # a seed reference inside a list is spliced into it
        out: list[Any] = []
        for v in value:
            r = _resolve(v, values)
            out += r if isinstance(r, list) and not isinstance(v, list) else [r]
        return out
    return value


def load_suites(root: Path = EXPECTATIONS_DIR,
                gates: GateSettings = DEFAULT_GATES) -> list[SuiteSpec]:
    values = _placeholders(gates)
    specs = []
    for path in sorted(root.glob("*/*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        layer, table = path.parent.name, path.stem
        expectations = []
        if raw.get("contract_columns"):
            contract = TABLE_BY_KEY[raw["contract_columns"]]
            expectations += [
                {"type": "expect_column_to_exist", "kwargs": {"column": c},
                 "meta": {"rule": "required column present", "source": "docs/extract-contract.md"}}
                for c in contract.column_names]
        for e in raw.get("expectations") or []:
            if any(v == f"{{{name}}}" and values[name] is None
                   for v in e["kwargs"].values() for name in OPTIONAL_PLACEHOLDERS):
                continue
            meta = e.get("meta", {})
            if not all(isinstance(v, str) for v in meta.values()):
                # An unquoted comma in a YAML flow mapping cuts the rule short: an alert would
                # name half of it.
                raise ValueError(f"{path}: {e['type']}: meta {meta!r} has a key without a "
                                 "value; quote a rule that holds a comma")
            kwargs = {k: _resolve(v, values) for k, v in e["kwargs"].items()}
            expectations.append({"type": e["type"], "kwargs": kwargs, "meta": meta})
        relation = f"{layer}.{table}"
        sensitive = frozenset(raw.get("sensitive", [])) | SENSITIVE_COLUMNS
        keys = ([raw["grain"]] if raw.get("grain") else []) + list(raw.get("unique") or [])
        scope = raw.get("incremental_by")
        if scope is not None and scope not in INCREMENTAL_SCOPES:
            raise ValueError(f"{path}: incremental_by {scope!r}: one of {INCREMENTAL_SCOPES}")
        query = raw.get("query") or _default_query(layer, relation, keys, expectations,
                                                   [scope] if scope else [])
        if scope:
            query = f"select * from ({query}) as _scope where {{pending:{scope}}}"
        expectations, query = _computed_in_duckdb(expectations, query, sensitive, path)
        key_expectations, query = _key_counts(keys, query, expectations,
                                              grain=bool(raw.get("grain")))
        for e in expectations:
            try:
                rule_sql(e)  # every expectation must be one DuckDB can judge
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}: {exc}") from None
        specs.append(SuiteSpec(
            name=relation, asset_key=tuple(raw["asset"]), query=" ".join(query.split()),
            severity=raw.get("severity", "error"),
            expectations=_with_sources(key_expectations + expectations, raw.get("source"), path),
            sensitive=sensitive))
    return specs


def _with_sources(expectations: list[dict[str, Any]], suite_source: str | None,
                  path: Path) -> list[dict[str, Any]]:
    """Every rule names its source: its own `source`, else the suite's top-level `source`
    (a steward reads it on the check in the UI and in an alert). A rule with neither is
    refused when the suites load."""
    out = []
    for e in expectations:
        if not e["meta"].get("source"):
            if not suite_source:
                raise ValueError(f"{path}: the rule {e['meta'].get('rule')!r} has no source: "
                                 "give it `source:` in its meta, or the suite a `source:`")
            e = {**e, "meta": {**e["meta"], "source": suite_source}}
        out.append(e)
    return out


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return sql_string(str(value))


# What a rule on a sensitive column may be: it becomes one boolean per row (rule_sql).
_JUDGED_ON_SENSITIVE = frozenset({
    "expect_column_values_to_not_be_null", "expect_column_values_to_match_regex",
    "expect_column_values_to_be_in_set", "expect_column_values_to_be_between"})


def _computed_in_duckdb(expectations: list[dict[str, Any]], query: str,
                        sensitive: frozenset[str], path: Path):
    """An expectation on a sensitive column (a person key, a true count) is judged by DuckDB:
    the column becomes a boolean "the rule holds" (NULL where GX would skip the row), and GX
    expects it to be true. So a result names the rule it judged (in meta `judged_in`), and no
    value of a sensitive column ever reaches GX's validation results or its Data Docs."""
    rewritten, computed = [], []
    for i, e in enumerate(expectations):
        kw = e["kwargs"]
        column = kw.get("column")
        if column not in sensitive:
            rewritten.append(e)
            continue
        name, kind = f"_rule{i}_{column}", e["type"]
        rule: str | None
        if kind == "expect_column_to_exist":
            rule = f"{_q(column)} is null or true"  # names the column: fails without it
        elif kind in _JUDGED_ON_SENSITIVE:
            # `mostly` stays on the rewritten expectation; a row condition goes into the rule.
            rule = rule_sql({"type": kind, "kwargs": {k: v for k, v in kw.items()
                                                      if k != "mostly"}})
        else:
            raise ValueError(f"{path}: {kind} on the sensitive column {column} cannot be "
                             "judged without its values; compute the rule in the query")
        computed.append(f"({rule}) as {name}")
        value_kwargs = {k: v for k, v in kw.items() if k == "mostly"}
        exists = kind == "expect_column_to_exist"
        rewritten.append({
            "type": "expect_column_to_exist" if exists else "expect_column_values_to_be_in_set",
            "kwargs": {"column": name, **({} if exists else {"value_set": [True]}),
                       **value_kwargs},
            "meta": {**e["meta"], "judged_in": f"duckdb ({kind} on {column})"}})
    if not computed:
        return expectations, query
    return rewritten, f"select *, {', '.join(computed)} from ({query}) as _computed"


def _named_columns(expectations: list[dict[str, Any]]) -> list[str] | None:
    """The columns a suite's expectations read, or None when one reads more than it names
    (a table-level expectation, a row condition)."""
    named = [[e["kwargs"][k] for k in ("column", "column_A", "column_B") if k in e["kwargs"]]
             for e in expectations]
    if any(not n for n in named) or any("row_condition" in e["kwargs"] for e in expectations):
        return None
    return list(dict.fromkeys(c for n in named for c in n))


def _default_query(layer: str, relation: str, keys: list[list[str]],
                   expectations: list[dict[str, Any]], extra: list[str]) -> str:
    """The whole relation, or only the columns the suite reads (a suite of keys and a few
    rules should not read every column)."""
    if layer == "raw":
        return "select * from {rows}"
    named = _named_columns(expectations)
    if named is None:
        return f"select * from {relation}"
    columns = list(dict.fromkeys([c for key in keys for c in key] + named + extra))
    return f"select {', '.join(columns)} from {relation}"


def _key_counts(keys: list[list[str]], query: str, expectations: list[dict[str, Any]], *,
                grain: bool):
    """Uniqueness of each key over the whole relation. Each key becomes two small columns,
    how many rows share it (expected 1) and whether it is complete (no key column null), so
    a result counts the rows of a duplicate key and the key values never reach one."""
    if not keys:
        return [], query
    computed, key_expectations = [], []
    for i, key in enumerate(keys):
        what = "the grain" if grain and i == 0 else "a unique key"
        computed += [f"count(*) over (partition by {', '.join(key)}) as _rows_per_key{i}",
                     f"({' and '.join(f'{c} is not null' for c in key)}) as _key{i}_complete"]
        key_expectations += [
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": f"_rows_per_key{i}", "min_value": 1, "max_value": 1},
             "meta": {"rule": f"one row per ({', '.join(key)}): {what}"}},
            {"type": "expect_column_values_to_be_in_set",
             "kwargs": {"column": f"_key{i}_complete", "value_set": [True]},
             "meta": {"rule": f"({', '.join(key)}) never null: {what}"}}]
    named = _named_columns(expectations)
    kept = "*" if named is None else ", ".join(named)
    return key_expectations, (f"select {kept + ', ' if kept else ''}{', '.join(computed)} "
                              f"from ({query}) as _suite")


def _gx_suite(gx, spec: SuiteSpec):
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    # GX returns results in its own order: an index in meta ties each back to its spec.
    return gx.ExpectationSuite(name=spec.name, expectations=[
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"],
                                 meta={**e["meta"], "spec_index": i}).to_domain_obj()
        for i, e in enumerate(spec.expectations)])


def validate(con, spec: SuiteSpec) -> SuiteOutcome:
    """Validate one suite on what is in DuckDB, without Data Docs (the gates use `Validator`)."""
    return Validator().validate(con, spec)


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _condition_sql(condition: dict[str, Any]) -> str:
    """A GX 1.x row condition ({type: comparison, column: {name}, operator, parameter})."""
    if condition.get("type") != "comparison":
        raise ValueError(f"row condition {condition!r}: only comparisons are translated")
    operator = condition["operator"]
    if operator not in ("<", "<=", ">", ">=", "=", "==", "!=", "<>"):
        raise ValueError(f"row condition operator {operator!r} is not translated")
    operator = "=" if operator == "==" else operator
    return f"{_q(condition['column']['name'])} {operator} {_sql_literal(condition['parameter'])}"


_TRANSLATED_KWARGS = frozenset({
    "column", "column_A", "column_B", "value_set", "min_value", "max_value", "strict_min",
    "strict_max", "regex", "mostly", "or_equal", "ignore_row_if", "row_condition"})


def rule_sql(expectation: dict[str, Any]) -> str | None:
    """The expectation as a DuckDB boolean per row: true where the row keeps it, false where
    it breaks it, NULL where GX would not judge the row (a null value, a row outside the row
    condition). None for expect_column_to_exist, which is judged on the columns."""
    kind, kw = expectation["type"], expectation["kwargs"]
    unknown = set(kw) - _TRANSLATED_KWARGS
    if unknown:
        raise ValueError(f"{kind}: {', '.join(sorted(unknown))} has no DuckDB translation")
    if kind == "expect_column_to_exist":
        return None
    column = _q(kw["column"]) if "column" in kw else ""
    if kind == "expect_column_values_to_not_be_null":
        rule = f"{column} is not null"
    elif kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_sql_literal(v) for v in kw["value_set"])
        rule = (f"{column} in ({values})" if values
                else f"case when {column} is not null then false end")
    elif kind == "expect_column_values_to_be_between":
        parts = []
        if kw.get("min_value") is not None:
            parts.append(f"{column} {'>' if kw.get('strict_min') else '>='} "
                         f"{_sql_literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            parts.append(f"{column} {'<' if kw.get('strict_max') else '<='} "
                         f"{_sql_literal(kw['max_value'])}")
        rule = " and ".join(parts) or f"case when {column} is not null then true end"
    elif kind == "expect_column_values_to_match_regex":
        rule = f"regexp_matches(cast({column} as varchar), {_sql_literal(kw['regex'])})"
    elif kind == "expect_column_values_to_be_unique":
        rule = (f"case when {column} is not null then "
                f"count(*) over (partition by {column}) = 1 end")
    elif kind in ("expect_column_pair_values_a_to_be_greater_than_b",
                  "expect_column_pair_values_to_be_equal"):
        a, b = _q(kw["column_A"]), _q(kw["column_B"])
        op = "=" if kind.endswith("to_be_equal") else (">=" if kw.get("or_equal") else ">")
        # GX's ignore_row_if for pairs: by default a row is skipped only when both values
        # are missing; a row with one missing value breaks the rule.
        skip = {"both_values_are_missing": f"{a} is null and {b} is null",
                "either_value_is_missing": f"{a} is null or {b} is null",
                "neither": "false"}[kw.get("ignore_row_if", "both_values_are_missing")]
        rule = f"case when not ({skip}) then coalesce({a} {op} {b}, false) end"
    else:
        raise ValueError(f"{kind} has no DuckDB translation in orchestration/core/quality.py")
    if kw.get("row_condition"):
        rule = f"case when {_condition_sql(kw['row_condition'])} then ({rule}) end"
    return rule


class Validator:
    """Validates suites where the data is: DuckDB computes every expectation's row-level
    facts in one pass (how many rows, how many break it, the first few that do), and GX is
    given those compact results, which it stores and renders as Data Docs. Nothing goes
    through pandas, so a gate costs one scan of its query whatever its size (at
    national volume pandas batches cost minutes per layer). `publish` renders the pages of
    the validations since the last call, and the index once: the index lists every
    validation ever kept, so building it per suite would cost more every month."""

    def __init__(self, docs_dir: Path | None = None, gates: GateSettings = DEFAULT_GATES):
        self.docs_dir = docs_dir
        self.gates = gates
        self._context = None
        self._unpublished: list[tuple[SuiteOutcome, Any]] = []  # outcome, its result's id

    def _gx_context(self):
        if self._context is None:
            import great_expectations as gx

            self._context = (
                gx.get_context(mode="file", project_root_dir=str(self.docs_dir))
                if self.docs_dir is not None else gx.get_context(mode="ephemeral"))
        return self._context

    def validate(self, con, spec: SuiteSpec, incoming: dict[str, str] | None = None,
                 incremental: bool = False, months: tuple[str, ...] = ()) -> SuiteOutcome:
        """A raw suite runs on a delivery's `incoming` rows when given (module docstring); on
        an incremental refresh a suite with `{pending:COLUMN}` judges the rebuilt persons.
        The outcome's `docs_url` is set by `publish`."""
        query = spec.sql(incoming, incremental, months)
        columns = [r[0] for r in
                   con.execute(f"describe select * from ({query}) as _q").fetchall()]
        rules = [rule_sql(e) for e in spec.expectations]
        judged = [(i, r) for i, r in enumerate(rules) if r is not None]
        select = ", ".join(f"({r}) as _ok{i}" for i, r in judged) or "true as _row"
        facts = "".join(f", count(*) filter (where not _ok{i})" for i, _ in judged)
        row = con.execute(f"select count(*){facts} from (select {select} from ({query}) as _q)"
                          " as _facts").fetchone()
        rows = int(row[0])
        broken = dict(zip([i for i, _ in judged], row[1:], strict=True))
        locate = set(LOCATION_COLUMNS) <= set(columns)
        outcomes = []
        for i, e in enumerate(spec.expectations):
            kw = e["kwargs"]
            outcome = ExpectationOutcome(e["type"], kw.get("column") or kw.get("column_A", ""),
                                         e["meta"].get("rule", ""), True, element_count=rows)
            rule = rules[i]
            if rule is None:
                outcome.success = kw["column"] in columns
            else:
                outcome.unexpected_count = int(broken[i] or 0)
                if outcome.unexpected_count:
                    _samples(con, query, spec, e, rule, outcome, locate)
                mostly = kw.get("mostly")
                if mostly is None or not rows:
                    outcome.success = outcome.unexpected_count == 0
                else:
                    # `mostly` holds over the whole relation; a few rows are quarantined
                    # whatever their share (GateSettings.quarantine_min_rows).
                    share = 1 - outcome.unexpected_count / rows
                    few = outcome.unexpected_count <= self.gates.quarantine_min_rows
                    outcome.success = share >= mostly or few
            outcomes.append(outcome)
        suite_outcome = SuiteOutcome(spec.name, all(o.success for o in outcomes), rows, outcomes)
        if self.docs_dir is not None:
            self._unpublished.append((suite_outcome, self._store(spec, suite_outcome)))
        return suite_outcome

    def _store(self, spec: SuiteSpec, outcome: SuiteOutcome):
        """Keep the outcome as a GX validation result: in GX's store, then on its Data Docs
        page at `publish`."""
        import great_expectations as gx
        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResult,
            ExpectationValidationResult,
        )
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        context = self._gx_context()
        context.suites.add_or_update(_gx_suite(gx, spec))
        results = []
        for e, o in zip(spec.expectations, outcome.outcomes, strict=True):
            config = ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"])
            percent = 100 * o.unexpected_count / o.element_count if o.element_count else 0.0
            result = ({} if e["type"] == "expect_column_to_exist" else {
                "element_count": o.element_count, "unexpected_count": o.unexpected_count,
                "unexpected_percent": percent, "partial_unexpected_list": list(o.sample),
                "missing_count": 0, "missing_percent": 0.0,
                "unexpected_percent_nonmissing": percent})
            results.append(ExpectationValidationResult(
                success=o.success, expectation_config=config, result=result))
        passed = sum(o.success for o in outcome.outcomes)
        run_id = RunIdentifier(run_name=spec.name, run_time=datetime.now(UTC))
        suite_id = ExpectationSuiteIdentifier(name=spec.name)
        key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id,
                                         batch_identifier="duckdb")
        validation = ExpectationSuiteValidationResult(
            success=outcome.success, results=results, suite_name=spec.name,
            statistics={"evaluated_expectations": len(results),
                        "successful_expectations": passed,
                        "unsuccessful_expectations": len(results) - passed,
                        "success_percent": 100 * passed / len(results) if results else 100.0},
            meta={"run_id": run_id, "validation_time": run_id.run_time.isoformat(),
                  "rows_validated": outcome.rows, "engine": "duckdb",
                  "active_batch_definition": {"datasource_name": "warehouse",
                                              "data_asset_name": spec.name.replace(".", "__"),
                                              "data_connector_name": "duckdb",
                                              "batch_identifiers": {}}},
            batch_id="duckdb")
        context.validation_results_store.store_validation_results(
            suite_validation_result=validation, suite_validation_result_identifier=key,
            expectation_suite_identifier=suite_id)
        return key

    def publish(self) -> None:
        """Render the Data Docs pages of the validations since the last call, and the index
        once; each outcome links its page."""
        pending, self._unpublished = self._unpublished, []
        if self.docs_dir is None or not pending:
            return
        context = self._gx_context()
        context.build_data_docs(resource_identifiers=[key for _, key in pending])
        for outcome, key in pending:
            outcome.docs_url = _docs_page(context, key, self.docs_dir,
                                          self.gates.data_docs_url)


def _samples(con, query: str, spec: SuiteSpec, expectation: dict[str, Any], rule: str,
             outcome: ExpectationOutcome, locate: bool) -> None:
    """The first failing rows: their values (none when the rule reads a sensitive column)
    and where they are in the delivery (file and row)."""
    kw = expectation["kwargs"]
    read = [c for c in (kw.get("column"), kw.get("column_A"), kw.get("column_B")) if c]
    shown = [] if any(c in spec.sensitive for c in read) else read
    picked = [f"cast({_q(c)} as varchar)" for c in shown]
    picked += [_q(c) for c in LOCATION_COLUMNS] if locate else []
    if not picked:
        return
    order = f" order by {', '.join(_q(c) for c in LOCATION_COLUMNS)}" if locate else ""
    failing = con.execute(
        f"select {', '.join(picked)} from (select *, ({rule}) as _ok from ({query}) as _q) "
        f"as _r where not _ok{order} limit {SAMPLE_SIZE}").fetchall()
    for values in failing:
        if shown:
            outcome.sample.append(", ".join("null" if v is None else str(v)[:40]
                                            for v in values[:len(shown)]))
        if locate:
            outcome.locations.append(f"{values[-2]} row {int(values[-1])}")


def _docs_page(context, identifier, docs_dir: Path, base: str) -> str | None:
    """The Data Docs page of a validation result, as a URL a browser opens from the Dagster
    UI: under `base` (GateSettings.data_docs_url; `make data-docs` serves the folder there),
    since browsers block file:// links from a web page (docs/stack.md)."""
    sites = context.get_docs_sites_urls(resource_identifier=identifier)
    if not sites or not sites[0].get("site_url"):
        return None
    page = sites[0]["site_url"]
    root = (docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site").as_uri()
    return base.rstrip("/") + page.removeprefix(root) if page.startswith(root) else page


