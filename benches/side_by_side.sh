#!/usr/bin/env bash
# Issue 17's side-by-side: the same small and large object workloads against
# several servers, one after the other on fresh data directories, with each
# server's CPU time per operation; then a table of throughput ratios of the
# first server against each of the others.
#
#   benches/side_by_side.sh SERVER...
#
# A SERVER is NAME=PATH (a horreo binary), `s3s-fs` (the peer baseline.sh
# installs into ~/.cache/horreo-peers) or `null` (nginx answering every request
# without storing it: a GET gets bytes of the right size, anything else 200;
# the load generator's own ceiling). A name given twice (`a=X b=Y a=X b=Y`)
# runs twice and its figures are averaged: alternate runs cancel drift.
#
# Environment: SBS_SECONDS (per timed workload, default 10), SBS_WORKLOADS (a
# subset of: put4k get4k delete4k put1m get1m put64m get64m), SBS_OUT=FILE
# (also keep the raw results as JSON lines), HORREO_BENCH (default
# $CARGO_TARGET_DIR/release/horreo-bench).
set -euo pipefail

[ $# -gt 0 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
bench=${HORREO_BENCH:-${CARGO_TARGET_DIR:-target}/release/horreo-bench}
[ -x "$bench" ] || { echo "need $bench (HORREO_BENCH)" >&2; exit 1; }
seconds=${SBS_SECONDS:-10}
workloads=${SBS_WORKLOADS:-put4k get4k delete4k put1m get1m put64m get64m}
s3s_fs=$HOME/.cache/horreo-peers/s3s-fs/bin/s3s-fs

work=$(mktemp -d)
pid=""
stop() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    pid=""
}
trap 'stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

log() { echo "side_by_side: $*" >&2; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

export AWS_ACCESS_KEY_ID=sidebyside AWS_SECRET_ACCESS_KEY=sidebysidesecret0123456789
export AWS_DEFAULT_REGION=us-east-1
results=$work/results.jsonl
: >"$results"

# start SERVER DIR PORT: starts it in the background; sets pid.
start() {
    local server=$1 dir=$2 port=$3
    mkdir -p "$dir"
    case "$server" in
        null)
            mkdir -p "$dir/files"
            head -c 4096 /dev/zero >"$dir/files/obj-4kib"
            head -c 1048576 /dev/zero >"$dir/files/obj-1mib"
            head -c 67108864 /dev/zero >"$dir/files/obj-64mib"
            cat >"$dir/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 0;
    client_body_temp_path $dir/tmp;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        location / {
            if (\$request_method = GET) {
                rewrite ^/([^/]+)/. /files/\$1 last;
            }
            return 200;
        }
        location /files/ {
            internal;
            root $dir;
        }
    }
}
EOF
            nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir.log" 2>&1 &
            ;;
        s3s-fs)
            "$s3s_fs" --host 127.0.0.1 --port "$port" --access-key "$AWS_ACCESS_KEY_ID" \
                --secret-key "$AWS_SECRET_ACCESS_KEY" "$dir" >"$dir.log" 2>&1 &
            ;;
        *=*)
            HORREO_ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID HORREO_ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
                HORREO_RESERVE=0 "${server#*=}" serve --data-dir "$dir" \
                --address "127.0.0.1:$port" >"$dir.log" 2>&1 &
            ;;
        *) log "unknown server $server"; exit 2 ;;
    esac
    pid=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    log "$server does not answer"
    exit 1
}

# run NAME WORKLOAD horreo-bench-args...: one workload, its JSON result and the
# server's CPU seconds over it (not for nginx, whose workers are other processes).
run() {
    local name=$1 workload=$2
    shift 2
    [[ " $workloads " == *" $workload "* ]] || return 0
    log "$name: $workload"
    local c0 c1 out
    c0=$(cpu_ticks "$pid")
    out=$("$bench" "$@" --json 2>>"$work/bench.err") || { log "$name: $workload failed"; out='{"ops":0,"errors":-1}'; }
    c1=$(cpu_ticks "$pid")
    printf '{"server":"%s","workload":"%s","cpu_s":%s,"result":%s}\n' "$name" "$workload" \
        "$(awk "BEGIN { printf \"%.3f\", ($c1 - $c0) / $tck }")" "$out" >>"$results"
}

# The operations of the newest WORKLOAD result, capped at CAP.
written() {
    python3 - "$results" "$1" "$2" <<'EOF'
import json, sys
path, workload, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
ops = 0
for line in open(path):
    r = json.loads(line)
    if r["workload"] == workload:
        ops = r["result"].get("ops", 0)
print(max(1, min(ops, cap)))
EOF
}

for server in "$@"; do
    name=${server%%=*}
    port=$(free_port)
    start "$server" "$work/$name" "$port"
    common=(--endpoint "http://127.0.0.1:$port")
    timed=("${common[@]}" --duration "${seconds}s")
    # 4 KiB: every PUT a new key; GETs read them; the DELETEs remove each once.
    run "$name" put4k put --bucket obj-4kib --size 4KiB --concurrency 16 --keys 10000000 "${timed[@]}"
    n=$(written put4k 10000000)
    run "$name" get4k get --bucket obj-4kib --size 4KiB --concurrency 16 --existing "$n" "${timed[@]}"
    run "$name" delete4k delete --bucket obj-4kib --size 4KiB --concurrency 16 --count "$n" "${common[@]}"
    run "$name" put1m put --bucket obj-1mib --size 1MiB --concurrency 8 --keys 1000 "${timed[@]}"
    n=$(written put1m 1000)
    run "$name" get1m get --bucket obj-1mib --size 1MiB --concurrency 8 --existing "$n" "${timed[@]}"
    run "$name" put64m put --bucket obj-64mib --size 64MiB --concurrency 2 --keys 16 "${timed[@]}"
    n=$(written put64m 16)
    run "$name" get64m get --bucket obj-64mib --size 64MiB --concurrency 2 --existing "$n" "${timed[@]}"
    stop
    rm -rf "${work:?}/$name"
done

[ -n "${SBS_OUT:-}" ] && cp "$results" "$SBS_OUT"
python3 "$here/side_by_side_table.py" "$results"
