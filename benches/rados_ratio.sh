#!/usr/bin/env bash
# One gateway on Ceph RADOS against the embedded backend, same binary, one run:
# PUT then GET of 4 KiB and of 64 MiB objects, and the RADOS operations the
# OSD counted per S3 request of each kind (its admin socket: op_r, op_w, op_rw).
#
#   benches/rados_ratio.sh HORREO HORREO_BENCH
#
# Boots a throwaway cluster (tests/ceph/cluster.sh), stops it at the end.
# Prints one line per figure: backend workload ops/s MiB/s p50_ms and, for
# RADOS, reads/writes/read-writes per request.
set -euo pipefail

horreo=$(realpath "$1")
bench=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cluster=$work/ceph
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    bash "$here/../tests/ceph/cluster.sh" stop "$cluster" || true
    rm -rf "$work"
}
trap cleanup EXIT

bash "$here/../tests/ceph/cluster.sh" start "$cluster" --owner $$ >/dev/null

export AWS_ACCESS_KEY_ID=HORREOBENCHRATIO AWS_SECRET_ACCESS_KEY=benchratiosecretbenchratiosecret0000000
export AWS_REGION=us-east-1 HORREO_RESERVE=0

osd_ops() {
    ceph --admin-daemon "$cluster/run/osd.0.asok" perf dump |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["osd"]; print(d["op_r"], d["op_w"], d["op_rw"])'
}

start() {
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    endpoint=http://127.0.0.1:$port
    HORREO_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID HORREO_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
        HORREO_MASTER_KEY=$(printf '%064d' 7) \
        "$horreo" serve --data-dir "$work/data-$1" --address "127.0.0.1:$port" "${@:2}" \
        >"$work/$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "$endpoint" && return 0
        sleep 0.1
    done
    echo "horreo ($1) did not start:" >&2
    cat "$work/$1.log" >&2
    exit 1
}

# run BACKEND WORKLOAD COUNT horreo-bench-args...
run() {
    local backend=$1 workload=$2 count=$3
    shift 3
    local before after out
    [ "$backend" = rados ] && before=$(osd_ops)
    out=$("$bench" "$@" --count "$count" --endpoint "$endpoint" --json 2>/dev/null)
    [ "$backend" = rados ] && after=$(osd_ops)
    python3 - "$backend" "$workload" "$count" "$out" "${before:-}" "${after:-}" <<'PY'
import json, sys
backend, workload, count, out, before, after = sys.argv[1:]
r = json.loads(out)
line = f"{backend:8} {workload:10} {r['ops_per_sec']:9.1f} ops/s {r['mib_per_sec']:8.1f} MiB/s p50 {r['p50_ms']:7.2f} ms errors {r['errors']}"
if before:
    d = [int(a) - int(b) for a, b in zip(after.split(), before.split())]
    n = int(count)
    line += f"  RADOS per request: {d[0]/n:.1f} read, {d[1]/n:.1f} write, {d[2]/n:.1f} read-write"
print(line, flush=True)
PY
}

for backend in embedded rados; do
    if [ "$backend" = rados ]; then
        start rados --backend rados --rados-conf "$cluster/ceph.conf" --rados-pool horreo --rados-user horreo
    else
        start embedded
    fi
    run "$backend" put-4KiB 2000 put --bucket small --size 4KiB --concurrency 16
    run "$backend" get-4KiB 2000 get --bucket small --size 4KiB --concurrency 16 --existing 2000
    run "$backend" put-64MiB 12 put --bucket large --size 64MiB --concurrency 2
    run "$backend" get-64MiB 12 get --bucket large --size 64MiB --concurrency 2 --existing 12
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
done
