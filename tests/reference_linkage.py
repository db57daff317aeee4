"""Product 1 of docs/method.md in plain Python, for checking the dbt models end to end.

Written from docs/method.md alone, reading the landing CSVs with the csv module: no SQL, no
pandas, nothing shared with the models but the specification (the stay key formats are part
of it, because the tie-break of step 4 uses "the smaller stay key").
"""

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.core.paths import DBT_PROJECT_DIR


def rows(landing: Path, register: str, name: str):
    for month in sorted(p for p in landing.iterdir() if p.is_dir() and p.name[:2] == "20"):
        path = month / register / f"{name}.csv"
        if path.exists():
            with open(path, encoding="utf-8", newline="") as fh:
                yield from csv.DictReader(fh)


def d(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Stay:
    key: str
    person: str
    type: str  # admission | outpatient
    start: date
    end: date


def stays(landing: Path) -> list[Stay]:
    out: list[Stay] = []
    contacts = {}
    for r in rows(landing, "lpr2", "t_adm"):
        contacts[r["k_recnum"]] = r
        start, end = d(r["d_inddto"]), d(r["d_uddto"])
        if r["c_pattype"] == "0" and end is not None and end >= start:
            out.append(Stay(f"lpr2:adm:{r['k_recnum']}", r["v_cpr_encrypted"], "admission",
                            start, end))
        elif r["c_pattype"] == "2":
            out.append(Stay(f"lpr2:er:{r['k_recnum']}", r["v_cpr_encrypted"], "outpatient",
                            start, start))
    seen: dict[tuple[str, date], int] = defaultdict(int)
    for r in rows(landing, "lpr2", "t_bes"):
        c = contacts.get(r["v_recnum"])
        if c is None or c["c_pattype"] != "1":
            continue
        day = d(r["d_ambdto"])
        seen[(r["v_recnum"], day)] += 1
        key = f"lpr2:bes:{r['v_recnum']}:{day:%Y%m%d}:{seen[(r['v_recnum'], day)]}"
        out.append(Stay(key, c["v_cpr_encrypted"], "outpatient", day, day))

    by_person = defaultdict(list)
    for r in rows(landing, "lpr3", "kontakter"):
        if r["kontakttype"].strip().upper() != "ALCA00" or not r["dato_slut"]:
            continue
        start = datetime.fromisoformat(f"{r['dato_start']}T{r['tidspunkt_start'] or '00:00'}")
        end = datetime.fromisoformat(f"{r['dato_slut']}T{r['tidspunkt_slut'] or '00:00'}")
        if end >= start:
            by_person[r["cpr_encrypted"]].append((start, r["dw_ek_kontakt"], end))
    for person, contacts3 in by_person.items():
        contacts3.sort()
        chains: list[list] = []
        for start, key, end in contacts3:
            if chains and start <= chains[-1][2] + timedelta(hours=4):
                chains[-1][2] = max(chains[-1][2], end)
            else:
                chains.append([start, key, end])
        for start, key, end in chains:
            if end - start >= timedelta(hours=12):
                out.append(Stay(f"lpr3:{key}", person, "admission", start.date(), end.date()))
            else:
                out.append(Stay(f"lpr3:{key}", person, "outpatient", start.date(),
                                start.date()))
    return out


@dataclass(frozen=True)
class Plan:
    id: str
    person: str
    sender: str
    sent_at: datetime
    type: str


def plans(landing: Path) -> list[Plan]:
    # The code -> type rule is data (the seed gop_plan_types), read here as the models do.
    with open(DBT_PROJECT_DIR / "seeds" / "rules" / "gop_plan_types.csv", encoding="utf-8") as fh:
        types = {r["gop_type_code"]: r["plan_type"] for r in csv.DictReader(fh)}
    out = []
    for r in rows(landing, "gop", "t_dgop"):
        at = datetime.fromisoformat(f"{r['d_afsendt']}T{r['v_afsendt_tid'] or '00:00'}")
        out.append(Plan(r["k_brevid"], r["v_cpr_encrypted"], r["c_afsender"], at,
                        types[r["c_goptype"]]))
    for r in rows(landing, "gop", "t_ggop"):
        out.append(Plan(r["brev_id"], r["cpr_encrypted"], r["afsender_sor"],
                        datetime.fromisoformat(r["afsendt_tidspunkt"]), types[r["plantype"]]))
    return out


def link(landing: Path) -> dict[str, dict[str, str]]:
    """plan_id -> the row plans_linked.csv must have (docs/extract-contract.md, all as text)."""
    all_plans = plans(landing)
    result = {p.id: {"plan_id": p.id, "plan_type": p.type, "sent_date": str(p.sent_at.date()),
                     "status": "", "stay_type": "", "stay_end_date": "", "delay_days": "",
                     "timeliness_group": ""} for p in all_plans}
    # Step 1: one plan per person, sender and day; first sent, then smallest id.
    first: dict[tuple, Plan] = {}
    for p in all_plans:
        k = (p.person, p.sender, p.sent_at.date())
        if k not in first or (p.sent_at, p.id) < (first[k].sent_at, first[k].id):
            first[k] = p
    kept = set(id(p) for p in first.values())
    for p in all_plans:
        if id(p) not in kept:
            result[p.id]["status"] = "excluded_duplicate"
    stays_of = defaultdict(list)
    for s in stays(landing):
        stays_of[s.person].append(s)
    # Steps 2-4: pairs with stays ending in Y-1 or Y, not sent before the stay, nearest.
    nearest: dict[str, tuple[Plan, Stay, int]] = {}
    for p in first.values():
        sent, year = p.sent_at.date(), p.sent_at.year
        best = None
        for s in stays_of[p.person]:
            if s.end.year not in (year - 1, year):
                continue
            delay = (sent - s.end).days
            if s.type == "outpatient" and delay < 0:
                continue
            if s.type == "admission" and sent < s.start:
                continue
            rank = (abs(delay), 0 if s.type == "admission" else 1, -s.start.toordinal(), s.key)
            if best is None or rank < best[0]:
                best = (rank, s, delay)
        if best is None:
            result[p.id]["status"] = "excluded_no_stay"
        else:
            nearest[p.id] = (p, best[1], best[2])
    # Step 5: one plan per stay, the first sent.
    per_stay: dict[str, tuple[Plan, Stay, int]] = {}
    for p, s, delay in nearest.values():
        other = per_stay.get(s.key)
        if other is None or (p.sent_at, p.id) < (other[0].sent_at, other[0].id):
            per_stay[s.key] = (p, s, delay)
    winners = {v[0].id for v in per_stay.values()}
    for p, s, delay in nearest.values():
        row = result[p.id]
        if p.id not in winners:
            row["status"] = "excluded_supplement"
            continue
        low = -1 if s.type == "admission" else 0
        inside = low <= delay <= 14
        row.update(status="linked" if inside else "excluded_tail", stay_type=s.type,
                   stay_end_date=str(s.end), delay_days=str(delay))
        if inside:
            row["timeliness_group"] = ("timely" if delay <= 1 else
                                       "days_2_7" if delay <= 7 else "days_8_14")
    return result
