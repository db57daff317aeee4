"""Alerts when a run fails or a quality gate breaks (docs/operations.md).

The channels are given (core.settings.AlertChannels, from the GOP_ALERT_* settings that
app/config.py reads):
- a webhook: an HTTP endpoint that takes JSON. The body has `text` (what Slack's and
  Teams' incoming webhooks show) plus the fields a program would read;
- e-mail over SMTP (host, port, from, comma-separated to).
With no channel configured, the alert is a log line. An alert names the run, the failed
steps and checks (asset, check, failing rows) and links to the run in the UI; it never
carries a person key or a count of 1-4 (check metadata already holds neither).
"""

import json
import logging
import smtplib
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage

from orchestration.core.settings import AlertChannels

log = logging.getLogger("gop.alerts")
FAILURE_CLASS = "dagster._core.definitions.events.Failure"


@dataclass
class Alert:
    title: str
    run_id: str
    job: str
    failures: list[str] = field(default_factory=list)
    run_url: str | None = None

    def text(self) -> str:
        lines = [self.title, f"job {self.job}, run {self.run_id}"]
        lines += [f"- {f}" for f in self.failures]
        if self.run_url:
            lines.append(f"run: {self.run_url}")
        return "\n".join(lines)

    def payload(self) -> dict:
        return {"text": self.text(), "title": self.title, "run_id": self.run_id,
                "job": self.job, "failures": self.failures, "run_url": self.run_url}


def run_url(run_id: str, channels: AlertChannels) -> str | None:
    base = channels.ui_url
    return f"{base.rstrip('/')}/runs/{run_id}" if base else None


def email_message(alert: Alert, to: str, sender: str = AlertChannels.email_from) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"[GOP platform] {alert.title}"
    msg["From"] = sender
    msg["To"] = to
    msg.set_content(alert.text())
    return msg


def send(alert: Alert, channels: AlertChannels) -> list[str]:
    """Send on every configured channel; returns the channels that delivered."""
    delivered = []
    url = channels.webhook_url
    if url:
        req = urllib.request.Request(url, data=json.dumps(alert.payload()).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                if 200 <= resp.status < 300:
                    delivered.append("webhook")
        except OSError as exc:
            log.error("alert webhook failed: %s", exc)
    host, to = channels.smtp_host, channels.email_to
    if host and to:
        try:
            with smtplib.SMTP(host, channels.smtp_port, timeout=10) as smtp:
                smtp.send_message(email_message(alert, to, channels.email_from))
            delivered.append("smtp")
        except OSError as exc:
            log.error("alert e-mail failed: %s", exc)
    if not url and not (host and to):
        log.warning("no alert channel configured (GOP_ALERT_WEBHOOK_URL or "
                    "GOP_ALERT_SMTP_HOST + GOP_ALERT_EMAIL_TO): %s", alert.text())
    return delivered


def failures_of_run(instance, run_id: str) -> list[str]:
    """Failed steps and failed checks of a run, from its event log."""
    from dagster import DagsterEventType

    out = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if not check.passed:
                out.append(_describe_check(check))
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            err = event.event_specific_data.error
            # The step error wraps the asset's own exception: report the innermost cause,
            # which is ours (file, row, column; never a person key).
            while err is not None and err.cause is not None:
                err = err.cause
            lines = err.message.strip().splitlines() if err else []
            message = lines[0] if lines else "failed"
            # Dagster prefixes the class of a raised Failure; the description is ours.
            message = message.removeprefix(f"{FAILURE_CLASS}: ")
            if "DagsterExecutionInterruptedError" in message:
                message = ("interrupted: the process was stopped by a signal (SIGTERM, "
                           "Ctrl-C); the step's uncommitted writes were not kept")
            out.append(f"step {event.step_key}: {message}")
    return out


def is_warning(failure: str) -> bool:
    """A line of `failures_of_run` that is a failed WARN check (it did not fail the run)."""
    return failure.startswith("check ") and " failed (WARN" in failure


def _describe_check(check) -> str:
    """Which check on which asset, how many rows broke which rule, where the first ones are
    in the delivery, and the Data Docs page: the check's own metadata, which holds no
    person key."""
    meta = {k: getattr(v, "value", v) for k, v in check.metadata.items()}
    parts = [check.severity.value]
    if meta.get("failing_rows") is not None:
        parts.append(f"{meta['failing_rows']} failing rows")
    if meta.get("quarantined_rows"):
        parts.append(f"{meta['quarantined_rows']} rows to quarantine")
    text = (f"check {check.check_name} on {check.asset_key.to_user_string()} failed "
            f"({', '.join(parts)})")
    if meta.get("rules") and meta["rules"] != "none":
        text += f": {meta['rules']}"
    if meta.get("first_failing_rows"):
        text += f"; first at {meta['first_failing_rows']}"
    if meta.get("data_docs"):
        text += f"; Data Docs {meta['data_docs']}"
    return text


@dataclass
class RunAlert:
    failures: list[str]  # the run's failed steps and checks
    title: str | None = None  # the alert sent, if one was due
    delivered: list[str] = field(default_factory=list)  # the channels that took it


def alert_for_run(instance, run, failed: bool, channels: AlertChannels) -> RunAlert:
    """The alert for a finished run: a failed run always; a successful run when a warn
    check failed (rows went to quarantine, the year-on-year change)."""
    failures = failures_of_run(instance, run.run_id)
    if not (failed or failures):
        return RunAlert(failures)
    title = f"{'Run failed' if failed else 'Quality warning'}: {run.job_name}"
    delivered = send(Alert(title, run.run_id, run.job_name, failures,
                           run_url(run.run_id, channels)), channels)
    return RunAlert(failures, title, delivered)
