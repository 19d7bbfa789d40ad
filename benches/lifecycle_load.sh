#!/usr/bin/env bash
# 4 KiB PUT and GET throughput while a lifecycle pass expires 100,000 objects,
# against the same load with no pass running (issue 14's "Measure"), over HTTP
# with many concurrent clients.
#
# One server (`--lifecycle-day-seconds 1`): 100,000 objects of 1 KiB (LC_SIZE)
# are loaded into bucket `expiring` (no rules yet) and 500 of 4 KiB into `hot`; then a mixed
# load of 4 KiB GET/PUT (50/50, concurrency 32) runs twice on `hot`: once
# idle, once right after an Expiration of 1 day is put on `expiring`, which makes
# all 100,000 due at once (re-index, then the worker expires them); the
# second run starts once the bucket's object count in /metrics starts to fall.
# The count is read around it, so the script shows that the pass was expiring
# objects throughout the loaded run.
#
#   benches/lifecycle_load.sh [HORREO_BIN] [HORREO_BENCH]
#   (LC_OBJECTS=100000 LC_SIZE=1KiB LC_SECONDS=15 LC_CONCURRENCY=32 by default)
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
objects=${LC_OBJECTS:-100000}
size=${LC_SIZE:-1KiB}
seconds=${LC_SECONDS:-15}
concurrency=${LC_CONCURRENCY:-32}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }
py=${PYTHON:-$HOME/.cache/horreo-venv/bin/python}

work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=lifecyclecost HORREO_ROOT_SECRET_KEY=lifecyclecostsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export HORREO_RESERVE=0
endpoint="http://127.0.0.1:$port"

"$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" --lifecycle-day-seconds 1 \
    >>"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "$endpoint/" && break
    sleep 0.1
done

# Objects left in the expiring bucket: its usage row follows every commit,
# while the lifecycle counters are added up when a pass ends.
remaining() {
    curl -s "$endpoint/_horreo/metrics" | awk '/^horreo_bucket_objects\{bucket="expiring"\} /{print $2}'
}
load() {
    "$bench" mixed --endpoint "$endpoint" --bucket hot --size 4KiB --existing 500 \
        --mix get=50,put=50 --concurrency "$concurrency" --duration "${seconds}s" --json 2>/dev/null
}

start=$(date +%s.%N)
"$bench" put --endpoint "$endpoint" --bucket expiring --size "$size" --count "$objects" --concurrency 32 >/dev/null 2>&1
"$bench" put --endpoint "$endpoint" --bucket hot --size 4KiB --count 500 >/dev/null 2>&1
echo "loaded $objects + 500 objects in $(echo "$(date +%s.%N) - $start" | bc) s"

idle=$(load)
"$py" - "$endpoint" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
s3.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [
    {"ID": "all", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
PY
pass_start=$(date +%s.%N)
# The bucket is re-indexed first (a walk of its keys); the load starts once
# expiries are under way.
while [ "$(remaining)" -ge "$objects" ]; do sleep 0.2; done
reindexed=$(echo "$(date +%s.%N) - $pass_start" | bc)
before=$(remaining)
busy=$(load)
after=$(remaining)
while [ "$(remaining)" -gt 0 ]; do sleep 0.5; done
pass_secs=$(echo "$(date +%s.%N) - $pass_start" | bc)
kill "$pid"; wait "$pid" || true
"$py" - "$idle" "$busy" "$before" "$after" "$objects" "$pass_secs" "$reindexed" <<'PY'
import json, sys
idle, busy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
before, after, objects, secs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
reindexed = float(sys.argv[7])
print(f"re-index until the first expiry: {reindexed:.1f} s; expired during the loaded run: "
      f"{before - after} of {objects}, {after} still to go at its end (all {objects} after {secs:.1f} s)")
for op in ("get", "put"):
    i, b = idle["by_op"][op]["ops_per_sec"], busy["by_op"][op]["ops_per_sec"]
    print(f"4 KiB {op.upper()}: idle {i:.0f} ops/s, during the pass {b:.0f} ops/s, ratio {b / i:.2f}; "
          f"p99 {idle['by_op'][op]['p99_ms']:.1f} -> {busy['by_op'][op]['p99_ms']:.1f} ms")
PY
