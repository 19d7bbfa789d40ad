#!/usr/bin/env bash
# Throughput of encrypted ÷ plain objects, side by side on one release server: PUT
# and GET of 64 MiB objects (concurrency 2) into a plain bucket and into buckets whose
# default encryption is SSE-S3 and SSE-KMS, alternating, ROUNDS times; prints the
# median MiB/s of each and the ratios to plain.
#
#   benches/encryption_ratio.sh        # builds the release binaries first
#
# Needs the client-test virtualenv for the AWS CLI (tests/run-all.sh makes it).
# Env: ROUNDS (3), SIZE (64MiB), COUNT (objects per PUT run, 24), GET_SECONDS (10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/horreo-target}"
VENV="${HORREO_VENV:-$HOME/.cache/horreo-venv}"
ROUNDS="${ROUNDS:-3}" SIZE="${SIZE:-64MiB}" COUNT="${COUNT:-24}" GET_SECONDS="${GET_SECONDS:-10}"

cargo build --release --workspace --bins >&2
HORREO="$CARGO_TARGET_DIR/release/horreo"
BENCH="$CARGO_TARGET_DIR/release/horreo-bench"
work="$(mktemp -d)"
port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export AWS_ACCESS_KEY_ID="bench$RANDOM" AWS_SECRET_ACCESS_KEY="secret$RANDOM$RANDOM" AWS_DEFAULT_REGION=us-east-1
HORREO_MASTER_KEY="$(openssl rand -hex 32)" "$HORREO" serve --data-dir "$work/data" \
    --address "127.0.0.1:$port" --root-access-key "$AWS_ACCESS_KEY_ID" \
    --root-secret-key "$AWS_SECRET_ACCESS_KEY" >"$work/horreo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -s -o /dev/null "$endpoint" && break; sleep 0.1; done

aws() { "$VENV/bin/aws" --endpoint-url "$endpoint" "$@"; }
for bucket in plain sse-s3 sse-kms; do aws s3api create-bucket --bucket "$bucket" >/dev/null; done
aws s3api put-bucket-encryption --bucket sse-s3 --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
aws s3api put-bucket-encryption --bucket sse-kms --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}'

run() { "$BENCH" "$@" --endpoint "$endpoint" --size "$SIZE" --concurrency 2 --json 2>/dev/null; }
results="$work/results"
for round in $(seq "$ROUNDS"); do
    for bucket in plain sse-s3 sse-kms; do
        printf 'put %s %s\n' "$bucket" "$(run put --bucket "$bucket" --count "$COUNT")" >>"$results"
        printf 'get %s %s\n' "$bucket" \
            "$(run get --bucket "$bucket" --existing "$COUNT" --duration "${GET_SECONDS}s")" >>"$results"
    done
    echo "round $round done" >&2
done
"$VENV/bin/python" - "$results" "$(git rev-parse --short HEAD)" <<'EOF'
import json, statistics, sys
rows = [line.split(" ", 2) for line in open(sys.argv[1])]
mib = {}
for op, bucket, doc in rows:
    result = json.loads(doc)
    assert result["errors"] == 0, (op, bucket, result)
    mib.setdefault((op, bucket), []).append(result["mib_per_sec"])
print(f"commit {sys.argv[2]}, release build, 64 MiB objects, concurrency 2, median MiB/s")
print("| op | plain | SSE-S3 | SSE-KMS | SSE-S3 ÷ plain | SSE-KMS ÷ plain |")
print("|---|---|---|---|---|---|")
for op in ("put", "get"):
    m = {b: statistics.median(mib[(op, b)]) for b in ("plain", "sse-s3", "sse-kms")}
    print(f"| {op.upper()} | {m['plain']:.0f} | {m['sse-s3']:.0f} | {m['sse-kms']:.0f} "
          f"| {m['sse-s3'] / m['plain']:.2f} | {m['sse-kms'] / m['plain']:.2f} |")
EOF
