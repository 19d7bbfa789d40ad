#!/usr/bin/env bash
# The cost of authorisation on the hot path (issue 19): 4 KiB PUT and GET
# throughput of an IAM user with five attached managed policies on a bucket
# with a 20-statement bucket policy, against the root user on a bucket with no
# policy, on one release server: three alternating rounds of 10 s each,
# medians compared.
#
#   benches/access_cost.sh [HORREO_BIN] [HORREO_BENCH]
# Needs the AWS CLI (the test virtualenv has it: ~/.cache/horreo-venv/bin/aws).
set -euo pipefail

target=${CARGO_TARGET_DIR:-target}
bin=${1:-$target/release/horreo}
bench=${2:-$(dirname "$bin")/horreo-bench}
aws=${AWS_CLI:-$(command -v aws || echo "$HOME/.cache/horreo-venv/bin/aws")}
[ -x "$bin" ] && [ -x "$bench" ] || { echo "need $bin and $bench" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HORREO_ROOT_ACCESS_KEY=accesscost HORREO_ROOT_SECRET_KEY=accesscostsecret0123456789
export HORREO_MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export HORREO_RESERVE=0
endpoint="http://127.0.0.1:$port"
"$bin" serve --data-dir "$work/data" --address "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "$endpoint/" && break
    sleep 0.1
done

export AWS_ACCESS_KEY_ID=$HORREO_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$HORREO_ROOT_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
cli() { "$aws" --endpoint-url "$endpoint" --output text "$@"; }
account=$(cli sts get-caller-identity --query Account)
cli s3api create-bucket --bucket plain >/dev/null
cli s3api create-bucket --bucket guarded >/dev/null

# Five managed policies: four about other things, the fifth grants the bench.
cli iam create-user --user-name bench >/dev/null
for n in 1 2 3 4; do
    cli iam create-policy --policy-name other-$n --query Policy.Arn --policy-document "{
      \"Version\": \"2012-10-17\", \"Statement\": [
        {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"], \"Resource\": \"arn:aws:s3:::team-$n/*\"},
        {\"Effect\": \"Deny\", \"Action\": \"s3:DeleteBucket\", \"Resource\": \"arn:aws:s3:::team-$n\"},
        {\"Effect\": \"Allow\", \"Action\": \"iam:GetUser\", \"Resource\": \"arn:aws:iam::$account:user/\${aws:username}\"}]}" >"$work/arn-$n"
    cli iam attach-user-policy --user-name bench --policy-arn "$(cat "$work/arn-$n")"
done
cli iam create-policy --policy-name bench --query Policy.Arn --policy-document '{
  "Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListBucket"], "Resource": "arn:aws:s3:::guarded"},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::guarded/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}}]}' >"$work/arn-5"
cli iam attach-user-policy --user-name bench --policy-arn "$(cat "$work/arn-5")"
read -r user_key user_secret < <(cli iam create-access-key --user-name bench \
    --query 'AccessKey.[AccessKeyId,SecretAccessKey]')

# Twenty statements: others' grants, denies that do not apply, then the user's.
statements=""
for n in $(seq 1 18); do
    statements+="{\"Sid\": \"s$n\", \"Effect\": \"$([ $((n % 3)) = 0 ] && echo Deny || echo Allow)\",
      \"Principal\": {\"AWS\": \"arn:aws:iam::$account:user/other-$n\"},
      \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"arn:aws:s3:::guarded/prefix-$n/*\",
      \"Condition\": {\"StringLike\": {\"aws:UserAgent\": \"*tool-$n*\"}}},"
done
statements+="{\"Sid\": \"tls\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\",
  \"Resource\": \"arn:aws:s3:::guarded/*\", \"Condition\": {\"StringEquals\": {\"aws:SourceIp\": \"192.0.2.1\"}}},
  {\"Sid\": \"bench\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::$account:user/bench\"},
  \"Action\": [\"s3:GetObject\", \"s3:PutObject\"], \"Resource\": \"arn:aws:s3:::guarded/*\"}"
cli s3api put-bucket-policy --bucket guarded --policy "{\"Version\": \"2012-10-17\", \"Statement\": [$statements]}"

run() { # KEY SECRET BUCKET WORKLOAD
    AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 "$bench" "$4" --endpoint "$endpoint" \
        --bucket "$3" --size 4KiB --concurrency 16 --duration 10s --keys 2000 --existing 2000 \
        --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops_per_sec"])'
}
# Root and user alternate, three rounds each, so drift of the machine touches both.
results=()
for round in 1 2 3; do
    for workload in put get; do
        results+=("$workload root $(run "$HORREO_ROOT_ACCESS_KEY" "$HORREO_ROOT_SECRET_KEY" plain $workload)")
        results+=("$workload user $(run "$user_key" "$user_secret" guarded $workload)")
    done
done
printf '%s\n' "${results[@]}" | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    workload, who, ops = line.split()
    runs.setdefault((workload, who), []).append(float(ops))
for workload in ("put", "get"):
    root = statistics.median(runs[(workload, "root")])
    user = statistics.median(runs[(workload, "user")])
    print(f"4 KiB {workload.upper()} ops/s (median of 3): root, no policy {root:.0f}; "
          f"user, 5 policies + 20-statement bucket policy {user:.0f}; ratio {user / root:.2f}")
'
