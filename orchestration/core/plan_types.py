"""The plan types, read from their one home: the dbt seed `plan_types`
(docs/method.md, "Vocabulary"). The models read the same file as a seed, so the exports,
the charts and the generator cannot drift from the tables they come from."""

import csv
from dataclasses import dataclass
from functools import cache

from orchestration.core.paths import DBT_PROJECT_DIR

SEED = DBT_PROJECT_DIR / "seeds" / "rules" / "plan_types.csv"


@dataclass(frozen=True)
class PlanType:
    code: str  # the value of every plan_type column
    table1_row_order: int  # seed 000's row of this type in table 1 (row 1 is "I alt")
    table1_label: str  # seed 000's label of that row
    name_da: str  # the type in a Danish sentence (the workbook's note)


@cache
def plan_types() -> tuple[PlanType, ...]:
    """The plan types in seed 000's row order."""
    with open(SEED, encoding="utf-8", newline="") as fh:
        rows = [PlanType(r["plan_type"], int(r["table1_row_order"]), r["table1_label"],
                         r["name_da"]) for r in csv.DictReader(fh)]
    return tuple(sorted(rows, key=lambda t: t.table1_row_order))


def plan_type_codes() -> tuple[str, ...]:
    return tuple(t.code for t in plan_types())
