#!/usr/bin/env bash
# Run every test of horreo: formatting and lints, the Rust unit and end-to-end tests
# (aws-sdk-s3), each fuzz target for a bounded time (fuzz/ci.sh: nightly toolchain and
# cargo-fuzz installed if missing, its own target directory), then the real-client suite
# in tests/clients (boto3, AWS CLI, rclone) against the built binary, and a part of it
# once more through three gateways on Ceph RADOS behind haproxy.
#
#   bash tests/run-all.sh              # everything
#   bash tests/run-all.sh -k rclone    # extra arguments go to pytest
#
# Works on a fresh Debian 12 machine that has the Rust toolchain, gcc and python3 with
# pip: missing Debian packages are installed with apt-get (through sudo unless root), the
# Python clients go into a virtualenv at ${HORREO_VENV:-$HOME/.cache/horreo-venv}, and cargo
# builds into ${CARGO_TARGET_DIR:-$HOME/.cache/horreo-target}. Exits non-zero if any step
# fails; lints and the build stop the run at once, the two test suites both run.
set -euo pipefail

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/horreo-target}"
VENV="${HORREO_VENV:-$HOME/.cache/horreo-venv}"
PYTHON="${PYTHON:-python3}"
PYTEST_TIMEOUT="${PYTEST_TIMEOUT:-300}"
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive

RUN_STARTED=$SECONDS
section() {
    printf '\n==== %s ==== (%ds elapsed)\n' "$*" "$((SECONDS - RUN_STARTED))"
}
die() {
    printf '\nrun-all.sh: %s\n' "$*" >&2
    exit 1
}

# --------------------------------------------------------------------------------------
section "System packages"
# libclang-dev + clang: bindgen for the RocksDB bindings; rclone: a client under test;
# openssl: the tests' self-signed certificates for HTTPS; curl: handy for poking a
# running server; systemd: `systemd-analyze verify` of deploy/horreo.service;
# chromium: the real browser of tests/browser (the console, CORS, POST uploads, websites);
# redis-server (with redis-cli), mosquitto and nats-server: the brokers the notification
# tests deliver events to (the tests start and stop them on loopback ports);
# rabbitmq-server: the AMQP 0-9-1 broker of tests/tests/notification_amqp.rs (each test
# starts its own node, with its own epmd, on free loopback ports, and kills both);
# librados-dev: the `rados` feature's bindings (horreo-rados) link librados;
# ceph-mon ceph-mgr ceph-osd ceph-common: the throwaway cluster of tests/ceph/cluster.sh
# that the RADOS backend's tests boot (loopback ports, daemons stopped by PID);
# haproxy: the load balancer of tests/ceph/balancer.sh, round-robin over three gateways.
APT_PACKAGES=(libclang-dev clang rclone openssl curl systemd chromium redis-server mosquitto nats-server rabbitmq-server
    librados-dev ceph-mon ceph-mgr ceph-osd ceph-common haproxy)
# Node.js and npm for tests/browser (playwright-core), unless a Node is there.
if ! command -v node >/dev/null; then
    APT_PACKAGES+=(nodejs npm)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$pkg")
    fi
done
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=(python3-venv) # Debian splits venv/ensurepip out of python3
fi
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
    SUDO=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null || die "missing packages (${missing[*]}): run as root or install sudo"
        # No terminal (CI): fail instead of waiting for a password nobody can type.
        if [[ -t 0 ]]; then SUDO=(sudo); else SUDO=(sudo -n); fi
    fi
    echo "installing: ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "all present: ${APT_PACKAGES[*]}"
fi

# --------------------------------------------------------------------------------------
section "Python clients (virtualenv $VENV)"
if [[ -e "$VENV" ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    # A venv whose interpreter is gone (Python upgraded or removed): rebuild it, but only
    # if it is one (never delete an arbitrary directory someone pointed HORREO_VENV at).
    [[ -f "$VENV/pyvenv.cfg" ]] || die "$VENV exists but is not a Python virtualenv"
    echo "recreating broken virtualenv"
    rm -rf "$VENV"
fi
if [[ ! -e "$VENV" ]]; then
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q -r tests/clients/requirements.txt
"$VENV/bin/python" -m pip list 2>/dev/null | grep -iE '^(boto3|botocore|awscli|pytest) ' || true
export PATH="$VENV/bin:$PATH"
# Captured first: piping into `head` would SIGPIPE rclone and fail under pipefail.
rclone_version="$(rclone version 2>/dev/null)" || die "rclone is not runnable"
echo "${rclone_version%%$'\n'*}"

# --------------------------------------------------------------------------------------
section "Browser tests' packages (tests/browser: playwright-core drives /usr/bin/chromium)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "tests/browser needs Node.js 20 or later (found $(node --version))"
echo "node $(node --version), npm $(npm --version), $(chromium --version 2>/dev/null || echo 'no chromium')"
# playwright-core downloads no browser of its own.
(cd tests/browser && npm ci --no-audit --no-fund)

section "tsc -p server/console (the console's JavaScript, type-checked; nothing is emitted)"
tests/browser/node_modules/.bin/tsc -p server/console

# --------------------------------------------------------------------------------------
section "Rust toolchain"
command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup)"
cargo --version
cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
echo "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# Every cargo step names the whole workspace with all targets: the same feature set
# each time, so RocksDB's C++ (many minutes on 2 cores) is compiled once, not per step.
section "cargo build --workspace --all-targets"
cargo build --workspace --all-targets
# Both test suites drive this one binary (the Rust harness honours HORREO_BIN too). The dev
# profile builds dependencies (hashing, RocksDB) optimised, so it moves data quickly.
export HORREO_BIN="$CARGO_TARGET_DIR/debug/horreo"
[[ -x "$HORREO_BIN" ]] || die "the build did not produce $HORREO_BIN"

# --------------------------------------------------------------------------------------
failed=()
# tests/tests/stalled.rs holds 4,000 connections open against one server: raise the
# open-file limit (root may raise the hard limit too), or at least to the hard limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open-file limit: $(ulimit -n)"

section "cargo test --workspace --no-fail-fast"
if ! cargo test --workspace --no-fail-fast; then
    failed+=("cargo test --workspace --no-fail-fast")
fi

section "Fuzz targets (fuzz/ci.sh: each parser's target for ${FUZZ_SECONDS:-15} s)"
if ! bash fuzz/ci.sh; then
    failed+=("fuzz/ci.sh")
fi

section "pytest tests/clients (boto3, aws-cli, rclone against $HORREO_BIN)"
if ! "$VENV/bin/python" -m pytest tests/clients -q --timeout="$PYTEST_TIMEOUT" "$@"; then
    failed+=("pytest tests/clients")
fi

# The same clients through three gateways on one throwaway RADOS cluster behind haproxy
# (HORREO_TOPOLOGY=rados3 in conftest.py): the files whose tests need no restart, data
# directory or single process.
RADOS3_FILES=(test_balancer.py test_boto3_objects.py test_boto3_multipart.py test_boto3_multipart_api.py
    test_boto3_versioning.py test_boto3_object_lock.py test_boto3_encryption.py test_boto3_signing.py
    test_conditional_delete.py test_awscli.py test_awscli_multipart.py test_rclone.py test_multipart_transfers.py)
section "pytest tests/clients through three RADOS gateways behind haproxy"
if ! HORREO_TOPOLOGY=rados3 "$VENV/bin/python" -m pytest "${RADOS3_FILES[@]/#/tests/clients/}" -q \
    --timeout="$PYTEST_TIMEOUT" "$@"; then
    failed+=("pytest tests/clients (HORREO_TOPOLOGY=rados3)")
fi

# The aws-sdk-s3 suites through three gateways on RADOS behind haproxy (HORREO_TOPOLOGY=rados3
# in tests/src/lib.rs; one throwaway cluster per test file): the files all of whose tests
# need no data directory, single process (a restart restarts every gateway) or hours of PUTs. Same profile and
# features as the cargo test step above, so nothing is rebuilt; 4 test threads, as each
# test runs three gateways and haproxy.
RADOS3_TESTS=(objects buckets consistency auth vhost acl web versioning object_lock)
rados3_targets=()
for name in "${RADOS3_TESTS[@]}"; do rados3_targets+=(--test "$name"); done
section "cargo test: aws-sdk-s3 suites through three RADOS gateways behind haproxy"
if ! HORREO_TOPOLOGY=rados3 cargo test --workspace --no-fail-fast "${rados3_targets[@]}" -- --test-threads=4; then
    failed+=("cargo test (HORREO_TOPOLOGY=rados3: ${RADOS3_TESTS[*]})")
fi

section "Summary"
if ((${#failed[@]})); then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "all steps passed"
