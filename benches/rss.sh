#!/usr/bin/env bash
# Peak resident memory of horreo while the AWS CLI uploads and downloads one large
# file (multipart, the CLI's defaults: 8 MiB parts, 10 concurrent requests).
#
#   benches/rss.sh [SIZE_MIB] [HORREO_BIN]     # defaults: 2048, target/release/horreo
#
# Prints the server's VmHWM (peak RSS) after the upload and after the download.
# Needs the AWS CLI (the test virtualenv has it: ~/.cache/horreo-venv/bin/aws).
set -euo pipefail

size_mib=${1:-2048}
bin=${2:-${CARGO_TARGET_DIR:-target}/release/horreo}
aws=${AWS_CLI:-$(command -v aws || echo "$HOME/.cache/horreo-venv/bin/aws")}
[ -x "$bin" ] || { echo "no horreo binary at $bin" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=rssbench HORREO_ROOT_SECRET_KEY=rssbenchsecret0123456789
export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
"$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done

hwm() { awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }
endpoint="http://127.0.0.1:$port"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/file"
"$aws" --endpoint-url "$endpoint" s3 mb s3://rss >/dev/null
echo "after start:    $(hwm)"
"$aws" --endpoint-url "$endpoint" s3 cp "$work/file" s3://rss/file --only-show-errors
echo "after upload:   $(hwm)  (${size_mib} MiB file)"
"$aws" --endpoint-url "$endpoint" s3 cp s3://rss/file "$work/back" --only-show-errors
echo "after download: $(hwm)"
cmp "$work/file" "$work/back" && echo "round trip: identical"
