#!/usr/bin/env bash
# The cost of notifications and replication on the write path (issue 15):
# 4 KiB PUT throughput into a bucket with one webhook notification
# configuration (every ObjectCreated event) and one replication rule (every
# version to a bucket of a second horreo on loopback, --replication-remote),
# against a bucket with neither, on the same source server: three
# alternating rounds of 10 s each, medians compared. Then the replication lag
# of every PUT of those rounds: the destination's own ObjectCreated event for
# the replica (its eventTime is when the replica committed) minus the source's
# event for the version (when the PUT committed), both servers notifying the
# same webhook, once the queue has drained.
#
#   benches/replication_cost.sh [HORREO_BIN] [HORREO_BENCH]
# Needs the AWS CLI (the test virtualenv has it: ~/.cache/horreo-venv/bin/aws).
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
aws=${AWS_CLI:-$(command -v aws || echo "$HOME/.cache/horreo-venv/bin/aws")}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
src_pid="" dst_pid="" hook=""
trap 'kill $src_pid $dst_pid $hook 2>/dev/null || true; wait 2>/dev/null; [ -n "${REPL_KEEP:-}" ] || rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
src_port=$(free_port)
dst_port=$(free_port)
hook_port=$(free_port)

# The webhook: answers 200 at once, notes "bucket key@version eventTime" per
# record (replicas keep the version id, and bench keys repeat across rounds).
cat >"$work/hook.py" <<'PY'
import json, sys
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
out = open(sys.argv[2], "a", buffering=1)
class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        for r in json.loads(body).get("Records", []):
            t = datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
            at = (t - datetime(1970, 1, 1)).total_seconds()
            o = r["s3"]["object"]
            out.write(f'{r["s3"]["bucket"]["name"]} {o["key"]}@{o.get("versionId", "")} {at:.4f}\n')
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
python3 "$work/hook.py" "$hook_port" "$work/events" &
hook=$!

export HORREO_ROOT_ACCESS_KEY=replcost HORREO_ROOT_SECRET_KEY=replcostsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export HORREO_RESERVE=0
start() { # PORT DIR ARGS... -> pid
    local port=$1 dir=$2
    shift 2
    "$bin" serve --data-dir "$work/$dir" --address "127.0.0.1:$port" \
        --notify-webhook "hook=http://127.0.0.1:$hook_port/" "$@" >"$work/$dir.log" 2>&1 &
    echo $!
}
dst_pid=$(start "$dst_port" dst)
src_pid=$(start "$src_port" src --replication-remote \
    "dr=http://$HORREO_ROOT_ACCESS_KEY:$HORREO_ROOT_SECRET_KEY@127.0.0.1:$dst_port")
for port in "$src_port" "$dst_port"; do
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
done

export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cli() { local port=$1; shift; "$aws" --endpoint-url "http://127.0.0.1:$port" --output text "$@"; }
events='{"QueueConfigurations": [{"Id": "all", "QueueArn": "arn:horreo:sqs::hook:webhook", "Events": ["s3:ObjectCreated:*"]}]}'
versioned='Status=Enabled'
cli "$dst_port" s3api create-bucket --bucket replica >/dev/null
cli "$dst_port" s3api put-bucket-versioning --bucket replica --versioning-configuration "$versioned"
cli "$dst_port" s3api put-bucket-notification-configuration --bucket replica --notification-configuration "$events"
cli "$src_port" s3api create-bucket --bucket plain >/dev/null
cli "$src_port" s3api put-bucket-versioning --bucket plain --versioning-configuration "$versioned"
cli "$src_port" s3api create-bucket --bucket source >/dev/null
cli "$src_port" s3api put-bucket-versioning --bucket source --versioning-configuration "$versioned"
cli "$src_port" s3api put-bucket-notification-configuration --bucket source --notification-configuration "$events"
cli "$src_port" s3api put-bucket-replication --bucket source --replication-configuration \
    '{"Role": "arn:aws:iam::000000000000:role/r", "Rules": [{"ID": "all", "Priority": 1, "Status": "Enabled",
      "Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Disabled"},
      "Destination": {"Bucket": "arn:horreo:s3::dr:replica"}}]}'

cpu() { awk '{print $14 + $15}' "/proc/$src_pid/stat"; }
run() { # BUCKET -> "ops_per_sec ops cpu_ticks"
    local before after line
    before=$(cpu)
    line=$("$bench" put --endpoint "http://127.0.0.1:$src_port" --bucket "$1" --size 4KiB \
        --concurrency 16 --duration "${REPL_SECONDS:-10}s" --json 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_per_sec"], d.get("ops", 0))')
    after=$(cpu)
    echo "$line $((after - before))"
}
results=()
for round in 1 2 3; do
    results+=("plain $(run plain)")
    results+=("configured $(run source)")
done
expected=$(printf '%s\n' "${results[@]}" | awk '$1 == "configured" {n += $3} END {print n + 0}')
started=$SECONDS
count() { grep -c "^$1 " "$work/events" 2>/dev/null || true; }
drain() { # N: waits until both buckets' events number N; prints the seconds it took
    local start=$SECONDS
    while { [ "$(count replica)" -lt "$1" ] || [ "$(count source)" -lt "$1" ]; } &&
        [ $((SECONDS - start)) -lt 900 ]; do
        sleep 1
    done
    echo $((SECONDS - start))
}
drained=$(drain "$expected")
mark=$(wc -l <"$work/events")
# Below the rate one destination takes: one PUT at a time.
steady=$("$bench" put --endpoint "http://127.0.0.1:$src_port" --bucket source --size 4KiB \
    --concurrency 1 --duration "${REPL_SECONDS:-10}s" --json 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ops_per_sec"], d["ops"])')
drain $((expected + ${steady#* })) >/dev/null
printf '%s\n' "${results[@]}" >"$work/results"
python3 - "$work/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    who, ops, count, ticks = line.split()
    runs.setdefault(who, []).append((float(ops), int(count), int(ticks)))
med = {w: statistics.median(o for o, _, _ in r) for w, r in runs.items()}
# CPU ticks are 1/100 s: ms of source CPU per PUT.
cpu = {w: 10 * sum(t for _, _, t in r) / max(1, sum(c for _, c, _ in r)) for w, r in runs.items()}
plain, conf = med["plain"], med["configured"]
print(f"4 KiB PUT ops/s (median of 3, concurrency 16): neither {plain:.0f} "
      f"({cpu['plain']:.2f} ms source CPU per PUT); webhook + replication rule {conf:.0f} "
      f"({cpu['configured']:.2f} ms); ratio {conf / plain:.2f}")
PY
python3 - "$work/events" "$expected" "$drained" "$mark" "$steady" <<'PY'
import statistics, sys
events, expected, drained, mark = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rate = float(sys.argv[5].split()[0])
source, replica, late = {}, {}, set()
for i, line in enumerate(open(events)):
    bucket, key, at = line.split()
    if bucket == "source":
        source[key] = float(at)
        if i >= mark:
            late.add(key)
    elif bucket == "replica":
        replica[key] = float(at)
def report(what, keys):
    lags = sorted(replica[k] - source[k] for k in keys if k in replica)
    q = statistics.quantiles(lags, n=100)
    print(f"replication lag {what}: {len(lags)} PUTs, p50 {q[49] * 1000:.0f} ms, "
          f"p99 {q[98] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms")
report(f"under the load above (queue drained {drained} s after the last round; {expected} PUTs)",
       [k for k in source if k not in late])
report(f"at concurrency 1 ({rate:.0f} PUT/s)", late)
PY
