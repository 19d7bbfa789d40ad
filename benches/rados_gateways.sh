#!/usr/bin/env bash
# Throughput through one horreo gateway on Ceph RADOS, through three on the same
# pool behind haproxy (round-robin per request, tests/ceph/balancer.sh), and of the
# embedded backend, same binary, one run: PUT then GET of 4 KiB and of 64 MiB
# objects, each as a ratio to the embedded backend, and the RADOS operations the
# OSD counted per S3 request of each kind (its admin socket: op_r, op_w, op_rw).
#
#   benches/rados_gateways.sh HORREO HORREO_BENCH
#
# Boots a throwaway cluster (tests/ceph/cluster.sh) and stops it, the gateways and
# haproxy at the end. Requests per workload: RADOS_SMALL (4 KiB, default 1000) and
# RADOS_LARGE (64 MiB, default 8); the defaults take a few minutes on a debug build.
set -euo pipefail

horreo=$(realpath "$1")
bench=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
ceph_scripts=$here/../tests/ceph
work=$(mktemp -d)
cluster=$work/ceph
balancer=$work/haproxy
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    bash "$ceph_scripts/balancer.sh" stop "$balancer" || true
    bash "$ceph_scripts/cluster.sh" stop "$cluster" || true
    rm -rf "$work"
}
trap cleanup EXIT

bash "$ceph_scripts/cluster.sh" start "$cluster" --owner $$ >/dev/null

export AWS_ACCESS_KEY_ID=HORREOBENCHGATEWAYS AWS_SECRET_ACCESS_KEY=benchgatewayssecretbenchgatewayssecret0
export AWS_REGION=us-east-1 HORREO_RESERVE=0

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

osd_ops() {
    ceph --admin-daemon "$cluster/run/osd.0.asok" perf dump |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["osd"]; print(d["op_r"], d["op_w"], d["op_rw"])'
}

# start NAME horreo-serve-args...: one gateway in the background; sets `address`.
start() {
    local name=$1 port
    shift
    port=$(free_port)
    HORREO_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID HORREO_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
        HORREO_MASTER_KEY=$(printf '%064d' 7) HORREO_LOG=warn \
        "$horreo" serve --data-dir "$work/data-$name" --address "127.0.0.1:$port" "$@" \
        >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do
        address=127.0.0.1:$port
        curl -s -o /dev/null "http://$address" && return 0
        sleep 0.1
    done
    echo "horreo ($name) did not start:" >&2
    cat "$work/$name.log" >&2
    exit 1
}

# run SETUP ENDPOINT WORKLOAD COUNT horreo-bench-args...: one line of figures.
run() {
    local setup=$1 endpoint=$2 workload=$3 count=$4
    shift 4
    local before="" after="" out
    [ "$setup" != embedded ] && before=$(osd_ops)
    out=$("$bench" "$@" --count "$count" --endpoint "$endpoint" --json 2>/dev/null)
    [ "$setup" != embedded ] && after=$(osd_ops)
    python3 - "$setup" "$workload" "$count" "$out" "$before" "$after" <<'PY'
import json, sys
setup, workload, count, out, before, after = sys.argv[1:]
r = json.loads(out)
line = f"{setup:10} {workload:10} {r['ops_per_sec']:9.1f} ops/s {r['mib_per_sec']:8.1f} MiB/s p50 {r['p50_ms']:7.2f} ms errors {r['errors']}"
if before:
    d = [int(a) - int(b) for a, b in zip(after.split(), before.split())]
    n = int(count)
    line += f"  RADOS per request: {d[0]/n:.1f} read, {d[1]/n:.1f} write, {d[2]/n:.1f} read-write"
print(line, flush=True)
PY
}

# workloads SETUP ENDPOINT: the four workloads, each bucket new to this setup.
workloads() {
    local setup=$1 endpoint=$2 small=${RADOS_SMALL:-1000} large=${RADOS_LARGE:-8}
    run "$setup" "$endpoint" put-4KiB "$small" put --bucket "small-$setup" --size 4KiB --concurrency 16
    run "$setup" "$endpoint" get-4KiB "$small" get --bucket "small-$setup" --size 4KiB --concurrency 16 --existing "$small"
    run "$setup" "$endpoint" put-64MiB "$large" put --bucket "large-$setup" --size 64MiB --concurrency 2
    run "$setup" "$endpoint" get-64MiB "$large" get --bucket "large-$setup" --size 64MiB --concurrency 2 --existing "$large"
}

results=$work/results
start embedded
workloads embedded "http://$address" | tee -a "$results"
kill "${pids[0]}" && wait "${pids[0]}" 2>/dev/null || true
pids=()

rados=(--backend rados --rados-conf "$cluster/ceph.conf" --rados-pool horreo --rados-user horreo)
gateways=()
for n in 0 1 2; do
    start "rados-$n" "${rados[@]}"
    gateways+=("$address")
done
workloads 1-gateway "http://${gateways[0]}" | tee -a "$results"
port=$(free_port)
bash "$ceph_scripts/balancer.sh" start "$balancer" "$port" "${gateways[@]}" --owner $$ >/dev/null
workloads 3-gateways "http://127.0.0.1:$port" | tee -a "$results"

echo
echo "ops/s as a ratio to the embedded backend:"
python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    setup, workload, ops = line.split()[:3]
    rows[(setup, workload)] = float(ops)
for workload in ("put-4KiB", "get-4KiB", "put-64MiB", "get-64MiB"):
    base = rows[("embedded", workload)]
    print(f"{workload:10} 1 gateway {rows[('1-gateway', workload)] / base:5.2f}   3 gateways {rows[('3-gateways', workload)] / base:5.2f}")
PY
