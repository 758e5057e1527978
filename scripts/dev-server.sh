#!/usr/bin/env bash
# Start the job worker and the web app together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export FLASK_APP=app
mkdir -p instance

"$BIN/huey_consumer" app.jobs.huey --workers 1 --worker-type thread --logfile instance/worker.log \
  >/dev/null 2>&1 &
WORKER=$!
trap 'kill "$WORKER" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Umit is running:  http://127.0.0.1:5000
  Job worker:       pid $WORKER (log: instance/worker.log)
  Dev mailbox:      http://127.0.0.1:5000/dev/mail

  Demo sign-ins (one per role):
MSG
"$BIN/flask" umit demo-accounts
echo
"$BIN/flask" run --host 127.0.0.1 --port "${PORT:-5000}"
