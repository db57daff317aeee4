"""Resources: the DuckDB warehouse, the landing and export directories."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

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
    """Where GX keeps its file context and renders Data Docs (GOP_GX_DIR)."""

    path: str

    @property
    def root(self) -> Path:
        Path(self.path).mkdir(parents=True, exist_ok=True)
        return Path(self.path)
