#!/usr/bin/env bash
# Scrub throughput and its cost to 4 KiB GETs (issue 12): fills a store with
# 256 x 4 MiB and 500 x 4 KiB objects, times `horreo scrub` over it (server
# stopped), then runs the same 4 KiB GET load on one server each: scrubber
# off, scrubber looping unthrottled (--scrub-interval 1s --scrub-rate 0), and
# looping at the default rate (--scrub-interval 1s).
#
#   benches/scrub_cost.sh [HORREO_BIN] [HORREO_BENCH]
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=scrubcost HORREO_ROOT_SECRET_KEY=scrubcostsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export HORREO_RESERVE=0
endpoint="http://127.0.0.1:$port"

serve() {
    "$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" "$@" >>"$work/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "$endpoint/" && return
        sleep 0.1
    done
    echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
gets() {
    "$bench" get --endpoint "$endpoint" --bucket small --size 4KiB --existing 500 \
        --concurrency 8 --duration 15s --json 2>/dev/null
}

serve --scrub-interval 0
"$bench" put --endpoint "$endpoint" --bucket big --size 4MiB --count 256 --concurrency 4 >/dev/null 2>&1
"$bench" put --endpoint "$endpoint" --bucket small --size 4KiB --count 500 >/dev/null 2>&1
stop
start=$(date +%s.%N)
"$bin" scrub --data-dir "$work/data" >"$work/scrub.out"
end=$(date +%s.%N)
echo "horreo scrub: $(tail -n 3 "$work/scrub.out" | tr '\n' ' ')"
echo "scrub wall time: $(echo "$end - $start" | bc) s for 1,026 MiB of content"

serve --scrub-interval 0
off=$(gets)
stop
serve --scrub-interval 1s --scrub-rate 0
on=$(gets)
stop
serve --scrub-interval 1s
paced=$(gets)
stop
python3 - "$off" "$on" "$paced" <<'PY'
import json, sys
off, on, paced = (json.loads(a)["ops_per_sec"] for a in sys.argv[1:])
print(f"4 KiB GET ops/s: scrubber off {off:.0f}; scrubbing unthrottled {on:.0f} (ratio {on / off:.2f}); "
      f"scrubbing at the default 32 MiB/s {paced:.0f} (ratio {paced / off:.2f})")
PY
