"""What a dbt test checks, as a rule a steward can read, with its source.

dagster-dbt shows a dbt test in the UI as an asset check with no description. Each check
gets one here, from the dbt YAML: the test's own `description` where it has one, else a
sentence made from the generic test and its arguments; the source is the test's
`meta.source`, else its model's, else the documents its model's description cites
(docs/quality-gates.md, "dbt tests").
"""

import re
from collections.abc import Mapping
from typing import Any

# A citation in a model's description: a doc (with its section, if quoted) or an SDS seed
# (with its part, if quoted, or its figure).
CITATION = re.compile(r'docs/[a-z-]+\.md(?:, "[^"]+")?|seed 00\d(?: "[^"]+"| Figur [\d-]+)?')


def node_meta(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A dbt node's meta: its `meta` and its `config.meta` (dbt 1.11 keeps both)."""
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def _ref_name(ref: str) -> str:
    """`ref('plan_types')` -> plan_types."""
    found = re.search(r"""ref\(\s*['"]([^'"]+)['"]""", ref)
    return found.group(1) if found else ref


def rule(test: Mapping[str, Any]) -> str:
    """The rule a test holds, in words."""
    if (test.get("description") or "").strip():
        return " ".join(test["description"].split())
    meta = test.get("test_metadata") or {}
    kind, kw = meta.get("name"), meta.get("kwargs") or {}
    column = test.get("column_name") or kw.get("column_name")
    if kind == "unique":
        text = f"every {column} occurs once"
    elif kind == "not_null":
        text = f"{column} is never empty"
    elif kind == "accepted_values":
        text = f"{column} is one of {', '.join(map(str, kw.get('values', [])))}"
    elif kind == "relationships":
        text = f"every {column} is a {kw.get('field')} of {_ref_name(str(kw.get('to')))}"
    elif kind == "unique_combination_of_columns":
        text = f"one row per ({', '.join(kw.get('columns', []))})"
    elif kind == "expression_is_true":
        text = f"on every row: {' '.join(str(kw.get('expression')).split())}"
    elif kind == "no_overlapping_periods":
        text = (f"the periods ({kw.get('start_column')}, {kw.get('end_column')}) of one "
                f"{kw.get('partition_by')} never overlap")
    else:
        raise ValueError(f"dbt test {test.get('name')}: a {kind or 'singular'} test needs a "
                         "`description` in its YAML saying the rule it holds")
    where = (test.get("config") or {}).get("where")
    return f"{text} (where {where})" if where else text


def source(test: Mapping[str, Any], model: Mapping[str, Any] | None) -> str | None:
    """Where the rule comes from: the test's meta, its model's meta, or what its model cites."""
    for node in (test, model or {}):
        if node_meta(node).get("source"):
            return str(node_meta(node)["source"])
    cited = dict.fromkeys(CITATION.findall((model or {}).get("description") or ""))
    return "; ".join(cited) or None


def describe(test: Mapping[str, Any], model: Mapping[str, Any] | None) -> str:
    """The check's description: its rule, its source, and what a failure does."""
    severity = ((test.get("config") or {}).get("severity") or "error").lower()
    verdict = ("a failure blocks everything downstream in the run" if severity == "error"
               else "a failure warns and blocks nothing")
    where = f" on `{model['name']}`" if model else ""
    return (f"Rule: {rule(test)}.\n\nSource: {source(test, model) or 'none given'}.\n\n"
            f"dbt test `{test['name']}`{where}: {verdict}.")
