"""Load delivery months of the landing directory into the DuckDB `raw` schema.

Pure Python + DuckDB, no Dagster: the Dagster assets in
`orchestration/defs/ingestion/assets.py` call this, and so do the tests.

What a delivery gets (docs/extract-contract.md, "What bad input gets"):
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
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.core.contract import (
    CHANGED_FROM,
    CHECKSUM_SUFFIXES,
    DATE,
    DUCKDB_TYPE,
    FORMAT_NAME,
    INT,
    KEY_COLUMNS,
    LENGTHS,
    LINEAGE_COLUMNS,
    MARKER_FILES,
    MONTH_PATTERN,
    MONTHLY_TABLES,
    OWN_KEYS,
    PERSON_OF,
    RANGES,
    SNAPSHOT_TABLES,
    STRING,
    SUFFIXES,
    TIME,
    TIMESTAMP,
    Table,
)
from orchestration.core.sql import scalar, sql_string

RAW_SCHEMA = "raw"
DELIVERIES_TABLE = f"{RAW_SCHEMA}._deliveries"
# What changed since the last complete refresh (docs/incremental-refresh.md): each load gets
# the next change number; the persons whose stays it can change and the months it replaced
# are kept under that number until a refresh has brought everything up to date with them.
CHANGED_PERSONS_TABLE = f"{RAW_SCHEMA}._changed_persons"
CHANGED_MONTHS_TABLE = f"{RAW_SCHEMA}._changed_months"
REFRESHES_TABLE = f"{RAW_SCHEMA}._refreshes"
SNAPSHOT = "snapshot"
# Columns whose values identify a person: never quoted in a message.
PERSON_COLUMNS = {"v_cpr_encrypted", "cpr_encrypted"}

# Strict text shapes of docs/extract-contract.md; DuckDB's casts are more lenient than the contract.
# A time of 24:00 is the end of that day (ISO 8601); any other hour above 23 or minute above
# 59 is not a time (docs/extract-contract.md, "CSV format"). DuckDB reads TIME '24:00:00' as that,
# and `date + time '24:00'` as 00:00 of the next day.
_HH_MM = r"(([01]\d|2[0-3]):[0-5]\d|24:00)"
_SHAPE = {
    DATE: r"\d{4}-\d{2}-\d{2}",
    TIME: _HH_MM,
    TIMESTAMP: r"\d{4}-\d{2}-\d{2}T(([01]\d|2[0-3]):[0-5]\d:[0-5]\d|24:00:00)",
    INT: r"[+-]?\d+",
}
# The top of the landing directory: month folders, the CPR snapshot folder, markers.
CPR_FOLDER = "cpr"


class ContractError(ValueError):
    """A file that cannot be read as docs/extract-contract.md says."""

    def __init__(self, file: str, problem: str, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column, self.problem = file, row, column, problem
        where = [file]
        # A CSV row has a line (the header is line 1); a Parquet file has rows only.
        lines = not file.endswith(".parquet")
        if row is not None:
            if row == 0:
                where.append("header row" if lines else "schema")
            else:
                where.append(f"row {row} (line {row + 1})" if lines else f"row {row}")
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
    size: int | None = None  # bytes and modification time (ns) of the file as loaded, so
    mtime_ns: int | None = None  # a later run can tell an unchanged file without reading it


# --- landing directory ---------------------------------------------------------------------
def _hidden(name: str) -> bool:
    """A name starting with '.' is the file system's or a tool's (`.snapshot` of a file
    server, `.DS_Store`), never a delivery: it is passed over everywhere."""
    return name.startswith(".")


def delivery_months(landing: Path) -> list[str]:
    """Month folders present in the landing directory, in order. Anything else at its top
    but `cpr/` and a transfer marker is a delivery that cannot be placed (docs/extract-contract.md,
    "CSV format": month folders are named YYYY-MM exactly): an error naming it."""
    if not landing.is_dir():
        return []
    months = []
    for p in sorted(landing.iterdir()):
        if _hidden(p.name):
            continue
        if p.is_dir() and re.match(MONTH_PATTERN, p.name):
            months.append(p.name)
        elif p.is_dir() and p.name == CPR_FOLDER:
            continue
        elif p.is_dir():
            raise ContractError(f"{p.name}/", "a folder that is no delivery month: month "
                                "folders are named YYYY-MM exactly (e.g. 2019-02), so this "
                                "delivery cannot be placed; rename or remove it")
        elif p.name not in MARKER_FILES:
            raise ContractError(p.name, "not a file of the contract: the top of the landing "
                                "directory holds YYYY-MM/ month folders and cpr/ only")
    return months


def find_file(landing: Path, table: Table, month: str | None) -> Path | None:
    found = [landing / table.relative_path(month, s) for s in SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise ContractError(str(table.relative_path(month, ".*")),
                            "both a CSV and a Parquet file are delivered; keep one")
    return found[0] if found else None


def _folder_files(landing: Path, folder: Path) -> list[str]:
    return sorted(p.relative_to(landing).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not any(_hidden(part) for part in
                                             p.relative_to(landing).parts))


def _verify_checksum(landing: Path, rel: str, table_rel: str) -> None:
    """A `<file>.md5` / `<file>.sha256` beside a table file must match it (docs/extract-contract.md:
    a mismatch means the transfer is broken). The checksum is the file's first word, as
    md5sum and sha256sum write it."""
    algorithm = CHECKSUM_SUFFIXES[Path(rel).suffix]
    table_path = landing / table_rel
    if not table_path.is_file():
        raise ContractError(rel, f"a checksum file without its table file {table_rel}")
    words = (landing / rel).read_text(encoding="utf-8-sig", errors="replace").split()
    expected = words[0].lower() if words else ""
    if expected != file_fingerprint(table_path, algorithm):
        raise ContractError(table_rel, f"does not match its checksum file {Path(rel).name} "
                            f"({algorithm}): the transfer is broken; deliver the file again")


def check_folder(landing: Path, folder: str, tables: Sequence[Table],
                 month: str | None) -> None:
    """Every file of a delivery folder is a file of the contract, a transfer marker, or a
    checksum file that matches its table file; a month folder holds at least one table file."""
    expected = {table.relative_path(month, s).as_posix() for table in tables for s in SUFFIXES}
    files = _folder_files(landing, landing / folder)
    for rel in files:
        suffix = Path(rel).suffix
        base = rel.removesuffix(suffix)
        if rel in expected or Path(rel).name in MARKER_FILES:
            continue
        if suffix in CHECKSUM_SUFFIXES and base in expected:
            _verify_checksum(landing, rel, base)
            continue
        raise ContractError(rel, "not a file of the contract (a renamed file?); a month "
                            "folder holds lpr2/, lpr3/ and gop/ files named as in "
                            "docs/extract-contract.md, e.g. lpr2/t_adm.csv, and may hold _SUCCESS "
                            "and <file>.md5 / <file>.sha256")
    if month is not None and not any(rel in expected for rel in files):
        raise ContractError(f"{month}/", "the delivery folder holds no extract file: an "
                            "empty delivery is refused, so it cannot erase the month")


def check_month_folder(landing: Path, month: str, tables: Sequence[Table]) -> None:
    check_folder(landing, month, tables, month)


def file_fingerprint(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
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
    return files_fingerprint((rel, f[2]) for rel, f in files.items()), files


def fingerprint_of(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(f"{part}\n".encode())
    return digest.hexdigest()


def files_fingerprint(files: Iterable[tuple[str, str]]) -> str:
    """A month's fingerprint from its files' paths and SHA-256s (what `loaded_fingerprints`
    and `month_fingerprint` give, and `gop status` shows)."""
    return fingerprint_of(f"{rel}\t{sha}" for rel, sha in sorted(files))


def loaded_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The fingerprint of each month as it was loaded (raw._deliveries)."""
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                    "? AND table_name = '_deliveries'", [RAW_SCHEMA])
    if not exists:
        return {}
    by_month: dict[str, list[tuple[str, str]]] = {}
    for month, rel, sha in con.execute(
            f"SELECT delivery_month, source_file, sha256 FROM {DELIVERIES_TABLE} "
            f"WHERE delivery_month <> '{SNAPSHOT}'").fetchall():
        files = by_month.setdefault(month, [])
        if rel is not None:
            files.append((rel, sha))
    return {m: files_fingerprint(files) for m, files in by_month.items()}


def changed_months(con: duckdb.DuckDBPyConnection | None, landing: Path,
                   months: Iterable[str]) -> list[str]:
    """The months whose folder differs from what is loaded (by content fingerprint). A file
    whose size and modification time are those it was loaded with is taken to hold what was
    loaded and is not read again (a monthly run must not hash twelve years of CSV); any
    other file is hashed. `con` None: nothing is loaded yet."""
    if con is None:
        return list(months)
    loaded = loaded_fingerprints(con)
    known = {rel: [size, mtime, sha] for rel, size, mtime, sha in con.execute(
        f"SELECT source_file, file_size, file_mtime_ns, sha256 FROM {DELIVERIES_TABLE} "
        "WHERE source_file IS NOT NULL AND file_size IS NOT NULL").fetchall()}
    return [m for m in months if m not in loaded
            or month_fingerprint(landing, m, known)[0] != loaded[m]]


# --- reading and checking one file ---------------------------------------------------------
_SEPARATORS = {";": "';'", "\t": "a tab", "|": "'|'"}


def _check_header(names: Sequence[str], table: Table, rel: str) -> None:
    expected = table.column_names
    missing = [c for c in expected if c not in names]
    if missing and len(names) == 1:
        sep = next((s for s in _SEPARATORS if s in names[0]), None)
        if sep is not None:
            raise ContractError(rel, f"the header is one field separated by {_SEPARATORS[sep]}: "
                                "the contract's separator is ',' (comma)", row=0)
    if missing and sorted(c.lower() for c in names) == sorted(expected):
        raise ContractError(rel, "the header names are not in the contract's lower case "
                            f"({', '.join(c for c in names if c != c.lower())[:80]}); "
                            "name the columns exactly as docs/extract-contract.md does", row=0)
    for c in missing:
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


# How a staged column becomes its contract type (`_bad_value_sql`, `_typed_value`):
TEXT = "text"  # a CSV field, or a Parquet string column: the contract's text format
NATIVE = "native"  # a Parquet column already of the contract's type
WHOLE = "whole"  # a Parquet floating-point column for a whole number: only integral values
MIDNIGHT = "midnight"  # a Parquet timestamp column for a date: only times of 00:00:00

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT"}
_NATIVE_TYPES = {
    STRING: {"VARCHAR"},
    INT: _INTEGERS,
    DATE: {"DATE"},
    TIME: {"TIME"},
    TIMESTAMP: {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"},
}


def _parquet_mode(kind: str, duckdb_type: str, rel: str, column: str) -> str:
    """Cast a Parquet column only where nothing is lost; otherwise refuse it by name."""
    if duckdb_type in _NATIVE_TYPES[kind]:
        return NATIVE
    if duckdb_type == "VARCHAR":
        return TEXT
    if kind == INT and (duckdb_type in ("FLOAT", "DOUBLE") or duckdb_type.startswith("DECIMAL")):
        return WHOLE
    if kind == DATE and duckdb_type.startswith("TIMESTAMP") and "TIME ZONE" not in duckdb_type:
        return MIDNIGHT
    why = (" (a code or key is a string: a number loses its leading zeros, e.g. 041 -> 41)"
           if kind == STRING else "")
    raise ContractError(rel, f"the column is stored as {duckdb_type}, the contract says "
                        f"{FORMAT_NAME.get(kind, 'a string')}{why}; write it as "
                        f"{'a string' if kind == STRING else 'that type or a string'}",
                        row=0, column=column)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, rel: str, table: Table,
               stage: str) -> dict[str, str]:
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
    return {c: TEXT for c in table.column_names}


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, rel: str, table: Table,
                   stage: str) -> dict[str, str]:
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {stage} AS
            SELECT row_number() OVER () AS _source_row, * FROM read_parquet(?)""",
            [str(path)])
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {stage}").fetchall()}
    except duckdb.Error:
        raise ContractError(rel, "cannot be read as Parquet") from None
    types.pop("_source_row")
    _check_header(list(types), table, rel)
    return {c: _parquet_mode(k, types[c], rel, c) for c, k in table.columns}


def _bad_value_sql(column: str, kind: str, mode: str) -> str | None:
    """A condition true for a value that is not of the contract's format, or None when the
    column's type already guarantees it."""
    q = f'"{column}"'
    if mode == NATIVE or kind == STRING:
        return None
    if mode == WHOLE:
        return f"NOT isfinite({q}) OR {q} <> round({q})"
    if mode == MIDNIGHT:
        return f"CAST({q} AS TIME) <> TIME '00:00:00'"
    value = f"replace({q}, 'T', ' ')" if kind == TIMESTAMP else q
    return (f"NOT regexp_full_match({q}, '{_SHAPE[kind]}') "
            f"OR try_cast({value} AS {DUCKDB_TYPE[kind]}) IS NULL")


def _value_rules(table: Table, modes: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every typed column parses as the contract's format: (column, condition, problem)."""
    return [(c, f'"{c}" IS NOT NULL AND ({cond})', f"{{value}} is not {FORMAT_NAME[k]}")
            for c, k in table.columns
            if (cond := _bad_value_sql(c, k, modes[c])) is not None]


def _month_rules(table: Table, month: str | None, modes: dict[str, str]
                 ) -> list[tuple[str, str, str]]:
    """docs/extract-contract.md: a month folder holds the rows whose month column is in that month,
    judged on the date as written (a sent time of 24:00 on the last day is still that day's
    row, though it is the next day's 00:00)."""
    column = table.month_column
    if column is None or month is None:
        return []
    q = f'"{column}"'
    written = f"left({q}, 7)" if modes[column] == TEXT else f"strftime({q}, '%Y-%m')"
    return [(column, f"{written} <> '{month}'", f"date {{date}} is not in the delivery month "
             f"{month} (a wrong date, or a month delivered under another month's folder?)")]


def _contract_rules(table: Table, modes: dict[str, str]) -> list[tuple[str, str, str]]:
    """The contract's rules on values of a readable file (docs/extract-contract.md, "CSV format" and
    "Tables"): keys are opaque strings without leading or trailing spaces; no field holds a
    NUL byte; fixed-length codes have their length; ranged whole numbers lie in their range.
    Judged on the typed value (a value that does not parse is refused by `_value_rules`)."""
    keys = KEY_COLUMNS.get(table.key, ())
    rules: list[tuple[str, str, str]] = []
    for c, kind in table.columns:
        q = _typed_value(c, kind, modes[c], cast="TRY_CAST")
        if kind == STRING:
            rules.append((c, f"strpos({q}, chr(0)) > 0", "{value} holds a NUL byte"))
        if c in keys:
            rules.append((c, f"{q} = '' OR {q} <> trim({q}, ' ')",
                          "{value} is a key with leading or trailing spaces (a key is any "
                          "non-empty value without them)"))
        if (table.key, c) in LENGTHS:
            n = LENGTHS[(table.key, c)]
            rules.append((c, f"length({q}) <> {n}",
                          f"{{value}} is not {n} characters long (the contract's code length)"))
        if (table.key, c) in RANGES:
            low, high = RANGES[(table.key, c)]
            rules.append((c, f"{q} NOT BETWEEN {low} AND {high}",
                          f"{{value}} is outside the contract's range {low}-{high}"))
    return [(c, f'"{c}" IS NOT NULL AND ({cond})', problem) for c, cond, problem in rules]


def _own_key_rules(table: Table) -> list[tuple[str, str, str]]:
    own = OWN_KEYS.get(table.key, (None,))[0]
    if own is None:
        return []
    return [(own, f'"{own}" IS NULL', "the table's own key is missing (it is required and "
             "unique)")]


def _refuse_first_bad_row(con, stage: str, rel: str, table: Table,
                          ranked: list[list[tuple[str, str, str]]]) -> None:
    """Find, in one scan of the staged file, the first row (by source row) that breaks each
    rule (column, condition, problem: a template where {value} is the value as written,
    unless a key, and {date} a date's day). The rules come in ranks: a file is refused for the
    first row breaking a rule of the first rank any row breaks (a value that is no date
    before a date outside the month, before a rule on a parsed value), by file, row and
    column."""
    flat = [rule for rules in ranked for rule in rules]
    if not flat:
        return
    firsts = ", ".join(f"min(_source_row) FILTER (WHERE {cond})" for _, cond, _ in flat)
    found = iter(con.execute(f"SELECT {firsts} FROM {stage}").fetchone())
    for rules in ranked:
        bad = [(row, c, problem) for (c, _, problem), row in zip(rules, found, strict=False)
               if row is not None]
        if bad:
            row, column, problem = min(bad, key=lambda b: b[0])
            raise ContractError(rel, problem.format(
                value=f"value{_shown(con, stage, column, row, table)}",
                date=_shown_date(con, stage, column, row) if "{date}" in problem else ""),
                row=row, column=column)


def _shown(con, stage: str, column: str, row: int, table: Table) -> str:
    """The offending value as written, for a message, unless it is a key (never quoted)."""
    if column in PERSON_COLUMNS or column in KEY_COLUMNS.get(table.key, ()):
        return ""
    value = scalar(con, f'SELECT "{column}" FROM {stage} WHERE _source_row = ?', [row])
    return f" {str(value)[:40]!r}"


def _shown_date(con, stage: str, column: str, row: int) -> str:
    """A date's day as written (a month column is never a key)."""
    return scalar(con, f'SELECT left(CAST("{column}" AS VARCHAR), 10) FROM {stage} '
                  "WHERE _source_row = ?", [row])


def _typed_value(column: str, kind: str, mode: str, cast: str = "CAST") -> str:
    q = f'"{column}"'
    if kind == STRING:
        return f"{cast}({q} AS VARCHAR)"
    if kind == TIMESTAMP and mode == TEXT:
        return f"{cast}(replace({q}, 'T', ' ') AS TIMESTAMP)"
    return f"{cast}({q} AS {DUCKDB_TYPE[kind]})"


def stage_file(con: duckdb.DuckDBPyConnection, landing: Path, path: Path, table: Table,
               stage: str, month: str | None, scratch: Path) -> tuple[str, str]:
    """Read and check one file; returns (relative path, sha256). Afterwards `stage` is a
    temp view of the file's rows typed as the contract says, with their source row, over a
    Parquet file in the `scratch` folder (drop both with `drop_stage`). With a month, its
    rows must lie in that month. The file is hashed in a thread while DuckDB reads it
    (hashlib releases the GIL): the hash is not a second pass in time."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        sha = pool.submit(file_fingerprint, path)
        rel = _stage_checked(con, landing, path, table, stage, month, scratch)
        return rel, sha.result()


def _scratch_file(scratch: Path, stage: str) -> Path:
    return scratch / f"{stage}.parquet"


def drop_stage(con: duckdb.DuckDBPyConnection, stage: str, scratch: Path) -> None:
    con.execute(f"DROP VIEW IF EXISTS {stage}")
    con.execute(f"DROP TABLE IF EXISTS {stage}_in")
    _scratch_file(scratch, stage).unlink(missing_ok=True)


def _stage_checked(con: duckdb.DuckDBPyConnection, landing: Path, path: Path, table: Table,
                   stage: str, month: str | None, scratch: Path) -> str:
    """The file is read once into a temp table and every rule is judged in one scan of it.
    Then its typed rows go to a Parquet file in the load's scratch folder (compressed, about
    a quarter of the CSV) and the temp table is dropped. A backfill of many months thus holds
    one file in memory at a time, not all of them until its one transaction: holding them
    spilled DuckDB's temp tables at seven national years (ingestion 554 s -> 802 s). The
    rows are not written into raw at once because the transaction that replaces the months
    must not be open while files are staged: DuckDB scans tables created inside an open
    transaction about half as fast (docs/incremental-refresh.md, "Loading")."""
    rel = path.relative_to(landing).as_posix()
    read = f"{stage}_in"
    if path.suffix == ".csv":
        modes = _stage_csv(con, path, rel, table, read)
    else:
        modes = _stage_parquet(con, path, rel, table, read)
    _refuse_first_bad_row(con, read, rel, table, [
        _value_rules(table, modes), _month_rules(table, month, modes),
        _contract_rules(table, modes), _own_key_rules(table)])
    typed = ", ".join(f'{_typed_value(c, k, modes[c])} AS "{c}"' for c, k in table.columns)
    out = sql_string(str(_scratch_file(scratch, stage)))
    con.execute(f"COPY (SELECT {typed}, _source_row FROM {read}) TO {out} "
                "(FORMAT parquet, COMPRESSION snappy)")
    con.execute(f"DROP TABLE {read}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT * FROM read_parquet({out})")
    return rel


def check_unique_keys(con: duckdb.DuckDBPyConnection, staged, replaced: dict[str, list[str]]
                      ) -> None:
    """A table's own key is unique across all months of its table (the plan ids across both
    GOP tables): a second row with a key, in the delivery or in a month already loaded and
    not being replaced, is a broken delivery (docs/extract-contract.md, "CSV format"). Refused
    naming both places; the key itself is never quoted."""
    scopes: dict[str, list[str]] = {}
    for table, _, info, stage in staged:
        if stage is not None and table.key in OWN_KEYS:
            column, scope = OWN_KEYS[table.key]
            scopes.setdefault(scope, []).append(
                f'SELECT "{column}" AS k, \'{info.file}\' AS f, _source_row AS r, '
                f"'{column}' AS c, 0 AS loaded FROM {stage}")
    for scope, parts in scopes.items():
        incoming = " UNION ALL ".join(parts)
        earlier = []
        for key, (col, sc) in OWN_KEYS.items():
            if sc != scope:
                continue
            months = replaced.get(key, [])
            not_replaced = (f"WHERE _delivery_month NOT IN ({', '.join(repr(m) for m in months)})"
                            if months else "")
            earlier.append(f'SELECT "{col}" AS k, _source_file AS f, _source_row AS r, '
                           f"'{col}' AS c, 1 AS loaded FROM {RAW_SCHEMA}.{key} {not_replaced}")
        every = f"""WITH incoming AS ({incoming}),
            loaded AS (SELECT * FROM ({' UNION ALL '.join(earlier)}) AS l
                       WHERE k IN (SELECT k FROM incoming)),
            every AS (SELECT * FROM incoming UNION ALL SELECT * FROM loaded)"""
        # A hash aggregate says whether any key repeats; only then are the places ranked
        # for the message (a sort of every key: 1.5 s for one national month).
        if not con.execute(f"{every} SELECT 1 FROM every GROUP BY k HAVING count(*) > 1 "
                           "LIMIT 1").fetchone():
            continue
        found = con.execute(f"""{every},
            ranked AS (SELECT f, r, c, loaded, row_number() OVER (
                           PARTITION BY k ORDER BY loaded DESC, f, r) AS nth,
                           first_value(f) OVER (PARTITION BY k ORDER BY loaded DESC, f, r) AS f1,
                           first_value(r) OVER (PARTITION BY k ORDER BY loaded DESC, f, r) AS r1
                       FROM every)
            SELECT f, r, c, f1, r1, count(*) OVER () FROM ranked WHERE nth > 1
            ORDER BY f, r LIMIT 1""").fetchone()
        if found:
            file, row, column, first_file, first_row, n = found
            raise ContractError(file, f"the same key as {first_file} row {first_row} "
                                f"({n} repeated key{'s' if n > 1 else ''} in all): a table's own "
                                "key is unique across all months, so this is a broken delivery",
                                row=row, column=column)


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
    # Added later, for the size-and-time shortcut of the fingerprint (docs/incremental-refresh.md,
    # "Which months a run loads"): a warehouse loaded before keeps its rows; they read as unknown.
    for column in ("file_size", "file_mtime_ns"):
        con.execute(f"ALTER TABLE {DELIVERIES_TABLE} ADD COLUMN IF NOT EXISTS {column} BIGINT")
    con.execute(f"CREATE TABLE IF NOT EXISTS {CHANGED_PERSONS_TABLE} (change_id BIGINT, "
                "person_key VARCHAR, register VARCHAR, changed_from TIMESTAMP)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {CHANGED_MONTHS_TABLE} (change_id BIGINT, "
                "table_key VARCHAR, delivery_month VARCHAR)")
    # Whether the load replaced rows of an earlier load of that month (a re-delivery).
    con.execute(f"ALTER TABLE {CHANGED_MONTHS_TABLE} ADD COLUMN IF NOT EXISTS "
                "replaced BOOLEAN")
    con.execute(f"CREATE TABLE IF NOT EXISTS {REFRESHES_TABLE} (change_id BIGINT, "
                "logic_fingerprint VARCHAR, full_refresh BOOLEAN, refreshed_at TIMESTAMP)")


def _persons_sql(table_key: str) -> str | None:
    """The persons of a table's rows of one delivery month (parameter: the month), each with
    the earliest moment the rows begin where that matters (contract.CHANGED_FROM, else
    NULL: all of the person's stays), or None for a table no person-keyed model reads."""
    if table_key not in PERSON_OF:
        return None
    column, parent = PERSON_OF[table_key]
    start = CHANGED_FROM.get(table_key, "CAST(NULL AS TIMESTAMP)")
    if parent is None:
        return (f'SELECT "{column}" AS person_key, {start} AS changed_from '
                f"FROM {RAW_SCHEMA}.{table_key} "
                f'WHERE _delivery_month = ? AND "{column}" IS NOT NULL')
    parent_table, parent_key, person = parent
    return (f'SELECT p."{person}" AS person_key, {start} AS changed_from '
            f"FROM {RAW_SCHEMA}.{table_key} AS c "
            f'INNER JOIN {RAW_SCHEMA}.{parent_table} AS p ON p."{parent_key}" = c."{column}" '
            "WHERE c._delivery_month = ?")


def _record_changes(con: duckdb.DuckDBPyConnection, change_id: int, staged) -> None:
    """Add the persons of the rows of the staged months as they are now (called before the
    months are replaced, and again after): one row per change, person and register, with
    the earliest moment a changed row begins (NULL: from the first)."""
    for table, month, _, _ in staged:
        sql = _persons_sql(table.key)
        if sql is None:
            continue
        con.execute(f"""INSERT INTO {CHANGED_PERSONS_TABLE}
            SELECT ?, person_key, ?, min(changed_from) FROM ({sql}) AS rows
            GROUP BY person_key""", [change_id, table.register, month])
    # The same person from several tables, months or passes: one row, the earliest moment
    # (a NULL, "from the first", wins).
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _changes AS
        SELECT change_id, person_key, register,
               CASE WHEN count(*) = count(changed_from) THEN min(changed_from) END
                   AS changed_from
        FROM {CHANGED_PERSONS_TABLE} WHERE change_id = ?
        GROUP BY change_id, person_key, register""", [change_id])
    con.execute(f"DELETE FROM {CHANGED_PERSONS_TABLE} WHERE change_id = ?", [change_id])
    con.execute(f"INSERT INTO {CHANGED_PERSONS_TABLE} SELECT * FROM _changes")
    con.execute("DROP TABLE _changes")


def refreshed_once(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a refresh has completed: before that, the first refresh rebuilds everything
    and nothing needs recording."""
    return scalar(con, f"SELECT count(*) FROM {REFRESHES_TABLE}") > 0


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


def _scratch_root(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where a load keeps its staged Parquet files: beside DuckDB's spill files (settings:
    GOP_DUCKDB_TEMP_DIR), else the system's temp folder (a connection with no absolute
    temp directory, e.g. a test's in-memory one)."""
    setting = scalar(con, "SELECT current_setting('temp_directory')")
    if not setting or not Path(setting).is_absolute():
        return None
    Path(setting).mkdir(parents=True, exist_ok=True)
    return Path(setting)


# Told after each file is read and checked: the file, files done, files in the load.
OnFile = Callable[[LoadedFile, int, int], None]


def load(con: duckdb.DuckDBPyConnection, landing: Path, months: Iterable[str],
         tables: Sequence[Table] = MONTHLY_TABLES, gate: Gate | None = None,
         on_file: OnFile | None = None) -> list[LoadedFile]:
    """Replace the given months (or the snapshot, month 'snapshot') of the given tables,
    if the gate (when given) passes the incoming rows; `on_file` hears of each file read."""
    months = list(months)
    n_files = len(months) * len(tables)
    for m in months:
        if m != SNAPSHOT and not (landing / m).is_dir():
            raise DeliveryNotFound(f"no delivery folder {m}/ in the landing directory")
        if m != SNAPSHOT:
            check_month_folder(landing, m, tables)
        else:
            check_folder(landing, CPR_FOLDER, tables, None)
    ensure_raw_schema(con)
    staged: list[tuple[Table, str, LoadedFile, str | None]] = []
    views: dict[str, str] = {}
    scratch = Path(tempfile.mkdtemp(prefix="gop-ingest-", dir=_scratch_root(con)))
    try:
        for month in months:
            for table in tables:
                path = find_file(landing, table, None if month == SNAPSHOT else month)
                if path is None:
                    staged.append((table, month, LoadedFile(table.key, month, None, 0, None),
                                   None))
                    continue
                stage = f"_stage_{table.key}_{len(staged)}"
                try:
                    rel, sha = stage_file(con, landing, path, table, stage,
                                          None if month == SNAPSHOT else month, scratch)
                except BaseException:  # a refused file's rows as read go too
                    drop_stage(con, stage, scratch)
                    raise
                rows = scalar(con, f"SELECT count(*) FROM {stage}")
                stat = path.stat()
                staged.append((table, month, LoadedFile(table.key, month, rel, rows, sha,
                                                        stat.st_size, stat.st_mtime_ns), stage))
                if on_file is not None:
                    on_file(staged[-1][2], len(staged), n_files)
        check_unique_keys(con, staged, {t.key: months for t in tables})
        loaded_at = datetime.now().replace(microsecond=0)
        if gate is not None:
            views = _incoming_views(con, staged, loaded_at)
            if not gate(con, views):
                raise GateFailed("the raw quality gate refused the delivery; nothing was "
                                 "written")
        con.execute("BEGIN TRANSACTION")
        try:
            track = refreshed_once(con)
            change_id = scalar(
                con, f"SELECT coalesce(max(change_id), 0) + 1 FROM (SELECT change_id FROM "
                f"{CHANGED_MONTHS_TABLE} UNION ALL SELECT change_id FROM {REFRESHES_TABLE})")
            if track:
                _record_changes(con, change_id, staged)
            for table, month, info, view in staged:
                target = f"{RAW_SCHEMA}.{table.key}"
                replaced = scalar(
                    con, f"SELECT coalesce(sum(row_count), 0) > 0 FROM {DELIVERIES_TABLE} "
                    "WHERE table_key = ? AND delivery_month = ?", [table.key, month])
                con.execute(f"DELETE FROM {target} WHERE _delivery_month = ?", [month])
                con.execute(f"DELETE FROM {DELIVERIES_TABLE} WHERE table_key = ? AND "
                            "delivery_month = ?", [table.key, month])
                if view is not None:
                    con.execute(f"INSERT INTO {target} "
                                + _rows_to_write(table, month, info, view, loaded_at))
                con.execute(f"INSERT INTO {DELIVERIES_TABLE} (table_key, delivery_month, "
                            "source_file, row_count, sha256, loaded_at, file_size, "
                            "file_mtime_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [table.key, month, info.file, info.rows, info.sha256, loaded_at,
                             info.size, info.mtime_ns])
                con.execute(f"INSERT INTO {CHANGED_MONTHS_TABLE} (change_id, table_key, "
                            "delivery_month, replaced) VALUES (?, ?, ?, ?)",
                            [change_id, table.key, month, replaced])
            if track:
                _record_changes(con, change_id, staged)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in views.values():  # the views read the stage tables: drop them first
            con.execute(f"DROP VIEW IF EXISTS {name}")
        for *_, view in staged:
            if view is not None:
                drop_stage(con, view, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    return [info for _, _, info, _ in staged]


def load_snapshot(con: duckdb.DuckDBPyConnection, landing: Path) -> list[LoadedFile]:
    """Replace the CPR address-history snapshot (docs/extract-contract.md: replaced at each
    delivery)."""
    for table in SNAPSHOT_TABLES:
        if find_file(landing, table, None) is None:
            raise DeliveryNotFound(
                f"no {table.relative_path(None)} (CSV or Parquet) in the landing directory")
    return load(con, landing, [SNAPSHOT], SNAPSHOT_TABLES)
