"""Load delivery months of the landing directory into the DuckDB `raw` schema.

Pure Python + DuckDB, no Dagster: the Dagster assets in `orchestration/assets/raw.py` call
this, and so do the tests.

What a delivery gets (data-contract.md, "What bad input gets"):
- every file of every requested month is read and checked against the contract *before*
  anything is written; the first file that cannot be read as the contract says raises a
  `ContractError` naming the file, the row and the column, and nothing is written;
- otherwise all requested months are replaced in one transaction: each month's previous
  rows of every table are deleted and the new ones inserted, so a reload or a re-delivery
  never duplicates rows, and a reader never sees half a month;
- a table file absent from a delivered month means that month has no rows of it (the
  contract allows absent files), so a re-delivery can also remove rows; but a file the
  contract does not name (a renamed file) and a month folder with no file at all are
  errors, so that a renamed or missing transfer never reads as "no rows";
- a row whose month column lies outside its folder's month (a date in 1899 or in the
  future, a month delivered under another month's folder) is an error;
- a `gate` given to `load` (the raw quality suites) sees the incoming rows before they are
  written; when it says no, nothing is written.
Error messages never quote a person key: they name the column and the row instead.
"""

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.contract import (
    DATE,
    DUCKDB_TYPE,
    FORMAT_NAME,
    INT,
    LINEAGE_COLUMNS,
    MONTH_PATTERN,
    MONTHLY_TABLES,
    SNAPSHOT_TABLES,
    STRING,
    SUFFIXES,
    TIME,
    TIMESTAMP,
    Table,
)

RAW_SCHEMA = "raw"
DELIVERIES_TABLE = f"{RAW_SCHEMA}._deliveries"
SNAPSHOT = "snapshot"
# Columns whose values identify a person: never quoted in a message.
PERSON_COLUMNS = {"v_cpr_encrypted", "cpr_encrypted"}

# Strict text shapes of data-contract.md; DuckDB's casts are more lenient than the contract.
_SHAPE = {
    DATE: r"\d{4}-\d{2}-\d{2}",
    TIME: r"\d{2}:\d{2}",
    TIMESTAMP: r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
    INT: r"[+-]?\d+",
}


class ContractError(ValueError):
    """A file that cannot be read as data-contract.md says."""

    def __init__(self, file: str, problem: str, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column, self.problem = file, row, column, problem
        where = [file]
        if row is not None:
            where.append(f"row {row} (line {row + 1})" if row > 0 else "header row")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {problem}")


class DeliveryNotFound(ValueError):
    """A requested delivery month has no folder in the landing directory."""


class GateFailed(ValueError):
    """The raw quality gate refused the incoming rows; nothing was written."""


# The gate: given the connection and the relations of the incoming delivery (by table key,
# and `after:<key>` for each table as it will be once written), True lets the write happen.
Gate = Callable[[duckdb.DuckDBPyConnection, dict[str, str]], bool]


@dataclass(frozen=True)
class LoadedFile:
    table: str  # raw table key, e.g. lpr2__t_adm
    month: str  # YYYY-MM or 'snapshot'
    file: str | None  # relative to the landing directory; None when the file is absent
    rows: int
    sha256: str | None


# --- landing directory ---------------------------------------------------------------------
def delivery_months(landing: Path) -> list[str]:
    """Month folders present in the landing directory, in order."""
    if not landing.is_dir():
        return []
    return sorted(p.name for p in landing.iterdir()
                  if p.is_dir() and re.match(MONTH_PATTERN, p.name))


def find_file(landing: Path, table: Table, month: str | None) -> Path | None:
    found = [landing / table.relative_path(month, s) for s in SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise ContractError(str(table.relative_path(month, ".*")),
                            "both a CSV and a Parquet file are delivered; keep one")
    return found[0] if found else None


def check_month_folder(landing: Path, month: str, tables: Sequence[Table]) -> None:
    """Every file of a month folder is a file of the contract, and there is at least one."""
    folder = landing / month
    expected = {table.relative_path(month, s).as_posix() for table in tables for s in SUFFIXES}
    files = sorted(p.relative_to(landing).as_posix() for p in folder.rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    for rel in files:
        if rel not in expected:
            raise ContractError(rel, "not a file of the contract (a renamed file?); a month "
                                "folder holds lpr2/, lpr3/ and gop/ files named as in "
                                "data-contract.md, e.g. lpr2/t_adm.csv")
    if not any(rel in expected for rel in files):
        raise ContractError(f"{month}/", "the delivery folder holds no extract file: an "
                            "empty delivery is refused, so it cannot erase the month")


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def month_fingerprint(landing: Path, month: str, known: dict[str, list] | None = None,
                      ) -> tuple[str, dict[str, list]]:
    """The content fingerprint of a month folder: SHA-256 over its contract files' paths and
    SHA-256s, comparable with `loaded_fingerprints`. `known` caches each file's hash by
    (size, mtime): a file is read again only when those change, and a touched file whose
    content did not change keeps its fingerprint. Returns the fingerprint and the cache."""
    known = known or {}
    files: dict[str, list] = {}
    for table in MONTHLY_TABLES:
        path = find_file(landing, table, month)
        if path is None:
            continue
        rel, stat = path.relative_to(landing).as_posix(), path.stat()
        cached = known.get(rel)
        if cached and cached[:2] == [stat.st_size, stat.st_mtime_ns]:
            files[rel] = cached
        else:
            files[rel] = [stat.st_size, stat.st_mtime_ns, file_fingerprint(path)]
    return _fingerprint((rel, f[2]) for rel, f in files.items()), files


def fingerprint_of(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(f"{part}\n".encode())
    return digest.hexdigest()


def _fingerprint(files: Iterable[tuple[str, str]]) -> str:
    return fingerprint_of(f"{rel}\t{sha}" for rel, sha in sorted(files))


def loaded_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The fingerprint of each month as it was loaded (raw._deliveries)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                         "? AND table_name = '_deliveries'", [RAW_SCHEMA]).fetchone()[0]
    if not exists:
        return {}
    by_month: dict[str, list[tuple[str, str]]] = {}
    for month, rel, sha in con.execute(
            f"SELECT delivery_month, source_file, sha256 FROM {DELIVERIES_TABLE} "
            f"WHERE delivery_month <> '{SNAPSHOT}'").fetchall():
        files = by_month.setdefault(month, [])
        if rel is not None:
            files.append((rel, sha))
    return {m: _fingerprint(files) for m, files in by_month.items()}


# --- reading and checking one file ---------------------------------------------------------
def _check_header(names: Sequence[str], table: Table, rel: str) -> None:
    expected = table.column_names
    for c in expected:
        if c not in names:
            raise ContractError(rel, "missing column (the contract requires "
                                f"{', '.join(expected)})", row=0, column=c)
    for c in names:
        if c not in expected:
            raise ContractError(rel, "unexpected column, not in the contract", row=0, column=c)
    if len(set(names)) != len(names):
        dup = next(c for c in names if list(names).count(c) > 1)
        raise ContractError(rel, "column appears twice", row=0, column=dup)


def _csv_header(path: Path, rel: str) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise ContractError(rel, "the file is empty: no header row", row=0)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(rel, "not UTF-8 encoded", row=0) from exc
    return next(csv.reader([text]))


def _diagnose_csv(path: Path, rel: str, table: Table) -> ContractError | None:
    """Find the first row DuckDB refused, with a message that names row and column."""
    names = _csv_header(path, rel)
    n = len(names)
    decoder_errors = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        fh.readline()
        for line_no, raw in enumerate(fh, start=2):
            try:
                decoder_errors.decode(raw)
            except UnicodeDecodeError as exc:
                field = raw[: exc.start].count(b",")
                col = names[field] if field < n else None
                return ContractError(rel, "not UTF-8 encoded (the contract requires UTF-8)",
                                     row=line_no - 1, column=col)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        next(reader)
        try:
            for row_no, row in enumerate(reader, start=1):
                if len(row) < n:
                    return ContractError(
                        rel, f"the row ends after {len(row)} of {n} fields "
                        "(truncated or missing separator)", row=row_no, column=names[len(row)])
                if len(row) > n:
                    return ContractError(rel, f"the row has {len(row)} fields, the header {n}",
                                         row=row_no, column=names[-1])
        except csv.Error as exc:
            return ContractError(rel, f"malformed CSV quoting ({exc})", row=reader.line_num - 1)
    return None


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, rel: str, table: Table,
               stage: str) -> None:
    names = _csv_header(path, rel)
    _check_header(names, table, rel)
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in names)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {stage} AS
            SELECT row_number() OVER () AS _source_row, *
            FROM read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"',
                          escape = '"', strict_mode = true, columns = {{{columns}}})""",
            [str(path)],
        )
    except duckdb.Error as exc:
        diagnosed = _diagnose_csv(path, rel, table)
        if diagnosed:
            raise diagnosed from None
        # Never pass DuckDB's text on: it quotes the whole offending line.
        line = re.search(r"Line: (\d+)", str(exc))
        raise ContractError(rel, "cannot be read as CSV",
                            row=int(line.group(1)) - 1 if line else None) from None
    _check_values(con, stage, rel, table, text=True)


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, rel: str, table: Table,
                   stage: str) -> None:
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM parquet_schema(?) WHERE num_children IS NULL OR "
            "num_children = 0", [str(path)]).fetchall()]
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {stage} AS
            SELECT row_number() OVER () AS _source_row, * FROM read_parquet(?)""",
            [str(path)])
    except duckdb.Error:
        raise ContractError(rel, "cannot be read as Parquet") from None
    _check_header(names, table, rel)
    _check_values(con, stage, rel, table, text=False)


def _bad_value_sql(column: str, kind: str, text: bool) -> str:
    q = f'"{column}"'
    target = DUCKDB_TYPE[kind]
    if not text:
        return f"try_cast({q} AS {target}) IS NULL"
    shape = _SHAPE[kind]
    value = f"replace({q}, 'T', ' ')" if kind == TIMESTAMP else q
    return f"NOT regexp_full_match({q}, '{shape}') OR try_cast({value} AS {target}) IS NULL"


def _check_values(con: duckdb.DuckDBPyConnection, stage: str, rel: str, table: Table,
                  text: bool) -> None:
    """Every typed column parses as the contract's format; report the first row that does not."""
    typed = [(c, k) for c, k in table.columns if k != STRING]
    if not typed:
        return
    firsts = ", ".join(
        f'min(CASE WHEN "{c}" IS NOT NULL AND ({_bad_value_sql(c, k, text)}) '
        f"THEN _source_row END)" for c, k in typed)
    found = con.execute(f"SELECT {firsts} FROM {stage}").fetchone()
    bad = [(row, c, k) for row, (c, k) in zip(found, typed, strict=True) if row is not None]
    if not bad:
        return
    row, column, kind = min(bad, key=lambda b: b[0])
    value = con.execute(f'SELECT "{column}" FROM {stage} WHERE _source_row = ?',
                        [row]).fetchone()[0]
    shown = "" if column in PERSON_COLUMNS else f" {str(value)[:40]!r}"
    raise ContractError(rel, f"value{shown} is not {FORMAT_NAME[kind]}", row=row, column=column)


def _typed_select(table: Table, stage: str, text: bool) -> str:
    parts = []
    for c, kind in table.columns:
        q = f'"{c}"'
        if kind == STRING:
            parts.append(f"CAST({q} AS VARCHAR) AS {q}")
        elif kind == TIMESTAMP and text:
            parts.append(f"CAST(replace({q}, 'T', ' ') AS TIMESTAMP) AS {q}")
        else:
            parts.append(f"CAST({q} AS {DUCKDB_TYPE[kind]}) AS {q}")
    return ", ".join(parts)


def stage_file(con: duckdb.DuckDBPyConnection, landing: Path, path: Path, table: Table,
               stage: str) -> tuple[str, str]:
    """Read and check one file into a typed temp table; returns (relative path, sha256)."""
    rel = path.relative_to(landing).as_posix()
    text = path.suffix == ".csv"
    raw_stage = f"{stage}_text"
    if text:
        _stage_csv(con, path, rel, table, raw_stage)
    else:
        _stage_parquet(con, path, rel, table, raw_stage)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {stage} AS
        SELECT {_typed_select(table, raw_stage, text)}, _source_row FROM {raw_stage}""")
    con.execute(f"DROP TABLE {raw_stage}")
    return rel, file_fingerprint(path)


# --- writing ---------------------------------------------------------------------------------
def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in MONTHLY_TABLES + SNAPSHOT_TABLES:
        cols = [f'"{c}" {DUCKDB_TYPE[k]}' for c, k in table.columns]
        cols += [f"{c} {t}" for c, t in LINEAGE_COLUMNS]
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.key} ({', '.join(cols)})")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {DELIVERIES_TABLE} (
        table_key VARCHAR, delivery_month VARCHAR, source_file VARCHAR, row_count BIGINT,
        sha256 VARCHAR, loaded_at TIMESTAMP)""")


def _check_month(con: duckdb.DuckDBPyConnection, stage: str, rel: str, table: Table,
                 month: str) -> None:
    """data-contract.md: a month folder holds the rows whose month column is in that month."""
    column = table.month_column
    found = con.execute(
        f'SELECT _source_row, strftime("{column}", \'%Y-%m-%d\') FROM {stage} '
        f'WHERE strftime("{column}", \'%Y-%m\') <> ? ORDER BY _source_row LIMIT 1',
        [month]).fetchone()
    if found:
        raise ContractError(rel, f"date {found[1]} is not in the delivery month {month} "
                            "(a wrong date, or a month delivered under another month's "
                            "folder?)", row=found[0], column=column)


def _rows_to_write(table: Table, month: str, info: LoadedFile, stage: str,
                   loaded_at: datetime) -> str:
    """A staged file's rows as its raw table holds them: the contract columns, then the
    lineage columns (delivery month, file, row, load time). Both the write and the gate's
    view of it read this. The file name is a contract path (find_file finds no other)."""
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    return (f"SELECT {cols}, '{month}' AS _delivery_month, '{info.file}' AS _source_file, "
            f"_source_row, TIMESTAMP '{loaded_at}' AS _loaded_at FROM {stage}")


def _incoming_views(con: duckdb.DuckDBPyConnection, staged, loaded_at: datetime
                    ) -> dict[str, str]:
    """Temp views of what a load would write: per table its incoming rows, and the table as
    it will be afterwards (its other months plus the incoming ones), for the gate."""
    views: dict[str, str] = {}
    by_table: dict[str, list] = {}
    for table, month, info, stage in staged:
        by_table.setdefault(table.key, []).append((table, month, info, stage))
    for key, items in by_table.items():
        parts = [_rows_to_write(table, month, info, stage, loaded_at)
                 for table, month, info, stage in items if stage is not None]
        parts.append(f"SELECT * FROM {RAW_SCHEMA}.{key} WHERE false")
        months = ", ".join(f"'{m}'" for _, m, _, _ in items)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _incoming_{key} AS "
                    + " UNION ALL ".join(parts))
        con.execute(f"CREATE OR REPLACE TEMP VIEW _after_{key} AS SELECT * FROM "
                    f"{RAW_SCHEMA}.{key} WHERE _delivery_month NOT IN ({months}) "
                    f"UNION ALL SELECT * FROM _incoming_{key}")
        views[key], views[f"after:{key}"] = f"_incoming_{key}", f"_after_{key}"
    return views


def load(con: duckdb.DuckDBPyConnection, landing: Path, months: Iterable[str],
         tables: Sequence[Table] = MONTHLY_TABLES, gate: Gate | None = None,
         ) -> list[LoadedFile]:
    """Replace the given months (or the snapshot, month 'snapshot') of the given tables,
    if the gate (when given) passes the incoming rows."""
    months = list(months)
    for m in months:
        if m != SNAPSHOT and not (landing / m).is_dir():
            raise DeliveryNotFound(f"no delivery folder {m}/ in the landing directory")
        if m != SNAPSHOT:
            check_month_folder(landing, m, tables)
    ensure_raw_schema(con)
    staged: list[tuple[Table, str, LoadedFile, str | None]] = []
    views: dict[str, str] = {}
    try:
        for month in months:
            for table in tables:
                path = find_file(landing, table, None if month == SNAPSHOT else month)
                if path is None:
                    staged.append((table, month, LoadedFile(table.key, month, None, 0, None),
                                   None))
                    continue
                stage = f"_stage_{table.key}_{len(staged)}"
                rel, sha = stage_file(con, landing, path, table, stage)
                rows = con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0]
                staged.append((table, month, LoadedFile(table.key, month, rel, rows, sha), stage))
                if month != SNAPSHOT:
                    _check_month(con, stage, rel, table, month)
        loaded_at = datetime.now().replace(microsecond=0)
        if gate is not None:
            views = _incoming_views(con, staged, loaded_at)
            if not gate(con, views):
                raise GateFailed("the raw quality gate refused the delivery; nothing was "
                                 "written")
        con.execute("BEGIN TRANSACTION")
        try:
            for table, month, info, stage in staged:
                target = f"{RAW_SCHEMA}.{table.key}"
                con.execute(f"DELETE FROM {target} WHERE _delivery_month = ?", [month])
                con.execute(f"DELETE FROM {DELIVERIES_TABLE} WHERE table_key = ? AND "
                            "delivery_month = ?", [table.key, month])
                if stage is not None:
                    con.execute(f"INSERT INTO {target} "
                                + _rows_to_write(table, month, info, stage, loaded_at))
                con.execute(f"INSERT INTO {DELIVERIES_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                            [table.key, month, info.file, info.rows, info.sha256, loaded_at])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in views.values():  # the views read the stage tables: drop them first
            con.execute(f"DROP VIEW IF EXISTS {name}")
        for *_, stage in staged:
            if stage is not None:
                con.execute(f"DROP TABLE IF EXISTS {stage}")
    return [info for _, _, info, _ in staged]


def load_snapshot(con: duckdb.DuckDBPyConnection, landing: Path) -> list[LoadedFile]:
    """Replace the CPR address-history snapshot (data-contract.md: replaced at each delivery)."""
    for table in SNAPSHOT_TABLES:
        if find_file(landing, table, None) is None:
            raise DeliveryNotFound(
                f"no {table.relative_path(None)} (CSV or Parquet) in the landing directory")
    return load(con, landing, [SNAPSHOT], SNAPSHOT_TABLES)
