"""Delivery months as Dagster partitions (data-contract.md: a month folder is one partition)."""

from dagster import MonthlyPartitionsDefinition

# D-GOP data start in 2014 (seed 003, Tabel 2); no delivery can be older.
FIRST_DELIVERY_MONTH = "2014-01"
MONTH_FORMAT = "%Y-%m"  # partition keys are the landing folder names, e.g. 2019-03

delivery_months = MonthlyPartitionsDefinition(
    start_date=FIRST_DELIVERY_MONTH, fmt=MONTH_FORMAT, end_offset=1
)
