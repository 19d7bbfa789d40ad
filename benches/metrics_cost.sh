#!/usr/bin/env bash
# The cost of metrics (issue 16): 4 KiB PUT and GET throughput while Prometheus
# scrapes /_horreo/metrics every second, against the same server unscraped:
# three alternating rounds of 10 s each, medians compared. The request counters
# themselves are always on; this measures them plus the scrapes' work.
#
#   benches/metrics_cost.sh [HORREO_BIN] [HORREO_BENCH]
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
scraper=
trap 'kill "$pid" $scraper 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=metricscost HORREO_ROOT_SECRET_KEY=metricscostsecret0123456789
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export HORREO_RESERVE=0
endpoint="http://127.0.0.1:$port"
"$bin" serve --ephemeral --address "127.0.0.1:$port" --default-bucket bench >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "$endpoint/_horreo/health/ready" && break
    sleep 0.1
done
"$bench" put --endpoint "$endpoint" --bucket bench --size 4KiB --concurrency 16 --count 2000 \
    --keys 2000 >/dev/null 2>&1

run() { # WORKLOAD
    "$bench" "$1" --endpoint "$endpoint" --bucket bench --size 4KiB --concurrency 16 \
        --duration 10s --keys 2000 --existing 2000 --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])'
}
scraping() { # start | stop
    if [ "$1" = start ]; then
        (while true; do curl -s -o /dev/null "$endpoint/_horreo/metrics"; sleep 1; done) &
        scraper=$!
    else
        kill "$scraper"; wait "$scraper" 2>/dev/null || true; scraper=
    fi
}
results=()
for round in 1 2 3; do
    for workload in put get; do
        results+=("$workload quiet $(run $workload)")
        scraping start
        results+=("$workload scraped $(run $workload)")
        scraping stop
    done
done
scrape_bytes=$(curl -s "$endpoint/_horreo/metrics" | wc -c)
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    workload, how, ops = line.split()
    runs.setdefault((workload, how), []).append(float(ops))
for workload in ("put", "get"):
    quiet = statistics.median(runs[(workload, "quiet")])
    scraped = statistics.median(runs[(workload, "scraped")])
    print(f"4 KiB {workload.upper()} ops/s (median of 3): unscraped {quiet:.0f}; "
          f"scraped every second {scraped:.0f}; ratio {scraped / quiet:.3f}")
'
echo "one scrape: $scrape_bytes bytes"
