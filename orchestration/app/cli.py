"""`gop`: generate a synthetic extract, or run the platform on a landing directory.

    gop generate --out DIR [--scale S] [--seed N] [--from YYYY-MM --to YYYY-MM]
    gop run [--landing DIR] [--warehouse FILE] [--exports DIR] [--from YYYY-MM --to YYYY-MM]
            [--no-refresh] [--verbose]
    gop status [--exports DIR]

`gop run` materialises, in-process through Dagster, every delivery month found in the
landing directory (or those in --from/--to), then the CPR snapshot and everything
downstream, and writes the exports (with --no-refresh: the months only, gated; the marts
and exports keep their last build). Settings not given as flags come from GOP_LANDING_DIR,
GOP_WAREHOUSE_PATH, GOP_EXPORT_DIR (defaults under ./data/).
"""

import argparse
import re
import signal
import socket
import sys
from datetime import datetime
from pathlib import Path

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(value: str) -> str:
    if not MONTH.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a month YYYY-MM")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gop", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a synthetic landing directory")
    g.add_argument("--out", type=Path, required=True, help="landing directory to write")
    g.add_argument("--scale", type=float, default=0.01,
                   help="share of national volume (1 = ~175,000 persons with a plan a year)")
    g.add_argument("--seed", type=int, default=20160501, help="random seed (deterministic)")
    g.add_argument("--from", dest="first", type=_month, default="2015-01")
    g.add_argument("--to", dest="last", type=_month, default="2021-12")
    g.add_argument("--format", choices=("csv", "parquet"), default="csv")
    g.add_argument("--calibrate", action="store_true",
                   help="true counts = seed 000's published table (exact); --scale then only "
                        "thins the background stays")
    g.add_argument("--municipalities", type=lambda v: v.split(","),
                   help="comma-separated municipality codes to generate (default: all 99)")

    r = sub.add_parser("run", help="load the landing directory and build everything")
    r.add_argument("--landing", type=Path, help="landing directory (GOP_LANDING_DIR)")
    r.add_argument("--warehouse", type=Path, help="DuckDB file (GOP_WAREHOUSE_PATH)")
    r.add_argument("--exports", type=Path, help="export directory (GOP_EXPORT_DIR)")
    r.add_argument("--from", dest="first", type=_month, help="first delivery month to load")
    r.add_argument("--to", dest="last", type=_month, help="last delivery month to load")
    r.add_argument("--reload", action="store_true",
                   help="load every month again, also those unchanged since they were loaded")
    r.add_argument("--full-refresh", action="store_true",
                   help="rebuild every model and judge every row, not only what changed")
    r.add_argument("--no-refresh", dest="refresh", action="store_false",
                   help="load and gate the months only; rebuild nothing downstream")
    r.add_argument("--verbose", action="store_true",
                   help="print everything Dagster, dbt and GX say (always in the run log)")

    st = sub.add_parser("status", help="loaded months, last runs, failing checks, quarantine "
                                       "and exports; reads no warehouse, safe during a run")
    st.add_argument("--exports", type=Path, help="export directory (GOP_EXPORT_DIR)")
    return p


def _generate(args: argparse.Namespace) -> int:
    from synthetic.writer import write_extract

    if args.first > args.last:
        print(f"gop generate: --from {args.first} is after --to {args.last}", file=sys.stderr)
        return 2
    report = write_extract(args.out, scale=args.scale, seed=args.seed,
                           first_month=args.first, last_month=args.last,
                           file_format=args.format, calibrate=args.calibrate,
                           municipality_codes=args.municipalities)
    print(f"wrote {report.files} files, {report.total_rows:,} rows in {report.seconds:.1f} s "
          f"to {args.out}")
    for table, rows in report.rows.items():
        print(f"  {table:<28} {rows:>12,}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from orchestration.app.config import load_settings
    from orchestration.app.progress import Progress, captured_output
    from orchestration.app.runner import NothingToLoad, run_platform
    from orchestration.core.ingest import ContractError

    settings = load_settings(landing_dir=args.landing, warehouse_path=args.warehouse,
                             export_dir=args.exports)
    stopped: list[str] = []

    def on_terminate(signum, _frame):
        # SIGTERM (systemd, a scheduler, `kill`) stops the run as Ctrl-C does; Dagster then
        # fails the step under way, whose transaction is not committed.
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_terminate)
    # Dagster maps SIGTERM onto its own SIGINT handler while a run executes, which does not
    # say which signal came; the wakeup fd gets every signal's number whatever the handler,
    # so the summary can name the signal instead of Dagster's interrupt exception.
    received, wakeup = socket.socketpair()
    received.setblocking(False)
    wakeup.setblocking(False)
    previous_fd = signal.set_wakeup_fd(wakeup.fileno())
    log_path = settings.log_dir / f"gop-run-{datetime.now():%Y%m%d-%H%M%S}.log"
    print(f"gop run: full log in {log_path}", flush=True)
    try:
        with captured_output(log_path, verbose=args.verbose) as screen:
            shown = Progress(screen, is_terminal=not args.verbose and screen.isatty())
            summary = run_platform(settings, first=args.first, last=args.last,
                                   refresh=args.refresh, reload=args.reload,
                                   full_refresh=args.full_refresh, notify=shown.line,
                                   progress=shown)
        summary.checks, summary.log_path = dict(shown.checks), log_path
    except NothingToLoad as exc:
        print(f"gop run: {exc}; nothing was changed.", file=sys.stderr)
        return 1
    except ContractError as exc:
        print(f"gop run: {exc}; nothing was loaded.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stopped += _signals(received)
        name = stopped[0] if stopped else "SIGINT"
        print(f"gop run: stopped by {name} before a run finished; what it had not committed "
              "was not written.", file=sys.stderr)
        return 128 + signal.Signals[name]
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGTERM, previous)
        stopped += _signals(received)  # what arrived since (nothing after the except)
        received.close()
        wakeup.close()
    if stopped and not summary.success:
        summary.stopped_by = stopped[0]
        print(summary.describe())
        return 128 + signal.Signals[stopped[0]]
    print(summary.describe())
    return 0 if summary.success else 1


def _signals(received: socket.socket) -> list[str]:
    """The stopping signals (SIGTERM, SIGINT) whose numbers reached the wakeup socket."""
    try:
        numbers = received.recv(256)
    except (BlockingIOError, OSError):
        return []
    stopping = {signal.SIGTERM, signal.SIGINT}
    return [signal.Signals(n).name for n in dict.fromkeys(numbers) if n in stopping]


def _status(args: argparse.Namespace) -> int:
    from orchestration.app.config import load_settings
    from orchestration.app.status import status_report

    print(status_report(load_settings(export_dir=args.exports)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"generate": _generate, "run": _run, "status": _status}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
