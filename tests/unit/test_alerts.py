"""Alerts: with no channel configured an alert is a log line; the text never carries more
than the failures it was given."""

import logging

import pytest

from orchestration import alerts

pytestmark = pytest.mark.unit


def test_no_channel_configured_is_a_log_line(monkeypatch, caplog):
    for var in ("GOP_ALERT_WEBHOOK_URL", "GOP_ALERT_SMTP_HOST", "GOP_ALERT_EMAIL_TO"):
        monkeypatch.delenv(var, raising=False)
    with caplog.at_level(logging.WARNING, logger="gop.alerts"):
        delivered = alerts.send(alerts.Alert("Run failed: x", "r1", "x", ["check c failed"]))
    assert delivered == []
    assert "no alert channel configured" in caplog.text and "check c failed" in caplog.text


def test_payload_is_slack_and_teams_compatible():
    payload = alerts.Alert("Run failed: job", "abc", "job", ["step s: boom"],
                           "http://127.0.0.1:3000/runs/abc").payload()
    assert payload["text"].startswith("Run failed: job")  # both show `text`
    assert payload["failures"] == ["step s: boom"] and payload["run_url"].endswith("/abc")
