"""Progress of a long step, told as a log message the `gop` command recognises.

A step logs `progress: <what>` (files and rows per second while loading, models done of the
total while dbt builds) through its ordinary log; `gop run` shows the latest as a status line
(orchestration/app/progress.py), and the Dagster UI shows it in the run's log.
"""

import time

PREFIX = "progress: "


def message(text: str) -> str:
    return PREFIX + text


def text_of(message: str) -> str | None:
    """What a progress message says, or None for any other message."""
    return message[len(PREFIX):] if message.startswith(PREFIX) else None


class Throttle:
    """True at most once every `seconds` (the first time at once): a step tells its progress
    every few seconds, not for every file or model."""

    def __init__(self, seconds: float = 2.0):
        self.seconds = seconds
        self.last: float | None = None

    def due(self) -> bool:
        now = time.monotonic()
        if self.last is not None and now - self.last < self.seconds:
            return False
        self.last = now
        return True
