"""The raw extract contract (docs/extract-contract.md) as data.

One place that says which files a delivery holds, their columns, column types and the
column that decides a row's delivery month. The synthetic generator writes exactly this,
ingestion accepts exactly this, and the dbt sources declare exactly this.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath

# Column kinds of docs/extract-contract.md, "CSV format": how a CSV field is parsed.
STRING, DATE, TIME, TIMESTAMP, INT = "string", "date", "time", "timestamp", "int"

# DuckDB type a kind is stored as in the raw schema.
DUCKDB_TYPE = {
    STRING: "VARCHAR",
    DATE: "DATE",
    TIME: "TIME",
    TIMESTAMP: "TIMESTAMP",
    INT: "INTEGER",
}

# The exact text formats of docs/extract-contract.md ("Dates YYYY-MM-DD, times HH:MM, timestamps
# YYYY-MM-DDTHH:MM:SS"), as strptime patterns.
CSV_FORMAT = {DATE: "%Y-%m-%d", TIME: "%H:%M", TIMESTAMP: "%Y-%m-%dT%H:%M:%S"}

# Readable format names for error messages.
FORMAT_NAME = {
    DATE: "a date YYYY-MM-DD",
    TIME: "a time HH:MM",
    TIMESTAMP: "a timestamp YYYY-MM-DDTHH:MM:SS",
    INT: "a whole number",
}


@dataclass(frozen=True)
class Table:
    register: str  # lpr2, lpr3, gop, cpr: the folder and the dbt source name
    name: str  # file stem and dbt source table name
    columns: tuple[tuple[str, str], ...]  # (column, kind) in contract order
    month_column: str | None  # decides the delivery month; None for the CPR snapshot
    description: str

    @property
    def key(self) -> str:
        """`lpr2__t_adm`: the raw DuckDB table name."""
        return f"{self.register}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def partitioned(self) -> bool:
        return self.month_column is not None

    def relative_path(self, month: str | None, suffix: str = ".csv") -> PurePosixPath:
        """Path of the file inside the landing directory."""
        if month is None:
            return PurePosixPath(self.register) / f"{self.name}{suffix}"
        return PurePosixPath(month) / self.register / f"{self.name}{suffix}"


def _t(register, name, month_column, description, *columns) -> Table:
    return Table(register, name, tuple(columns), month_column, description)


TABLES: tuple[Table, ...] = (
    _t(
        "lpr2", "t_adm", "d_inddto", "LPR2 contacts (admissions, outpatient courses, ER visits)",
        ("k_recnum", STRING), ("v_cpr_encrypted", STRING), ("c_pattype", STRING),
        ("d_inddto", DATE), ("d_uddto", DATE), ("v_indtime", INT), ("c_sgh", STRING),
        ("c_afd", STRING),
    ),
    _t(
        "lpr2", "t_bes", "d_ambdto", "LPR2 outpatient visits of an outpatient course",
        ("v_recnum", STRING), ("d_ambdto", DATE),
    ),
    _t(
        "lpr2", "t_sksube", "d_odto", "LPR2 non-surgical procedures (ZZ and AW codes)",
        ("v_recnum", STRING), ("c_opr", STRING), ("d_odto", DATE),
    ),
    _t(
        "lpr3", "kontakter", "dato_start", "LPR3 contacts",
        ("dw_ek_kontakt", STRING), ("dw_ek_forloeb", STRING), ("cpr_encrypted", STRING),
        ("dato_start", DATE), ("tidspunkt_start", TIME), ("dato_slut", DATE),
        ("tidspunkt_slut", TIME), ("kontakttype", STRING), ("prioritet", STRING),
        ("sorenhed_ans", STRING),
    ),
    _t(
        "lpr3", "procedurer_andre", "dato_start", "LPR3 procedures (A, B, F, N, U, W, ZZ codes)",
        ("procedureregistrering_id", STRING), ("dw_ek_kontakt", STRING),
        ("dw_ek_forloeb", STRING), ("procedurekode", STRING), ("proceduretype", STRING),
        ("dato_start", DATE), ("tidspunkt_start", TIME), ("sorenhed_pro", STRING),
    ),
    _t(
        "lpr3", "forloeb", "dato_start", "LPR3 courses",
        ("dw_ek_forloeb", STRING), ("cpr_encrypted", STRING), ("dato_start", DATE),
    ),
    _t(
        "lpr3", "forloebsmarkoerer", "dato_markoer", "LPR3 course markers (AWG1, AWX21)",
        ("dw_ek_forloeb", STRING), ("markoer", STRING), ("dato_markoer", DATE),
        ("tidspunkt_markoer", TIME),
    ),
    _t(
        "gop", "t_dgop", "d_afsendt", "GOP plans, D-GOP standard (2014 to May 2016)",
        ("k_brevid", STRING), ("v_cpr_encrypted", STRING), ("d_afsendt", DATE),
        ("v_afsendt_tid", TIME), ("c_afsender", STRING), ("c_modtager_kom", STRING),
        ("c_goptype", STRING),
    ),
    _t(
        "gop", "t_ggop", "afsendt_tidspunkt", "GOP plans, G-GOP standard (May 2016 on)",
        ("brev_id", STRING), ("cpr_encrypted", STRING), ("afsendt_tidspunkt", TIMESTAMP),
        ("afsender_sor", STRING), ("modtager_kommunekode", STRING), ("plantype", STRING),
    ),
    _t(
        "cpr", "t_adresse", None, "CPR address history (full snapshot, replaced at each delivery)",
        ("cpr_encrypted", STRING), ("c_kom", STRING), ("d_tilflyt_dato", DATE),
        ("d_fraflyt_dato", DATE),
    ),
)

MONTHLY_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if t.partitioned)
SNAPSHOT_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if not t.partitioned)
TABLE_BY_KEY = {t.key: t for t in TABLES}

# A file may be CSV or Parquet with the same stem (docs/extract-contract.md, "Landing directory").
SUFFIXES = (".csv", ".parquet")

# Delivery month folder name.
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

# A table's own key (docs/extract-contract.md, "CSV format"): unique across every month of its
# table; the plan ids are unique across both GOP tables, so they share one key scope.
OWN_KEYS: dict[str, tuple[str, str]] = {  # table key -> (column, key scope)
    "lpr2__t_adm": ("k_recnum", "lpr2__t_adm"),
    "lpr3__kontakter": ("dw_ek_kontakt", "lpr3__kontakter"),
    "lpr3__procedurer_andre": ("procedureregistrering_id", "lpr3__procedurer_andre"),
    "lpr3__forloeb": ("dw_ek_forloeb", "lpr3__forloeb"),
    "gop__t_dgop": ("k_brevid", "gop_plans"),
    "gop__t_ggop": ("brev_id", "gop_plans"),
}

# Whose stays or plans a delivered row can change (docs/incremental-refresh.md): the stays
# are rebuilt per person and the linkage from the earliest changed moment, so a load records
# the persons of the rows it replaces and of the rows it writes. A row names its person
# itself, or through its parent row:
# table key -> (column, None) or (foreign key column, (parent table, parent key, person)).
PERSON_OF: dict[str, tuple[str, tuple[str, str, str] | None]] = {
    "lpr2__t_adm": ("v_cpr_encrypted", None),
    "lpr2__t_bes": ("v_recnum", ("lpr2__t_adm", "k_recnum", "v_cpr_encrypted")),
    "lpr3__kontakter": ("cpr_encrypted", None),
    "gop__t_dgop": ("v_cpr_encrypted", None),
    "gop__t_ggop": ("cpr_encrypted", None),
}
# Where a row's change begins in time. LPR3 stays are rebuilt from that moment on (a contact
# can only join stays ending at most 4 hours before it starts); plans are linked again from
# the earliest sent time. Without an entry a change rebuilds all of the person's stays of
# that register, and the whole linkage.
CHANGED_FROM = {
    "lpr3__kontakter": "\"dato_start\" + coalesce(\"tidspunkt_start\", TIME '00:00')",
    "gop__t_dgop": "CAST(\"d_afsendt\" AS TIMESTAMP)",
    "gop__t_ggop": "CAST(\"afsendt_tidspunkt\" AS TIMESTAMP)",
}

# The tables whose keys rows of other tables point at (t_bes and t_sksube at t_adm, LPR3
# procedures at contacts and courses, course markers at courses). A replaced month of one
# of these can leave rows of other months without their parent, so the quarantine is then
# judged again whole (docs/incremental-refresh.md).
PARENT_TABLES = ("lpr2__t_adm", "lpr3__kontakter", "lpr3__forloeb")

# Key columns (person, contact, course, plan, registration): opaque strings, "any non-empty
# value without leading or trailing spaces" (docs/extract-contract.md, "CSV format"). Nothing may
# depend on their shape; a foreign key may be missing where the contract says so.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "lpr2__t_adm": ("k_recnum", "v_cpr_encrypted"),
    "lpr2__t_bes": ("v_recnum",),
    "lpr2__t_sksube": ("v_recnum",),
    "lpr3__kontakter": ("dw_ek_kontakt", "dw_ek_forloeb", "cpr_encrypted"),
    "lpr3__procedurer_andre": ("procedureregistrering_id", "dw_ek_kontakt", "dw_ek_forloeb"),
    "lpr3__forloeb": ("dw_ek_forloeb", "cpr_encrypted"),
    "lpr3__forloebsmarkoerer": ("dw_ek_forloeb",),
    "gop__t_dgop": ("k_brevid", "v_cpr_encrypted"),
    "gop__t_ggop": ("brev_id", "cpr_encrypted"),
    "cpr__t_adresse": ("cpr_encrypted",),
}

# Fixed lengths the contract states for codes ("hospital code (4 chars)", "department code
# (3 chars)"); a value of another length is not that code.
LENGTHS: dict[tuple[str, str], int] = {
    ("lpr2__t_adm", "c_sgh"): 4,
    ("lpr2__t_adm", "c_afd"): 3,
}

# Ranges the contract states for whole numbers ("hour of admission, 0-23").
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("lpr2__t_adm", "v_indtime"): (0, 23),
}

# Besides table files, a month folder may hold a transfer's marker and checksum files
# (docs/extract-contract.md, "CSV format"): not data; a checksum must match its table file.
MARKER_FILES = ("_SUCCESS",)
CHECKSUM_SUFFIXES = {".md5": "md5", ".sha256": "sha256"}

# Lineage columns added to every raw row at ingestion.
LINEAGE_COLUMNS = (
    ("_delivery_month", "VARCHAR"),  # YYYY-MM, or 'snapshot' for cpr/t_adresse
    ("_source_file", "VARCHAR"),  # path relative to the landing directory
    ("_source_row", "BIGINT"),  # 1-based data row in that file (header not counted)
    ("_loaded_at", "TIMESTAMP"),
)
