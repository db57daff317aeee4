"""Settings: DuckDB's memory limit, spill directory and threads come from the environment
and reach every warehouse connection."""

import pytest

from orchestration.app.config import duckdb_config, load_settings
from orchestration.core.settings import GateSettings
from orchestration.defs.resources import Warehouse

pytestmark = pytest.mark.unit


def test_duckdb_settings_reach_the_warehouse_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("GOP_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("GOP_DUCKDB_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("GOP_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("GOP_DUCKDB_THREADS", "1")
    settings = load_settings()
    warehouse = Warehouse(path=str(settings.warehouse_path),
                          duckdb_settings=duckdb_config(settings))
    with warehouse.connect() as con:
        limit, temp, threads = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('threads')").fetchone()
    assert limit.replace(" ", "") in ("700.0MB", "667.5MiB", "700MB")
    assert temp == str(tmp_path / "spill")
    assert int(threads) == 1


def test_the_spill_directory_defaults_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("GOP_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    for var in ("GOP_DUCKDB_MEMORY_LIMIT", "GOP_DUCKDB_TEMP_DIR", "GOP_DUCKDB_THREADS"):
        monkeypatch.delenv(var, raising=False)
    config = duckdb_config(load_settings())
    assert config == {"memory_limit": "4GB", "temp_directory": str(tmp_path / "w.duckdb.tmp")}


@pytest.mark.parametrize("var, value", [("GOP_DUCKDB_MEMORY_LIMIT", "lots"),
                                        ("GOP_DUCKDB_MEMORY_LIMIT", "4"),
                                        ("GOP_DUCKDB_THREADS", "0"),
                                        ("GOP_DBT_THREADS", "0"),
                                        ("GOP_DUCKDB_THREADS", "two"),
                                        ("GOP_QUARANTINE_THRESHOLD", "5 %"),
                                        ("GOP_QUARANTINE_THRESHOLD", "1.5"),
                                        ("GOP_QUARANTINE_MIN_ROWS", "-1"),
                                        ("GOP_YOY_WARN_SHARE", "half"),
                                        ("GOP_PERSON_KEY_PATTERN", "[0-9"),
                                        ("GOP_ALERT_SMTP_PORT", "smtp")])
def test_a_bad_setting_is_refused_by_name(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        load_settings()


def test_dbt_gets_the_same_duckdb_settings_when_it_connects():
    """dbt-duckdb SETs a profile's `settings` again on every new cursor, and DuckDB refuses to
    switch the temporary directory once a query has spilled into it, even to the same path:
    at a quarter of national volume every dbt test after the first spill errored. So the
    profile passes them as connection options, and they are the ones of duckdb_config."""
    import yaml

    from orchestration.core.paths import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    (output,) = profile["gop_platform"]["outputs"].values()
    assert "settings" not in output
    assert set(output["config_options"]) == {"memory_limit", "temp_directory",
                                             "preserve_insertion_order"}
    assert set(duckdb_config(load_settings())) <= set(output["config_options"])
    assert "GOP_DBT_THREADS" in str(output["threads"])


def test_the_gates_and_the_alerts_are_given_their_settings(monkeypatch):
    """The gates and the alert sensors read no environment of their own: app/config.py reads
    it once and the definitions hand the records to the resources."""
    from orchestration.definitions import build_definitions

    monkeypatch.setenv("GOP_QUARANTINE_THRESHOLD", "0.02")
    monkeypatch.setenv("GOP_QUARANTINE_MIN_ROWS", "3")
    monkeypatch.setenv("GOP_PERSON_KEY_PATTERN", "^[0-9]+$")
    monkeypatch.setenv("GOP_DATA_DOCS_URL", "http://docs.example")
    monkeypatch.setenv("GOP_ALERT_WEBHOOK_URL", "http://hook.example")
    monkeypatch.setenv("GOP_ALERT_SMTP_PORT", "2525")
    settings = load_settings()
    assert settings.gates == GateSettings(0.02, 3, "^[0-9]+$", 0.5, "http://docs.example")
    assert (settings.alerts.webhook_url, settings.alerts.smtp_port) == ("http://hook.example",
                                                                        2525)
    monkeypatch.setenv("GOP_QUARANTINE_THRESHOLD", "0.9")  # too late: the record was read
    resources = build_definitions(settings).resources
    assert resources["data_docs"].gates == settings.gates
    assert resources["alerting"].channels == settings.alerts
