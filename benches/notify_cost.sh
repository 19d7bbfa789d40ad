#!/usr/bin/env bash
# The cost of event notifications on the write path (issue 15): 4 KiB PUT
# throughput into a bucket whose notification configuration sends every
# ObjectCreated event to a webhook, against a bucket without one, on one
# server: three alternating rounds of 10 s each, medians compared. Then the
# delivery lag (eventTime to arrival at the webhook, p50/p99) of the events
# of those rounds, once the queue has drained (events queue up whenever PUTs
# come faster than one destination takes them, one at a time and in order),
# and the lag of a 10 s round at concurrency 1, below the webhook's rate.
#
#   benches/notify_cost.sh [HORREO_BIN] [HORREO_BENCH]
# Needs the AWS CLI (the test virtualenv has it: ~/.cache/horreo-venv/bin/aws).
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
aws=${AWS_CLI:-$(command -v aws || echo "$HOME/.cache/horreo-venv/bin/aws")}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
pid="" hook=""
trap 'kill $pid $hook 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
hook_port=$(free_port)

# The webhook: answers 200 at once, notes each record's lag (arrival - eventTime).
cat >"$work/hook.py" <<'PY'
import json, sys, time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
out = open(sys.argv[2], "a", buffering=1)
class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        now = time.time()
        for r in json.loads(body).get("Records", []):
            t = datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
            sent = (t - datetime(1970, 1, 1)).total_seconds()
            out.write(f"{now - sent:.4f}\n")
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
python3 "$work/hook.py" "$hook_port" "$work/lags" &
hook=$!

export HORREO_ROOT_ACCESS_KEY=notifycost HORREO_ROOT_SECRET_KEY=notifycostsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export HORREO_RESERVE=0
endpoint="http://127.0.0.1:$port"
"$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" \
    --notify-webhook "hook=http://127.0.0.1:$hook_port/" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "$endpoint/" && break
    sleep 0.1
done

export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cli() { "$aws" --endpoint-url "$endpoint" --output text "$@"; }
cli s3api create-bucket --bucket plain >/dev/null
cli s3api create-bucket --bucket notified >/dev/null
cli s3api put-bucket-notification-configuration --bucket notified --notification-configuration \
    '{"QueueConfigurations": [{"Id": "all", "QueueArn": "arn:horreo:sqs::hook:webhook", "Events": ["s3:ObjectCreated:*"]}]}'

run() { # BUCKET -> "ops_per_sec count"
    "$bench" put --endpoint "$endpoint" --bucket "$1" --size 4KiB --concurrency 16 \
        --duration 10s --json 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_per_sec"], d.get("ops", 0))'
}
results=()
for round in 1 2 3; do
    results+=("plain $(run plain)")
    results+=("notified $(run notified)")
done
# Waits until the webhook has one record for each of $1 PUTs (the test event has none).
drain() {
    local start=$SECONDS
    while [ "$(wc -l <"$work/lags" 2>/dev/null || echo 0)" -lt "$1" ] && [ $((SECONDS - start)) -lt 600 ]; do
        sleep 1
    done
    echo $((SECONDS - start))
}
expected=$(printf '%s\n' "${results[@]}" | awk '$1 == "notified" {n += $3} END {print n + 0}')
drained=$(drain "$expected")
loaded=$(wc -l <"$work/lags")
steady=$("$bench" put --endpoint "$endpoint" --bucket notified --size 4KiB --concurrency 1 \
    --duration 10s --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_per_sec"], d["ops"])')
drain $((loaded + ${steady#* })) >/dev/null
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    who, ops, _ = line.split()
    runs.setdefault(who, []).append(float(ops))
plain, notified = statistics.median(runs["plain"]), statistics.median(runs["notified"])
print(f"4 KiB PUT ops/s (median of 3, concurrency 16): no notification {plain:.0f}; "
      f"ObjectCreated to a webhook {notified:.0f}; ratio {notified / plain:.2f}")
'
python3 - "$work/lags" "$expected" "$drained" "$loaded" "$steady" <<'PY'
import statistics, sys
all_lags = [float(l) for l in open(sys.argv[1])]
loaded = int(sys.argv[4])
def pct(lags):
    lags = sorted(lags)
    q = statistics.quantiles(lags, n=100)
    return len(lags), q[49] * 1000, q[98] * 1000
n, p50, p99 = pct(all_lags[:loaded])
print(f"under the PUT load above: delivered {n} of {sys.argv[2]} events; lag p50 {p50:.0f} ms, "
      f"p99 {p99:.0f} ms (queue drained {sys.argv[3]} s after the last round)")
rate, _ = sys.argv[5].split()
n, p50, p99 = pct(all_lags[loaded:])
print(f"at concurrency 1 ({float(rate):.0f} PUT/s): {n} events; lag p50 {p50:.0f} ms, p99 {p99:.0f} ms")
PY
