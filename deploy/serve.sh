#!/usr/bin/env bash
# `make serve`: the two long-running services of a deployment on this machine, against the
# instance at $DAGSTER_HOME: dagster-daemon (sensors, schedules, the run queue) in the
# background and dagster-webserver (the UI) in front; stopping either stops both.
# On a server, deploy/systemd/ runs the same two commands as services.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${GOP_BIN:-.venv/bin}
host=${GOP_UI_HOST:-127.0.0.1}
port=${GOP_UI_PORT:-3000}
: "${DAGSTER_HOME:?set DAGSTER_HOME (the Makefile does: data/dagster_home)}"

"$bin/dagster-daemon" run -w workspace.yaml &
daemon=$!
"$bin/dagster-webserver" -h "$host" -p "$port" -w workspace.yaml &
webserver=$!
trap 'kill -TERM "$daemon" "$webserver" 2>/dev/null || true; wait' EXIT INT TERM
echo "dagster-daemon (pid $daemon) and dagster-webserver on http://$host:$port (pid $webserver)"
# Whichever ends first ends the other (the trap).
wait -n "$daemon" "$webserver"
