"""Great Expectations suites (expectations/*.yml) as GX 1.x suites, validated on DuckDB.

GX's SQL datasource does not work on DuckDB (shared/stack-notes.md), so a suite's table or
query is read from DuckDB as Arrow record batches, turned into pandas, and validated
through GX's pandas datasource, batch by batch; unexpected counts add up over the batches.
GX is imported only here, when a validation runs (importing it costs seconds).

A result never carries a value of a person-key column or of a column the suite marks
`sensitive`: failing rows are described by count, and by sample values only elsewhere.

Raw suites validate a delivery *before* it is written (stack-notes.md: a blocking check
does not undo its asset's own write): their queries read `{rows}`, the incoming rows of
their table, and `{after:TABLE}`, a table as it will be once the delivery is written.
Failing rows of raw suites are located by delivery file and row (`_source_file`,
`_source_row`), never by a value of a person key.
"""

import csv
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from orchestration.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from orchestration.contract import TABLE_BY_KEY
from orchestration.ingest import PERSON_COLUMNS

BATCH_ROWS = 2_000_000  # ~0.3 s to load and ~1 s to validate per batch (stack-notes.md)
SAMPLE_SIZE = 5


LOCATION_COLUMNS = ["_source_file", "_source_row"]
# Person keys under their raw names and under the platform's name (staging on).
SENSITIVE_COLUMNS = frozenset(PERSON_COLUMNS | {"person_key"})
_AFTER = re.compile(r"\{after:(\w+)\}")


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
    def check_name(self) -> str:
        """The Dagster asset check that runs this suite, e.g. gx_raw__lpr2__t_adm."""
        return f"gx_{self.name.replace('.', '__')}"

    def sql(self, incoming: dict[str, str] | None = None) -> str:
        """The query with `{rows}` and `{after:TABLE}` bound to the relations of a delivery
        being loaded (keys `TABLE` and `after:TABLE`), else to the raw tables as they are."""
        bound = incoming or {}
        query = self.query.replace("{rows}", bound.get(self.table, f"raw.{self.table}"))
        return _AFTER.sub(lambda m: bound.get(f"after:{m.group(1)}", f"raw.{m.group(1)}"),
                          query)


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
        quarantine (data-contract.md, "What bad input gets") and the gate warns."""
        return [o for o in self.outcomes if o.success and o.unexpected_count]


def quarantine_threshold() -> float:
    return float(os.environ.get("GOP_QUARANTINE_THRESHOLD", "0.001"))


def quarantine_min_rows() -> int:
    """A row rule broken by at most this many rows of a delivery quarantines them whatever
    their share: in a tiny delivery (a first trial, a small region) one bad row is already
    more than 0.1 %, and refusing the month for it would help no one."""
    return int(os.environ.get("GOP_QUARANTINE_MIN_ROWS", "10"))


# An expectation with this placeholder is left out while its setting is unset: keys are
# opaque strings by default (data-contract.md, "CSV format"), a shape is an opt-in rule.
OPTIONAL_PLACEHOLDERS = ("person_key_pattern",)


def _placeholders() -> dict[str, Any]:
    return {
        "person_key_pattern": os.environ.get("GOP_PERSON_KEY_PATTERN") or None,
        "quarantine_mostly": 1 - quarantine_threshold(),
        "today": date.today().isoformat(),
        "yoy_warn_share": float(os.environ.get("GOP_YOY_WARN_SHARE", "0.5")),
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


def load_suites(root: Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    values = _placeholders()
    specs = []
    for path in sorted(root.glob("*/*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        layer, table = path.parent.name, path.stem
        expectations = []
        if raw.get("contract_columns"):
            contract = TABLE_BY_KEY[raw["contract_columns"]]
            expectations += [
                {"type": "expect_column_to_exist", "kwargs": {"column": c},
                 "meta": {"rule": "required column present", "source": "data-contract.md"}}
                for c in contract.column_names]
        for e in raw.get("expectations") or []:
            if any(v == f"{{{name}}}" and values[name] is None
                   for v in e["kwargs"].values() for name in OPTIONAL_PLACEHOLDERS):
                continue
            kwargs = {k: _resolve(v, values) for k, v in e["kwargs"].items()}
            expectations.append({"type": e["type"], "kwargs": kwargs, "meta": e.get("meta", {})})
        relation = f"{layer}.{table}"
        sensitive = frozenset(raw.get("sensitive", [])) | SENSITIVE_COLUMNS
        keys = ([raw["grain"]] if raw.get("grain") else []) + list(raw.get("unique") or [])
        query = raw.get("query") or _default_query(layer, relation, keys, expectations)
        expectations, query = _computed_in_duckdb(expectations, query, sensitive, path)
        key_expectations, query = _key_counts(keys, query, expectations,
                                              grain=bool(raw.get("grain")))
        specs.append(SuiteSpec(
            name=relation, asset_key=tuple(raw["asset"]), query=" ".join(query.split()),
            severity=raw.get("severity", "error"),
            expectations=key_expectations + expectations, sensitive=sensitive))
    return specs


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _computed_in_duckdb(expectations: list[dict[str, Any]], query: str,
                        sensitive: frozenset[str], path: Path):
    """An expectation on a sensitive column (a person key, a true count) is judged by DuckDB:
    the column becomes a boolean "the rule holds" (NULL where GX would skip the row), and GX
    expects it to be true. So no value of a sensitive column ever reaches pandas, GX's
    validation results or its Data Docs, whatever result format GX keeps (it stores a
    sample of unexpected values per expectation)."""
    rewritten, computed = [], []
    for i, e in enumerate(expectations):
        kw = e["kwargs"]
        column = kw.get("column")
        if column not in sensitive:
            rewritten.append(e)
            continue
        q, name = f'"{column}"', f"_rule{i}_{column}"
        kind = e["type"]
        if kind == "expect_column_to_exist":
            rule = f"{q} is null or true"  # names the column: the query fails without it
        elif kind == "expect_column_values_to_not_be_null":
            rule = f"{q} is not null"
        elif kind == "expect_column_values_to_match_regex":
            rule = f"regexp_matches({q}, {_sql_literal(kw['regex'])})"
        elif kind == "expect_column_values_to_be_in_set":
            rule = f"{q} in ({', '.join(_sql_literal(v) for v in kw['value_set'])})"
        elif kind == "expect_column_values_to_be_between":
            bounds = [f"{q} >= {_sql_literal(kw['min_value'])}"
                      if kw.get("min_value") is not None else None,
                      f"{q} <= {_sql_literal(kw['max_value'])}"
                      if kw.get("max_value") is not None else None]
            rule = " and ".join(b for b in bounds if b) or "true"
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
                   expectations: list[dict[str, Any]]) -> str:
    """The whole relation, or only the columns the suite reads (a suite of keys and a few
    rules should not read every column)."""
    if layer == "raw":
        return "select * from {rows}"
    named = _named_columns(expectations)
    if named is None:
        return f"select * from {relation}"
    columns = list(dict.fromkeys([c for key in keys for c in key] + named))
    return f"select {', '.join(columns)} from {relation}"


def _key_counts(keys: list[list[str]], query: str, expectations: list[dict[str, Any]], *,
                grain: bool):
    """Uniqueness of each key, judged by DuckDB over the whole relation: the suite is
    validated in batches, and a duplicate split over two batches would pass GX's own
    `expect_column_values_to_be_unique`. Each key becomes two small columns, how many rows
    share it (expected 1) and whether it is complete (no key column null), so the key values
    themselves never travel to pandas or into a result."""
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


class Validator:
    """Validates suites on DuckDB through GX's pandas datasource, in batches, with one GX
    context; `publish` then renders their Data Docs pages and the index once. GX's docs
    action would rebuild the index after every suite, and the index lists every validation
    ever kept, so that cost grows month by month (0.2 s with 16 results, 0.7 s with 1,936)."""

    def __init__(self, docs_dir: Path | None = None):
        self.docs_dir = docs_dir
        self._context = None
        self._unpublished: list[tuple[SuiteOutcome, list]] = []  # outcome, its results' ids

    def _gx_context(self):
        if self._context is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self._context = (
                gx.get_context(mode="file", project_root_dir=str(self.docs_dir))
                if self.docs_dir is not None else gx.get_context(mode="ephemeral"))
            # GX draws a tqdm bar per batch on stderr: noise in Dagster's compute logs.
            self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        return self._context

    def validate(self, con, spec: SuiteSpec,
                 incoming: dict[str, str] | None = None) -> SuiteOutcome:
        """A raw suite runs on a delivery's `incoming` rows when given (module docstring).
        The outcome's `docs_url` is set by `publish`."""
        import great_expectations as gx

        context = self._gx_context()
        source = context.data_sources.add_or_update_pandas("warehouse")
        asset_name = spec.name.replace(".", "__")
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_dataframe_asset(asset_name)
        batch_def = (asset.batch_definitions[0] if asset.batch_definitions
                     else asset.add_batch_definition_whole_dataframe("whole"))
        suite = context.suites.add_or_update(_gx_suite(gx, spec))
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=spec.name, data=batch_def, suite=suite))
        query = _frame_query(con, spec.sql(incoming), spec.sensitive)
        empty = con.execute(f"select * from ({query}) limit 0").df()
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
        if set(LOCATION_COLUMNS) <= set(empty.columns):
            result_format["unexpected_index_column_names"] = LOCATION_COLUMNS
        checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
            name=spec.name, validation_definitions=[validation], actions=[],
            result_format=result_format))

        outcomes = [ExpectationOutcome(e["type"], e["kwargs"].get("column")
                                       or e["kwargs"].get("column_A", ""),
                                       e["meta"].get("rule", ""), True)
                    for e in spec.expectations]
        rows, identifiers = 0, []
        reader = con.execute(query).to_arrow_reader(BATCH_ROWS)
        for frame in _batches(reader, empty):  # an empty table still has its columns checked
            rows += len(frame)
            result = checkpoint.run(batch_parameters={"dataframe": frame})
            ((identifier, run_result),) = result.run_results.items()
            identifiers.append(identifier)
            for er in run_result.results:
                _merge(outcomes[int(er.expectation_config.meta["spec_index"])], er,
                       spec.sensitive)
        # `mostly` holds over the whole table, not per batch: judge it on the summed counts.
        for outcome, e in zip(outcomes, spec.expectations, strict=True):
            mostly = e["kwargs"].get("mostly")
            if mostly is not None and outcome.element_count:
                share = 1 - outcome.unexpected_count / outcome.element_count
                outcome.success = (share >= mostly
                                   or outcome.unexpected_count <= quarantine_min_rows())
        suite_outcome = SuiteOutcome(spec.name, all(o.success for o in outcomes), rows, outcomes)
        self._unpublished.append((suite_outcome, identifiers))
        return suite_outcome

    def publish(self) -> None:
        """Render the Data Docs pages of the validations since the last call, and the index
        once; each outcome links its last batch's page."""
        pending, self._unpublished = self._unpublished, []
        if self.docs_dir is None or not pending:
            return
        context = self._gx_context()
        context.build_data_docs(resource_identifiers=[i for _, ids in pending for i in ids])
        for outcome, identifiers in pending:
            outcome.docs_url = _docs_page(context, identifiers[-1], self.docs_dir)


def _frame_query(con, query: str, sensitive: frozenset[str]) -> str:
    """What GX is given: the suite's query without its sensitive columns (their rules are
    judged in DuckDB, `_computed_in_duckdb`), and times as text: pandas has no time of day
    24:00, which the contract allows (data-contract.md, "CSV format")."""
    described = con.execute(f"describe select * from ({query}) as _q").fetchall()
    columns = []
    for name, kind, *_ in described:
        if name in sensitive:
            continue
        quoted = f'"{name}"'
        is_time = kind.startswith("TIME") and not kind.startswith("TIMESTAMP")
        columns.append(f"cast({quoted} as varchar) as {quoted}" if is_time else quoted)
    return f"select {', '.join(columns) or 'true as _row'} from ({query}) as _frame"


def _docs_page(context, identifier, docs_dir: Path) -> str | None:
    """The Data Docs page of a validation result, as a URL a browser opens from the Dagster
    UI: under GOP_DATA_DOCS_URL (`make data-docs` serves the folder there), since browsers
    block file:// links from a web page (stack-notes.md)."""
    sites = context.get_docs_sites_urls(resource_identifier=identifier)
    if not sites or not sites[0].get("site_url"):
        return None
    page = sites[0]["site_url"]
    root = (docs_dir / "gx" / "uncommitted" / "data_docs" / "local_site").as_uri()
    base = os.environ.get("GOP_DATA_DOCS_URL", "http://127.0.0.1:3001")
    return base.rstrip("/") + page.removeprefix(root) if page.startswith(root) else page


def _batches(reader, empty):
    seen = False
    for batch in reader:
        if batch.num_rows:
            seen = True
            yield batch.to_pandas()
    if not seen:
        yield empty


def _merge(outcome: ExpectationOutcome, er, sensitive: frozenset[str]) -> None:
    res = er.result or {}
    outcome.success = outcome.success and bool(er.success)
    outcome.unexpected_count += int(res.get("unexpected_count") or 0)
    outcome.element_count += int(res.get("element_count") or 0)
    if outcome.column not in sensitive and len(outcome.sample) < SAMPLE_SIZE:
        for v in res.get("partial_unexpected_list") or []:
            if len(outcome.sample) < SAMPLE_SIZE:
                outcome.sample.append(str(v)[:40])
    for row in res.get("partial_unexpected_index_list") or []:
        # Only the location columns are read: the row dict also holds the tested value.
        if isinstance(row, dict) and len(outcome.locations) < SAMPLE_SIZE:
            outcome.locations.append(f"{row['_source_file']} row {int(row['_source_row'])}")
