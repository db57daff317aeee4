"""The generator's knobs: rates and shares with their sources, and the codes a hospital writes.

These are the sender's side of the contract, written here on purpose and not read from the
platform's seeds (except the plan types' order, `by_type`), so that a change to a platform
rule cannot silently change the extract that tests it.
"""

from collections.abc import Mapping

import numpy as np

from orchestration.core.plan_types import plan_type_codes

# --- calibration knobs, each with its source --------------------------------------------
# Population per person with a plan in a year: gives ~1.75 M persons at scale 1, and with
# the visit rate below ~12 M outpatient visits and ~0.8 M admissions a year (the national
# volume the platform is built for, docs/benchmarks.md).
POPULATION_PER_PLAN_PERSON = 10
OUTPATIENT_VISITS_PER_PERSON_YEAR = 6.9
ADMISSIONS_PER_PERSON_YEAR = 0.45
ER_SHARE_OF_VISITS = 0.08
# Share of plan episodes that follow an admission, by type. SDS (seed 003): "over half of
# plans follow an outpatient visit".
ADMISSION_SHARE = {"almen": 0.40, "specialiseret": 0.30, "rehab_spec": 0.75}
# A second plan for the same person and type 20-120 days later: SDS counts ~1.2 plans
# per person-year (seed 002: 214,550 plans in 2023 against ~175,000 persons).
REPEAT_EPISODE_SHARE = 0.18
# Delay categories of a plan relative to its own stay (seed 003, Figur 7-9: ~82 % within
# 24 hours; the window removes ~5 %): (share outpatient, share admission).
DELAY_CATEGORIES = {
    "same_day": (0.74, 0.65),
    "next_day": (0.10, 0.10),
    "day_before_discharge": (0.00, 0.06),  # -1, inside the window for admissions
    "during_admission": (0.00, 0.03),  # -2 .. -length: a tail
    "days_2_7": (0.07, 0.07),
    "days_8_14": (0.03, 0.03),
    "long_after": (0.045, 0.035),  # 15-60 days: a tail
    "before_stay": (0.015, 0.015),  # sent before the visit / admission start
}
NO_PLAN_SHARE = 0.02  # LPR registration without a GOP plan (registered independently)
DUPLICATE_PLAN_SHARE = 0.008  # same sender, same day (step 1)
SUPPLEMENT_PLAN_SHARE = 0.006  # a second plan nearest the same stay (step 5)
NO_STAY_PLAN_SHARE = 0.003  # plans of persons with no stay at all
MARKER_ONLY_SHARE_OF_SPEC = 0.08  # specialiseret registered only by AWG1 + AWX21
MARKER_NEAR_PLAN_SHARE = 0.03
START_WITHOUT_STOP_SHARE = 0.01
REPEAT_WITHIN_14_SHARE = 0.04
BARE_PARENT_SHARE = 0.015
MESSY_CODE_SHARE = 0.02  # lower-case or padded with spaces: valid after normalising
MOVER_SHARE = 0.01
EMIGRANT_SHARE = 0.005
COURSE_LEVEL_PROCEDURE_SHARE = 0.10  # LPR3 procedure on the course, not a contact
VIRTUAL_CONTACT_SHARE = 0.10
BACKGROUND_PROCEDURE_SHARE = 0.03
CHAIN_NEAR_MISS_SHARE = 0.003  # two same-day contacts 4 h 01+ apart: two visits

# The LPR3 switch, per region: Hovedstaden, Sjælland, Midtjylland 2-3 February
# 2019, Syddanmark and Nordjylland early March 2019.
LPR3_SWITCH = {"84": "2019-02-02", "85": "2019-02-02", "82": "2019-02-03",
               "83": "2019-03-02", "81": "2019-03-03"}
# D-GOP until May 2016, G-GOP after (seed 003, "Elektronisk kommunikation"): each unit
# switches on a day in May 2016.
GGOP_SWITCH_FIRST_DAY = "2016-05-01"

# --- the codes a hospital writes ---------------------------------------------------------
ALMEN_CODES = ("ZZ0175X", "ZZ0175X1", "ZZ0175X2", "ZZ0175X3", "ZZ0175X4")
ALMEN_CODE_WEIGHTS = np.array([0.40, 0.30, 0.15, 0.10, 0.05])
# The codes for each type: SKS (official meanings, docs/method.md, "Code → type") and the
# GOP register's (docs/extract-contract.md).
TYPE_CODE = {"almen": "ZZ0175X", "specialiseret": "ZZ0175Y", "rehab_spec": "ZZ0175V"}
DGOP_TYPE_CODE = {"almen": "1", "specialiseret": "2", "rehab_spec": "3"}
GGOP_TYPE_CODE = {"almen": "ALM", "specialiseret": "SPEC", "rehab_spec": "REHAB"}
INVALID_CODES = ("ZZ0175Q", "ZZ0175Z", "ZZ0175X9", "ZZ01751")
BACKGROUND_CODES = ("BLHA", "ZZ0149", "BVAA33A", "ZZ3025", "WLHGS")
VIRTUAL_CONTACT_TYPES = ("ALCA01", "ALCA03", "ALCA04", "ALCA10", "ALCA20")

# --- shape of the extract ----------------------------------------------------------------
UNITS_PER_REGION = 30
INVALID_ROWS_MIN = 2  # at least this many rows per quarantine reason
# LPR keys are unique across months: month m's keys are m * MONTH_KEY_STRIDE + its own.
MONTH_KEY_STRIDE = 100_000_000
MONTH_KEYS = ("recnum", "kontakt", "forloeb", "procedure")

# Stay kinds (Stays.kind).
VISIT, ER_VISIT, ADMISSION = 0, 1, 2


def by_type(values: Mapping[str, object]) -> tuple:
    """A per-type setting along the generator's type axis (the seed plan_types' order)."""
    return tuple(values[t] for t in plan_type_codes())


def type_index(plan_type: str) -> int:
    return plan_type_codes().index(plan_type)
