"""Alerts: with no channel configured an alert is a log line; the text never carries more
than the failures it was given."""

import logging

import pytest

from orchestration.core.settings import AlertChannels
from orchestration.defs.alerts import channels

pytestmark = pytest.mark.unit


def test_no_channel_configured_is_a_log_line(caplog):
    with caplog.at_level(logging.WARNING, logger="gop.alerts"):
        delivered = channels.send(channels.Alert("Run failed: x", "r1", "x", ["check c failed"]),
                                  AlertChannels())
    assert delivered == []
    assert "no alert channel configured" in caplog.text and "check c failed" in caplog.text


def test_payload_is_slack_and_teams_compatible():
    payload = channels.Alert("Run failed: job", "abc", "job", ["step s: boom"],
                           "http://127.0.0.1:3000/runs/abc").payload()
    assert payload["text"].startswith("Run failed: job")  # both show `text`
    assert payload["failures"] == ["step s: boom"] and payload["run_url"].endswith("/abc")


def test_an_email_line_that_begins_with_a_dot_arrives_whole():
    """A long failure line is sent quoted-printable, and where its soft break falls before
    ".csv" SMTP's dot-stuffing doubles that dot on the wire: the mail must still name the file."""
    from email import message_from_string, policy

    from tests.servers import Smtp

    to = "steward@example.org"
    alert = next(a for n in range(80) if _wire_has_dot_line(a := channels.Alert(
        "Quality warning: x", "r1", "x",
        [f"check gx_raw__gop__t_ggop: {'x' * n}2017-12/gop/t_ggop.csv row 17"]), to))
    smtp = Smtp()
    try:
        assert channels.send(alert, AlertChannels(smtp_host="127.0.0.1", smtp_port=smtp.port,
                                                  email_to=to)) == ["smtp"]
        (mail,) = [message_from_string(m, policy=policy.default) for m in smtp.messages]
    finally:
        smtp.close()
    assert "2017-12/gop/t_ggop.csv row 17" in mail.get_content()


def _wire_has_dot_line(alert: channels.Alert, to: str) -> bool:
    """The mail as `send` builds it has a line that begins with "." (before dot-stuffing)."""
    wire = channels.email_message(alert, to).as_string()
    return any(line.startswith(".") for line in wire.splitlines())
