"""Turn SDS's published table (seed 000, docs/method.md "Sources"), as text, into a tidy CSV.

Run once by a developer when the seed changes; the output is committed as a dbt seed
(`dbt_project/seeds/reference/seed000_published_table.csv`) and read by the synthetic
generator (targets per municipality x type x year) and by the calibration tests.

    python scripts/extract_seed000.py SEED000_TEXT dbt_project/seeds/reference/municipalities.csv \
        > dbt_project/seeds/reference/seed000_published_table.csv

SEED000_TEXT is SDS's table 1 as tab-separated text (one municipality name line followed by
its four type rows, as copied from the publication).
"""

import csv
import re
import sys

from orchestration.core.publication import row_labels

# seed 000's row labels -> row type (the labels' home: the seed plan_types).
ROW_TYPES = {label: row_type for row_type, label in row_labels().items()}


def main(seed_path: str, municipalities_path: str) -> None:
    with open(municipalities_path, encoding="utf-8") as fh:
        code_by_name = {r["kommunenavn"]: r["kommunekode"] for r in csv.DictReader(fh)}
    code_by_name["Hele landet"] = "000"
    years: list[str] = []
    area = None
    order = 0
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["area_order", "area_code", "area_name", "row_type", "year", "published_value"])
    with open(seed_path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("Kommune\tType"):
                years = line.split("\t")[2:]
                continue
            cells = line.split("\t")
            if len(cells) < 2 or cells[1] not in ROW_TYPES:
                continue
            m = re.fullmatch(r"<b>(.*)</b>", cells[0])
            if m:
                area = m.group(1)
                order += 1
            values = (cells[2:] + [""] * len(years))[: len(years)]
            for year, value in zip(years, values, strict=True):
                # Seed uses '.' as thousands separator; '<5' and '' are kept as published.
                out.writerow(
                    [order, code_by_name[area], area, ROW_TYPES[cells[1]], year,
                     value.strip().replace(".", "")]
                )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
