"""The settings the core and the Dagster definitions are given, as plain records. Only
`orchestration/app/config.py` reads them from the environment (docs/operations.md,
"Configuration"); everything else receives them, so no module reads the environment on
its own and a test passes a record instead of changing the environment."""

from dataclasses import dataclass


@dataclass(frozen=True)
class GateSettings:
    """What the quality gates are given (docs/quality-gates.md)."""

    # A raw row rule holds while at most this share of a delivery's rows break it: those
    # rows go to the quarantine; beyond it the delivery is refused.
    quarantine_threshold: float = 0.001
    # ... or while at most this many rows break it, whatever their share (tiny deliveries).
    quarantine_min_rows: int = 10
    # Opt-in: a regular expression every person key must match (unset: keys are opaque).
    person_key_pattern: str | None = None
    # The year-on-year change of a cell of table 1 that raises a warning.
    yoy_warn_share: float = 0.5
    # Where `make data-docs` serves the Data Docs: the base of each check's link.
    data_docs_url: str = "http://127.0.0.1:3001"


@dataclass(frozen=True)
class AlertChannels:
    """Where alerts go (docs/operations.md): a webhook, e-mail over SMTP, or both; with
    neither, an alert is a log line."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    email_from: str = "gop-platform@localhost"
    email_to: str | None = None  # comma-separated
    ui_url: str = "http://127.0.0.1:3000"  # the Dagster UI, for the link to the run
