#!/usr/bin/env bash
# horreo's performance baseline, in one run: the machine's limits (limits.sh), then
# the same S3 workloads against horreo and, when it is installable, a peer server;
# prints a markdown table of every figure with its ratio to the relevant limit
# and to the peer.
#
#   benches/baseline.sh            # from a clean clone: builds, installs, runs (~10 min)
#
# Environment (all optional):
#   BASE_SECONDS=15      duration of each timed workload
#   BASE_LIST_KEYS=100000  keys in the listing bucket (a 1,000-key bucket is listed too)
#   BASE_RSS_MIB=1024    size of the upload whose peak server RSS is measured
#   BASE_PEER=s3s-fs     s3s-fs (cargo install, cached in ~/.cache/horreo-peers), moto
#                        (pip, same cache), or none
#   BASE_DIR=$TMPDIR     where data directories and the disk tests go
#   BASE_NO_BUILD=1      use the binaries already built under $CARGO_TARGET_DIR/release
#   BASE_OUT=FILE        also write the table (and raw results as FILE.jsonl)
# Stops by itself; its servers are stopped and its data removed on any exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${BASE_SECONDS:-15}
list_keys=${BASE_LIST_KEYS:-100000}
rss_mib=${BASE_RSS_MIB:-1024}
peer=${BASE_PEER:-s3s-fs}
base_dir=${BASE_DIR:-${TMPDIR:-/tmp}}
target=${CARGO_TARGET_DIR:-$root/target}
peers=$HOME/.cache/horreo-peers
horreo=$target/release/horreo
bench=$target/release/horreo-bench
export HORREO_BENCH=$bench

log() { echo "baseline: $*" >&2; }

if [ -z "${BASE_NO_BUILD:-}" ]; then
    log "building release binaries"
    (cd "$root" && cargo build --release -p horreo-server -p horreo-bench >&2)
fi

work=$(mktemp -d "$base_dir/horreo-baseline.XXXXXX")
pids=()
cleanup() {
    if [ -n "${BASE_OUT:-}" ]; then
        for f in "$work"/*.log; do
            [ -e "$f" ] && cp "$f" "$BASE_OUT.$(basename "$f")"
        done
    fi
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {
    for _ in $(seq 300); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    log "no answer from $1"
    return 1
}

# ---- the peer ----
peer_bin=""
case "$peer" in
    s3s-fs)
        peer_bin=$peers/s3s-fs/bin/s3s-fs
        if [ ! -x "$peer_bin" ]; then
            log "installing s3s-fs (cargo install, once)"
            # 0.14.1 is the newest s3s-fs whose rust-version this toolchain meets.
            env -u CARGO_TARGET_DIR cargo install s3s-fs --version 0.14.1 --features binary --locked \
                --root "$peers/s3s-fs" >&2 || { log "s3s-fs did not build; no peer"; peer=none; }
        fi
        ;;
    moto)
        peer_bin=$peers/moto/bin/moto_server
        if [ ! -x "$peer_bin" ]; then
            log "installing moto[server] (pip, once)"
            { python3 -m venv "$peers/moto" && "$peers/moto/bin/pip" install -q 'moto[server]'; } >&2 ||
                { log "moto did not install; no peer"; peer=none; }
        fi
        ;;
    none) ;;
    *) log "unknown BASE_PEER=$peer"; exit 2 ;;
esac

avail_kib=$(df -Pk "$base_dir" | awk 'NR == 2 {print $4}')
if [ "$avail_kib" -lt $((8 * 1024 * 1024)) ]; then
    log "warning: only $((avail_kib / 1024)) MiB free under $base_dir; a run needs ~6 GiB"
fi

# ---- limits ----
log "measuring the machine's limits"
"$here/limits.sh" "$base_dir" >"$work/limits.txt"

results=$work/results.jsonl
: >"$results"
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# bench SERVER PID ENDPOINT FIGURE horreo-bench-args...: runs one workload, records
# its JSON result with the server's CPU seconds over it.
bench() {
    local server=$1 pid=$2 endpoint=$3 figure=$4
    shift 4
    if ! kill -0 "$pid" 2>/dev/null; then
        log "$server is gone; skipping $figure"
        return 0
    fi
    log "$server: $figure"
    local cpu0 cpu1 out
    cpu0=$(cpu_ticks "$pid")
    out=$("$bench" "$@" --endpoint "$endpoint" --json) || { log "$server: $figure failed"; out='{"ops":0,"errors":-1}'; }
    cpu1=$(cpu_ticks "$pid")
    printf '{"server":"%s","figure":"%s","cpu_s":%s,"result":%s}\n' "$server" "$figure" \
        "$(awk "BEGIN { printf \"%.3f\", ($cpu1 - $cpu0) / $tck }")" "$out" >>"$results"
}

ops_of() { # the ops count of the newest result for SERVER FIGURE
    python3 -c "
import json, sys
ops = 0
for line in open('$results'):
    r = json.loads(line)
    if r['server'] == '$1' and r['figure'] == '$2':
        ops = r['result'].get('ops', 0)
print(ops)"
}

# workloads SERVER PID ENDPOINT: the whole set against one server.
workloads() {
    local server=$1 pid=$2 endpoint=$3
    local common=(--duration "${seconds}s")
    # First, on the fresh server: peak RSS during one large upload, single PUT then
    # multipart (8 MiB parts, 4 at once), each from a reset high-water mark.
    local figure before
    for figure in "put" "multipart"; do
        # Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
        echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || log "cannot reset $server's VmHWM"
        before=$(rss_kib "$pid")
        if [ "$figure" = put ]; then
            bench "$server" "$pid" "$endpoint" "rss put ${rss_mib}MiB" put --bucket rss \
                --size "${rss_mib}MiB" --count 1 --concurrency 1 --keys 1
        else
            bench "$server" "$pid" "$endpoint" "rss multipart ${rss_mib}MiB" multipart --bucket rss \
                --size "${rss_mib}MiB" --part-size 8MiB --part-concurrency 4 --count 1 --concurrency 1 --keys 1
        fi
        printf '{"server":"%s","figure":"rss %s %sMiB kib","value":%s,"before":%s}\n' "$server" \
            "$figure" "$rss_mib" "$(hwm_kib "$pid")" "$before" >>"$results"
    done

    # SIZE:CONCURRENCY:KEYS. PUTs overwrite KEYS keys round-robin, so a run takes
    # at most ~1 GiB of disk whatever the duration; GETs read those keys.
    for spec in 4KiB:32:1000000 1MiB:8:1000 64MiB:2:16; do
        local size conc keys
        IFS=: read -r size conc keys <<<"$spec"
        local bucket=obj-${size,,}
        bench "$server" "$pid" "$endpoint" "put $size c=$conc" put --bucket "$bucket" \
            --size "$size" --concurrency "$conc" --keys "$keys" "${common[@]}"
        local written
        written=$(ops_of "$server" "put $size c=$conc")
        written=$((written < keys ? written : keys))
        bench "$server" "$pid" "$endpoint" "get $size c=$conc" get --bucket "$bucket" \
            --size "$size" --concurrency "$conc" --existing "$((written > 0 ? written : 1))" "${common[@]}"
    done
    # As many PUTs as DELETEs: the bucket's size stays put.
    written=$(ops_of "$server" "put 1MiB c=8")
    bench "$server" "$pid" "$endpoint" "mixed 1MiB c=8" mixed --bucket obj-1mib --size 1MiB \
        --mix get=60,put=20,delete=20 --concurrency 8 \
        --existing "$((written < 1000 ? written : 1000))" "${common[@]}"

    # Listing: the same pages over $list_keys keys and over 1,000, in 100 prefixes.
    for keys in "$list_keys" 1000; do
        bench "$server" "$pid" "$endpoint" "load $keys keys" put --bucket "list-$keys" --size 0 \
            --prefixes 100 --count "$keys" --concurrency 32
        # The first page of each bucket: 1000 keys from both (a page after a random
        # key of the 1,000-key bucket would hold fewer).
        bench "$server" "$pid" "$endpoint" "list $keys keys" list --bucket "list-$keys" --size 0 \
            --prefixes 100 --existing "$keys" --from-start --concurrency 1 "${common[@]}"
        bench "$server" "$pid" "$endpoint" "list $keys keys delimiter" list --bucket "list-$keys" \
            --size 0 --prefixes 100 --existing "$keys" --delimiter / --concurrency 1 "${common[@]}"
    done

}

access_key=bench$(python3 -c 'import secrets; print(secrets.token_hex(6))')
secret_key=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
export AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key AWS_DEFAULT_REGION=us-east-1

# ---- horreo ----
port=$(free_port)
mkdir -p "$work/horreo"
HORREO_ROOT_ACCESS_KEY=$access_key HORREO_ROOT_SECRET_KEY=$secret_key \
    "$horreo" serve --data-dir "$work/horreo" --address "127.0.0.1:$port" >"$work/horreo.log" 2>&1 &
horreo_pid=$!
pids+=("$horreo_pid")
wait_http "http://127.0.0.1:$port/"
workloads horreo "$horreo_pid" "http://127.0.0.1:$port"
kill "$horreo_pid"
wait "$horreo_pid" 2>/dev/null || true
rm -rf "$work/horreo"

# ---- the peer ----
if [ "$peer" != none ]; then
    port=$(free_port)
    mkdir -p "$work/peer"
    case "$peer" in
        s3s-fs)
            "$peer_bin" --host 127.0.0.1 --port "$port" --access-key "$access_key" \
                --secret-key "$secret_key" "$work/peer" >"$work/peer.log" 2>&1 &
            ;;
        moto)
            "$peer_bin" -H 127.0.0.1 -p "$port" >"$work/peer.log" 2>&1 &
            ;;
    esac
    peer_pid=$!
    pids+=("$peer_pid")
    wait_http "http://127.0.0.1:$port/"
    workloads "$peer" "$peer_pid" "http://127.0.0.1:$port"
    kill "$peer_pid"
fi

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 "$here/baseline_table.py" "$work/limits.txt" "$results" "$peer" "$commit" | tee "${BASE_OUT:-/dev/null}"
[ -n "${BASE_OUT:-}" ] && cp "$results" "$BASE_OUT.jsonl"
exit 0
