#!/usr/bin/env bash
# Resident memory of a fresh server before, right after, 12 s and 60 s after a write
# load: 20 s of 4 KiB PUTs at concurrency 32, then 10 s of 1 MiB PUTs at
# concurrency 8 (issue 12: idle RSS after a load).
#
#   benches/idle_rss.sh [HORREO_BIN] [HORREO_BENCH]
#   # defaults: $CARGO_TARGET_DIR/release/horreo and .../horreo-bench
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=idlerss HORREO_ROOT_SECRET_KEY=idlersssecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
HORREO_RESERVE=0 "$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done

# VmRSS, then its parts: anonymous memory (heap, stacks, caches) and mapped
# files (the binary's and the shared libraries' pages that were touched).
rss() {
    awk '/^(VmRSS|RssAnon|RssFile)/ {v[$1] = $2 / 1024}
         END {printf "%.0f MiB (anonymous %.0f, files %.0f)", v["VmRSS:"], v["RssAnon:"], v["RssFile:"]}' \
        "/proc/$pid/status"
}
endpoint="http://127.0.0.1:$port"
echo "at start:          $(rss)"
"$bench" put --endpoint "$endpoint" --bucket idle --size 4KiB --concurrency 32 --duration 20s --keys 20000 >/dev/null 2>&1
"$bench" put --endpoint "$endpoint" --bucket idle --size 1MiB --concurrency 8 --duration 10s --keys 200 >/dev/null 2>&1
echo "right after load:  $(rss)"
sleep 12
echo "after 12 s idle:   $(rss)"
sleep 48
echo "after 60 s idle:   $(rss)"
