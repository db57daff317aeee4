"""What every core module needs of DuckDB's SQL: a string literal, and a query's one value."""

from typing import Any

import duckdb


def sql_string(value: str) -> str:
    """A SQL string literal (for what DuckDB takes no parameter for: a COPY target, a path
    inside a view)."""
    return "'" + value.replace("'", "''") + "'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The first column of the one row a query returns (an aggregate, a setting)."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise ValueError("the query returned no row")
    return row[0]
