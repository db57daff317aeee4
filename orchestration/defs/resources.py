"""Resources: the DuckDB warehouse, the landing and export directories, the gates' Data Docs
and settings, the alert channels."""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from orchestration.core import quality
from orchestration.core.quality import DEFAULT_GATES
from orchestration.core.settings import AlertChannels, GateSettings

# Every asset and check that writes the warehouse runs in this pool, whose limit is 1:
# DuckDB has one writer (docs/stack.md).
DUCKDB_POOL = "duckdb"


class Warehouse(ConfigurableResource):
    """The DuckDB file. One writer at a time: every asset that writes it runs in the
    `duckdb` concurrency pool, and connections are closed before dbt runs."""

    path: str
    # DuckDB settings (orchestration/app/config.py, duckdb_config): memory_limit, temp_directory,
    # threads. Empty: DuckDB's defaults.
    duckdb_settings: dict[str, str] = {}

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only, config=dict(self.duckdb_settings))
        try:
            yield con
        finally:
            con.close()


class Landing(ConfigurableResource):
    """The landing directory of docs/extract-contract.md."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class Exports(ConfigurableResource):
    """Where the exports of docs/extract-contract.md are written, and how table 1 is protected."""

    path: str
    # Beyond SDS: hide further cells until no `<5` cell can be recovered (docs/method.md,
    # "Disclosure control").
    complementary_suppression: bool = False

    @property
    def root(self) -> Path:
        return Path(self.path)


class DataDocs(ConfigurableResource):
    """Where GX keeps its file context and renders Data Docs (GOP_GX_DIR), and what the gates
    are given (core.settings.GateSettings, read by app/config.py)."""

    path: str
    quarantine_threshold: float = DEFAULT_GATES.quarantine_threshold
    quarantine_min_rows: int = DEFAULT_GATES.quarantine_min_rows
    person_key_pattern: str | None = DEFAULT_GATES.person_key_pattern
    yoy_warn_share: float = DEFAULT_GATES.yoy_warn_share
    data_docs_url: str = DEFAULT_GATES.data_docs_url

    @classmethod
    def given(cls, path: str, gates: GateSettings) -> "DataDocs":
        return cls(path=path, **dataclasses.asdict(gates))

    @property
    def gates(self) -> GateSettings:
        return GateSettings(**{f.name: getattr(self, f.name)
                               for f in dataclasses.fields(GateSettings)})

    def validator(self) -> quality.Validator:
        return quality.Validator(self.root, self.gates)

    @property
    def root(self) -> Path:
        Path(self.path).mkdir(parents=True, exist_ok=True)
        return Path(self.path)


class Alerting(ConfigurableResource):
    """Where the alert sensors send (core.settings.AlertChannels, read by app/config.py)."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = AlertChannels.email_from
    email_to: str | None = None
    ui_url: str = AlertChannels.ui_url

    @classmethod
    def given(cls, channels: AlertChannels) -> "Alerting":
        return cls(**dataclasses.asdict(channels))

    @property
    def channels(self) -> AlertChannels:
        return AlertChannels(**{f.name: getattr(self, f.name)
                                for f in dataclasses.fields(AlertChannels)})
