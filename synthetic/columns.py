"""Vectorised formatting of generated values into the contract's column types."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype="S1")
_HHMM = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


def hex_keys(ids: np.ndarray, salt: int) -> pa.Array:
    """16 upper-case hex digits per id; a bijection of the id, so keys are unique.

    Multiplying by an odd constant modulo 2**64 is invertible, so distinct ids give
    distinct keys; the salt (from the seed) makes keys differ between extracts.
    """
    x = (ids.astype(np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(29)
    raw = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    nibbles = np.stack([raw >> 4, raw & 15], axis=2).reshape(-1, 16)
    chars = np.ascontiguousarray(_HEX[nibbles]).view("S16").ravel()
    return pa.array(chars, type=pa.binary(16)).cast(pa.string())


def digit_keys(ids: np.ndarray, width: int, offset: int = 0) -> pa.Array:
    """Zero-padded decimal keys, e.g. plan ids: fixed width so text order = number order."""
    s = pc.cast(pa.array(ids.astype(np.int64) + offset), pa.string())
    return pc.utf8_lpad(s, width=width, padding="0")


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date32 column (null where not valid)."""
    mask = None if valid is None else ~valid
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=mask)


def times(minutes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Minutes of the day as a time32 column (null where not valid)."""
    mask = None if valid is None else ~valid
    return pa.array((minutes.astype(np.int32) % 1440) * 60, type=pa.time32("s"), mask=mask)


def timestamps(days: np.ndarray, seconds_of_day: np.ndarray) -> pa.Array:
    secs = days.astype(np.int64) * 86400 + seconds_of_day.astype(np.int64)
    return pa.array(secs, type=pa.timestamp("s"))


def pick(values: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    """values[index] as an Arrow string column, without building Python objects per row."""
    return pc.take(pa.array(list(values), type=pa.string()), pa.array(index.astype(np.int64)))


def to_csv_columns(table: pa.Table) -> pa.Table:
    """Render times as HH:MM and timestamps as YYYY-MM-DDTHH:MM:SS (docs/extract-contract.md).

    Arrow writes dates as YYYY-MM-DD already; its own time and timestamp renderings
    (HH:MM:SS, a space before the time) are not the contract's.
    """
    cols = []
    for field, col in zip(table.schema, table.columns, strict=True):
        if pa.types.is_time(field.type):
            minutes = pc.divide(pc.cast(col, pa.int32()), 60)
            col = pc.take(_HHMM, minutes)
        elif pa.types.is_timestamp(field.type):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        cols.append(col)
    return pa.table(cols, names=table.column_names)
