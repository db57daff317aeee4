"""Delivery months as Dagster partitions (docs/extract-contract.md: a month folder is one
delivery)."""

from dagster import MonthlyPartitionsDefinition

# D-GOP data start in 2014 (seed 003, Tabel 2); no delivery can be older.
FIRST_DELIVERY_MONTH = "2014-01"
MONTH_FORMAT = "%Y-%m"  # partition keys are the landing folder names, e.g. 2019-03

delivery_months = MonthlyPartitionsDefinition(
    start_date=FIRST_DELIVERY_MONTH, fmt=MONTH_FORMAT, end_offset=1
)

# The tags of a run that loads a range of months as one run (a single-run backfill).
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def contiguous_ranges(months: list[str]) -> list[tuple[str, str]]:
    """['2019-01','2019-02','2019-04'] -> [('2019-01','2019-02'), ('2019-04','2019-04')]."""
    def index(m: str) -> int:
        return int(m[:4]) * 12 + int(m[5:]) - 1

    ranges: list[tuple[str, str]] = []
    for m in sorted(months):
        if ranges and index(m) == index(ranges[-1][1]) + 1:
            ranges[-1] = (ranges[-1][0], m)
        else:
            ranges.append((m, m))
    return ranges
