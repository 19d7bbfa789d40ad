#!/usr/bin/env bash
# Server CPU per request (issue 17): a fixed number of requests per workload
# against a fresh release server, with the server's user+system CPU time read
# from /proc around each workload. With CALLGRIND=1 the server runs under
# valgrind's callgrind and each workload also reports the server's user-space
# instructions per request (stable on a busy machine, unlike time), keeping one
# callgrind dump per workload for callgrind_annotate.
#
#   benches/cpu_per_op.sh [HORREO_BIN] [HORREO_BENCH]
#   # defaults: $CARGO_TARGET_DIR/release/horreo and .../horreo-bench
#
# Environment: CALLGRIND=1; CPU_SCALE (divides the request counts, default 1,
# 10 under callgrind); CPU_KEEP=DIR keeps the callgrind dumps there;
# CPU_WORKLOADS (a subset of: put4k get4k delete4k put1m put64m).
# Prints one line per workload: name, requests, CPU ms per request, and under
# callgrind instructions per request.
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }
callgrind=${CALLGRIND:-}
scale=${CPU_SCALE:-$([ -n "$callgrind" ] && echo 10 || echo 1)}
workloads=${CPU_WORKLOADS:-put4k get4k delete4k put1m put64m}

work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=cpuperop HORREO_ROOT_SECRET_KEY=cpuperopsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
server=("$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port")
if [ -n "$callgrind" ]; then
    server=(valgrind --tool=callgrind --separate-threads=no
        "--callgrind-out-file=$work/callgrind.out" "${server[@]}")
fi
HORREO_RESERVE=0 "${server[@]}" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 600); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done
endpoint="http://127.0.0.1:$port"
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# Instructions of the dump callgrind writes when told to (the counters were
# zeroed before the workload).
dump_ir() {
    local before after name
    before=$(ls "$work" | grep -c '^callgrind.out' || true)
    callgrind_control -d "$pid" >/dev/null 2>&1
    for _ in $(seq 600); do
        after=$(ls "$work" | grep -c '^callgrind.out' || true)
        [ "$after" -gt "$before" ] && break
        sleep 0.1
    done
    name=$(ls -t "$work"/callgrind.out.* | head -1)
    if [ -n "${CPU_KEEP:-}" ]; then
        mkdir -p "$CPU_KEEP"
        cp "$name" "$CPU_KEEP/callgrind.$1"
    fi
    awk '/^summary:|^totals:/ {print $2; exit}' "$name"
}

# run NAME COUNT horreo-bench-args...
run() {
    local name=$1 count=$2
    shift 2
    [[ " $workloads " == *" $name "* ]] || return 0
    [ -n "$callgrind" ] && callgrind_control -z "$pid" >/dev/null 2>&1
    local c0 c1 ir=""
    c0=$(cpu_ticks)
    "$bench" "$@" --endpoint "$endpoint" --count "$count" --json >"$work/$name.json" 2>>"$work/bench.err"
    c1=$(cpu_ticks)
    [ -n "$callgrind" ] && ir=$(dump_ir "$name")
    python3 - "$name" "$count" "$c0" "$c1" "$tck" "$ir" "$work/$name.json" <<'EOF'
import json, sys
name, count, c0, c1, tck, ir, out = sys.argv[1:]
r = json.load(open(out))
count = int(count)
line = f"{name:10} {count:7d} requests  errors {r.get('errors', 0)}  " \
       f"cpu {(int(c1) - int(c0)) / int(tck) * 1000 / count:8.3f} ms/req"
if ir:
    line += f"  {int(ir) / count:12,.0f} instructions/req"
print(line)
EOF
}

small=$((20000 / scale))
# Warm-up (buckets created, connections, allocator) outside every figure.
"$bench" put --endpoint "$endpoint" --bucket small --size 4KiB --concurrency 16 --count 200 --keys 200 --json >/dev/null 2>&1
run put4k "$small" put --bucket small --size 4KiB --concurrency 16 --keys "$small"
run get4k "$small" get --bucket small --size 4KiB --concurrency 16 --existing "$small"
run delete4k "$small" delete --bucket small --size 4KiB --concurrency 16 --existing "$small"
run put1m "$((800 / scale))" put --bucket large --size 1MiB --concurrency 8 --keys 100
run put64m "$((40 / scale > 0 ? 40 / scale : 1))" put --bucket huge --size 64MiB --concurrency 2 --keys 4
