"""The Dagster definitions load and are wired as docs/architecture.md says."""

import tomllib
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey

from orchestration.core.contract import TABLES
from orchestration.core.paths import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = pytest.mark.definitions


@pytest.fixture()
def defs(settings):
    from orchestration.definitions import build_definitions

    return build_definitions(settings)


def test_workspace_and_pyproject_name_the_same_module():
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["python_module"]["module_name"] == pyproject["tool"]["dagster"]["module_name"]
    assert entry["python_module"]["module_name"] == "orchestration.definitions"


def test_module_level_defs_load():
    from orchestration import definitions

    assert definitions.defs.resolve_asset_graph().get_all_asset_keys()


def test_raw_asset_keys_are_the_dbt_sources(defs):
    graph = defs.resolve_asset_graph()
    for table in TABLES:
        key = AssetKey([table.register, table.name])
        assert graph.has(key) and graph.get(key).is_materializable, key
        staging = AssetKey(["staging", f"stg_{table.register}__{table.name}"])
        assert key in graph.get(staging).parent_keys


def test_dbt_sources_declare_exactly_the_contract():
    declared = {}
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if source["name"] == "platform":  # the ingestion's own log, not a delivery
                continue
            for table in source["tables"]:
                cols = [c["name"] for c in table["columns"] if not c["name"].startswith("_")]
                declared[(source["name"], table["name"])] = (table["identifier"], cols)
                assert table["config"]["meta"]["dagster"]["asset_key"] == [
                    source["name"], table["name"]]
    assert declared == {(t.register, t.name): (t.key, t.column_names) for t in TABLES}


def test_layers_are_asset_groups_in_order(defs):
    graph = defs.resolve_asset_graph()
    group = {k: graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert group[AssetKey(["lpr2", "t_adm"])] == "raw"
    assert group[AssetKey(["staging", "stg_lpr2__t_adm"])] == "staging"
    assert group[AssetKey(["intermediate", "int_linkage__step4_nearest_stay"])] == "intermediate"
    assert group[AssetKey(["marts", "fct_plans_linked"])] == "marts"
    assert group[AssetKey(["exports", "plans_linked"])] == "exports"
    # marts/fct_plans_linked reaches back to every GOP and LPR raw table it needs.
    seen, todo = set(), [AssetKey(["marts", "fct_plans_linked"])]
    while todo:
        key = todo.pop()
        for parent in graph.get(key).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    for raw in (["lpr2", "t_adm"], ["lpr2", "t_bes"], ["lpr3", "kontakter"], ["gop", "t_dgop"],
                ["gop", "t_ggop"], ["cpr", "t_adresse"]):
        assert AssetKey(raw) in seen, raw


def test_every_asset_that_touches_duckdb_is_in_the_duckdb_pool(defs):
    graph = defs.resolve_asset_graph()
    pools = {}
    for node in graph.asset_nodes:
        if node.is_materializable:
            pools[node.key] = node.pools
    assert all("duckdb" in p for p in pools.values()), {
        k.to_user_string(): p for k, p in pools.items() if "duckdb" not in p}


def test_every_dbt_data_test_is_an_asset_check_on_the_asset_it_tests(defs):
    import json

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]

    def tested(test) -> str:
        """The model a test judges: its attached node, or a singular test's one model."""
        models = [n for n in test["depends_on"]["nodes"] if n in nodes]
        return nodes[test.get("attached_node") or models[-1]]["name"]

    expected = {(t["name"], tested(t)) for t in nodes.values() if t["resource_type"] == "test"}
    checks = {(c.name, c.asset_key.path[-1]) for c in defs.resolve_asset_graph().asset_check_keys
              if not c.name.startswith("gx_")}
    assert len(expected) > 100 and checks == expected


def test_no_side_effects_at_import(tmp_path, monkeypatch):
    """Importing and building the definitions writes nothing (no warehouse, no folders)."""
    import importlib

    monkeypatch.setenv("GOP_WAREHOUSE_PATH", str(tmp_path / "x" / "w.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    from orchestration import definitions

    importlib.reload(definitions)
    assert not list(tmp_path.iterdir())


def test_gitignore_keeps_data_out():
    ignored = Path(PROJECT_ROOT / ".gitignore").read_text()
    for pattern in ("/data/", "*.duckdb", "dbt_project/target/", ".dagster_home/"):
        assert pattern in ignored


def test_every_gx_suite_is_a_blocking_check_on_a_real_asset(defs):
    from orchestration.core.quality import load_suites

    graph = defs.resolve_asset_graph()
    checks = {c.name: c for c in graph.asset_check_keys}
    suites = load_suites()
    assert len(suites) == len(list((PROJECT_ROOT / "expectations").glob("*/*.yml")))
    for spec in suites:
        key = AssetKey(list(spec.asset_key))
        assert graph.has(key), spec.name
        name = f"gx_{spec.name.replace('.', '__')}"
        assert name in checks and checks[name].asset_key == key
        assert graph.get_check_spec(checks[name]).blocking == (spec.severity == "error")


def test_each_layer_is_one_dbt_step_that_waits_for_the_gates_before_it(defs):
    """A failing gate stops the rest of its run. dbt builds one layer per step and
    the GX suites of a layer run as one step, so the next layer's step waits for all of
    them; and every model and seed is in exactly one layer's step."""
    import json

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    built = sorted(n["name"] for n in manifest["nodes"].values()
                   if n["resource_type"] in ("model", "seed"))
    steps = {a.node_def.name: a.keys for a in defs.assets
             if getattr(a, "node_def", None) and a.node_def.name.startswith("dbt_")}
    assert sorted(steps) == ["dbt_intermediate", "dbt_marts", "dbt_staging"]
    assert sorted(k.path[-1] for keys in steps.values() for k in keys) == built
    for layer in ("intermediate", "marts"):
        assert {k.path[0] for k in steps[f"dbt_{layer}"]} == {layer}

    job = defs.resolve_job_def("refresh_downstream")
    deps = job.graph.dependency_structure

    def upstream(node: str) -> set[str]:
        return {out.node_name for outs in deps.input_to_upstream_outputs_for_node(node).values()
                for out in outs}

    assert {"dbt_staging", "gx_staging"} <= upstream("dbt_intermediate")
    assert {"dbt_intermediate", "gx_intermediate"} <= upstream("dbt_marts")
    for export in ("exports__plans_linked", "exports__table1_persons_by_municipality",
                   "exports__linkage_charts"):
        assert {"dbt_marts", "gx_marts"} <= upstream(export), export


def test_alert_sensors_are_defined(defs):
    names = {s.name for s in defs.sensors}
    assert {"alert_on_run_failure", "alert_on_failed_warn_checks"} <= names


def test_dead_runs_are_recovered_under_the_daemon_by_default(defs):
    """Runs from the UI, sensors and the schedule recover from a dead worker as `gop run`'s
    do (orchestration/defs/recovery/dead_runs.py): the sensor runs as soon as a daemon does."""
    from dagster import DefaultSensorStatus

    (sensor,) = [s for s in defs.sensors if s.name == "recover_dead_runs"]
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 60
    from dagster import DagsterInstance, SkipReason, build_sensor_context

    with DagsterInstance.ephemeral() as instance:
        result = sensor(build_sensor_context(instance=instance))
    assert isinstance(result, SkipReason)
    assert result.skip_message == "no run left behind by a dead process"


def test_every_check_shows_its_rule_and_source_and_dbt_test_names_stay_readable(defs):
    """A steward sees on each check in the UI which rule it holds and where that rule comes
    from (docs/quality-gates.md, "dbt tests"); a dbt test's name is a name, not its arguments."""
    graph = defs.resolve_asset_graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    assert len(specs) > 150
    for spec in specs:
        text = spec.description or ""
        if spec.name.startswith("gx_"):
            rules = [line for line in text.splitlines() if line.startswith("- ")]
            assert rules and all("(source: " in r for r in rules), (spec.name, text)
        else:
            assert text.startswith("Rule: ") and "\n\nSource: " in text, (spec.name, text)
            assert "Source: none given" not in text, spec.name
            assert len(spec.name) <= 64, spec.name


def test_every_dbt_model_says_its_grain_first_and_where_its_rule_comes_from(defs):
    """A steward reads the grain first, then which part of the method it is."""
    graph = defs.resolve_asset_graph()
    sources = ("docs/method.md", "seed 00", "docs/extract-contract.md")
    missing_grain, missing_source = [], []
    for key in graph.get_all_asset_keys():
        layer = key.path[0]
        if layer not in ("staging", "intermediate", "marts"):
            continue
        description = graph.get(key).description or ""
        if not description.startswith("Grain:"):
            missing_grain.append(key.to_user_string())
        if layer != "staging" and not any(s in description for s in sources):
            missing_source.append(key.to_user_string())
    assert not missing_grain and not missing_source, (missing_grain, missing_source)


def test_every_asset_has_an_owner_a_layer_group_and_a_description(defs):
    graph = defs.resolve_asset_graph()
    groups = {"raw", "staging", "intermediate", "marts", "exports", "reference"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_external:
            continue
        assert node.group_name in groups, key
        assert node.owners, key
        assert node.description, key


def test_runs_start_on_arrival_on_a_schedule_and_after_ingestion(defs):
    assert {s.name for s in defs.schedules} == {"monthly_refresh"}
    assert {"new_deliveries", "refresh_after_ingest"} <= {s.name for s in defs.sensors}
