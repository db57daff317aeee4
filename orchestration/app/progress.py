"""What `gop run` shows while it works: a line per step, progress during long steps, and
the full output of Dagster, dbt and GX in a run log file instead of on the screen.

`captured_output` sends everything the process and its children write (file descriptors 1
and 2, and sys.stdout/sys.stderr) to the run log, and with `verbose` to the screen as well.
`Progress` receives the runs' events through a Dagster logger (`progress_logger`) added to
the runner's jobs, and writes to the screen the process had before the capture.
"""

import contextlib
import io
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dagster import DagsterEventType, LoggerDefinition, logger

from orchestration.core import progress

# A run's status line is shown on a terminal; elsewhere (a scheduler's log, CI) a progress
# line is printed at most this often, so the output stays a screen long.
PLAIN_PROGRESS_EVERY = 30.0


@contextlib.contextmanager
def captured_output(log_path: Path, verbose: bool = False) -> Iterator[IO[str]]:
    """Everything written to stdout and stderr goes to `log_path` (and, with `verbose`, to
    the screen too) until the block ends; yields a stream to the screen as it was."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    screen = _screen(sys.stdout)
    read_end, write_end = os.pipe()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    saved_streams = sys.stdout, sys.stderr
    done = threading.Event()
    with open(log_path, "ab") as log:
        def copy() -> None:
            # Until told the run is over and the pipe is empty; not until the pipe's end: a
            # child process that outlives the run (multiprocessing's resource tracker) keeps
            # its copy of the pipe open.
            with os.fdopen(read_end, "rb", buffering=0) as pipe:
                while True:
                    if not select.select([pipe], [], [], 0.1)[0]:
                        if done.is_set():
                            return
                        continue
                    chunk = pipe.read(65536)
                    if not chunk:
                        return
                    log.write(chunk)
                    log.flush()
                    if verbose:
                        screen.write(chunk.decode("utf-8", "replace"))
                        screen.flush()

        copier = threading.Thread(target=copy, name="gop-run-log", daemon=True)
        copier.start()
        for fd in (1, 2):
            os.dup2(write_end, fd)
        writer = io.TextIOWrapper(os.fdopen(write_end, "wb", buffering=0), encoding="utf-8",
                                  errors="replace", line_buffering=True, write_through=True)
        sys.stdout = sys.stderr = writer
        try:
            yield screen
        finally:
            sys.stdout, sys.stderr = saved_streams
            writer.flush()
            writer.close()  # closes write_end: the copier sees the end once fds 1 and 2 go back
            for fd, copy_of in saved.items():
                os.dup2(copy_of, fd)
                os.close(copy_of)
            done.set()
            copier.join(timeout=30)
            screen.flush()


def _screen(stream: IO[str]) -> IO[str]:
    """A stream to where `stream` writes now, which stays there when fds 1 and 2 move: a
    duplicate of its file descriptor, or the stream itself when it has none (a test's)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return stream
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")


@dataclass
class _Step:
    started: float
    rows: int = 0
    rows_judged: int = 0
    counted: set = field(default_factory=set)  # assets whose rows are in `rows`


@dataclass
class Progress:
    """Turns the runs' events into what the screen shows: a line per finished step (its
    name, rows and seconds), a status line while a step runs, and the counts of checks."""

    screen: IO[str]
    is_terminal: bool = False
    steps: dict[str, _Step] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=lambda: {"passed": 0, "warned": 0,
                                                            "failed": 0})
    _status: str = ""
    _last_plain: float = 0.0

    def handle(self, meta: dict[str, Any]) -> None:
        step, event = meta.get("step_key"), meta.get("dagster_event")
        said = progress.text_of(meta.get("orig_message") or "")
        if said is not None:
            self.status(f"{step or ''}: {said}" if step else said)
            return
        if event is None:
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START and step:
            self.steps[step] = _Step(time.monotonic())
            self.status(f"{step} ...", plain=False)
        elif kind == DagsterEventType.ASSET_MATERIALIZATION and step in self.steps:
            # A backfill of a range records an asset once per month with the same metadata:
            # its rows count once.
            materialization = event.event_specific_data.materialization
            if materialization.asset_key in self.steps[step].counted:
                return
            self.steps[step].counted.add(materialization.asset_key)
            values = materialization.metadata
            rows = values.get("rows_loaded") or values.get("dagster/row_count")
            self.steps[step].rows += int(getattr(rows, "value", rows) or 0)
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            judged = evaluation.metadata.get("rows_validated")
            if step in self.steps and judged is not None:
                self.steps[step].rows_judged += int(getattr(judged, "value", judged) or 0)
            if evaluation.passed:
                self.checks["passed"] += 1
            elif evaluation.severity.value == "WARN":
                self.checks["warned"] += 1
            else:
                self.checks["failed"] += 1
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and step:
            self.step_line(step, kind == DagsterEventType.STEP_SUCCESS)

    def step_line(self, step: str, ok: bool) -> None:
        state = self.steps.pop(step, _Step(time.monotonic()))
        seconds = time.monotonic() - state.started
        rows = (f"{state.rows:>13,} rows" if state.rows
                else f"{state.rows_judged:>13,} judged" if state.rows_judged else " " * 18)
        self.line(f"{'ok    ' if ok else 'FAILED'} {step:<40} {rows} {seconds:>7.1f} s")

    def status(self, text: str, plain: bool = True) -> None:
        """A status line: redrawn in place on a terminal; elsewhere printed as a line at
        most every PLAIN_PROGRESS_EVERY seconds (and not at all unless `plain`)."""
        if self.is_terminal:
            self._status = text[:110]
            self.screen.write("\r\x1b[2K" + self._status)
            self.screen.flush()
        elif plain and time.monotonic() - self._last_plain >= PLAIN_PROGRESS_EVERY:
            self._last_plain = time.monotonic()
            self.line(f"       {text}")

    def line(self, text: str) -> None:
        if self.is_terminal and self._status:
            self.screen.write("\r\x1b[2K")
            self._status = ""
        self.screen.write(text + "\n")
        self.screen.flush()


class _ProgressHandler(logging.Handler):
    def __init__(self, sink: Progress):
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if meta is not None:
            self.sink.handle(dict(meta))


def progress_logger(sink: Progress) -> LoggerDefinition:
    """A Dagster logger that hands each event of a run to `sink`."""

    @logger(config_schema=None,
            description="gop run's progress on the screen (orchestration/app/progress.py)")
    def gop_progress(_init_context) -> logging.Logger:
        log = logging.Logger("gop_progress", level=logging.DEBUG)
        log.addHandler(_ProgressHandler(sink))
        return log

    return gop_progress
