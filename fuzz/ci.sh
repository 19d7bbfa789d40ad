#!/usr/bin/env bash
# CI's bounded fuzz step: builds every target of fuzz/ once, then runs each for
# FUZZ_SECONDS (default 15) from its committed corpus, one at a time. Fails on the
# first crash, leak, timeout or out-of-memory, with the input that caused it kept
# under $FUZZ_ARTIFACTS (default: a temporary directory, printed).
#
#   bash fuzz/ci.sh                     # every target, 15 s each
#   FUZZ_SECONDS=300 bash fuzz/ci.sh aws_chunked
#
# Needs rustup (installs the nightly toolchain if missing) and installs cargo-fuzz
# if missing. Builds into ${HORREO_FUZZ_TARGET_DIR:-$HOME/.cache/horreo-fuzz-target},
# apart from the main build: the sanitizer flags would rebuild everything there.
# The fuzz crate does not link RocksDB (see fuzz/Cargo.toml).
set -euo pipefail

: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-15}"
# CI runs without AddressSanitizer: horreo's own code has no `unsafe`, so what
# ASan adds is the C of aws-lc, which no target feeds; the build is shorter and
# the runs faster. The long runs (benches/README.md) used ASan:
#   FUZZ_SANITIZER=address FUZZ_SECONDS=3600 bash fuzz/ci.sh aws_chunked
SANITIZER="${FUZZ_SANITIZER:-none}"
export CARGO_TARGET_DIR="${HORREO_FUZZ_TARGET_DIR:-$HOME/.cache/horreo-fuzz-target}"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

started=$SECONDS
# More codegen units: a much shorter cold build for slightly slower runs.
cargo +nightly fuzz build --sanitizer "$SANITIZER" --codegen-units 16
echo "fuzz build: $((SECONDS - started)) s"

work="$(mktemp -d)"
artifacts="${FUZZ_ARTIFACTS:-$work/artifacts}"
trap 'rm -rf "$work/corpus"' EXIT
failed=()
for target in "${targets[@]}"; do
    # New inputs go to a scratch corpus: the committed one stays as it is.
    mkdir -p "$work/corpus/$target" "$artifacts/$target"
    started=$SECONDS
    if cargo +nightly fuzz run --sanitizer "$SANITIZER" --codegen-units 16 "$target" \
        "$work/corpus/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$target/" \
        >"$work/$target.log" 2>&1; then
        runs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -oE '[0-9]+$' || echo '?')"
        echo "$target: ok, $runs executions in $((SECONDS - started)) s"
    else
        echo "$target: FAILED; the input is under $artifacts/$target/; the end of its log:"
        tail -n 40 "$work/$target.log"
        failed+=("$target")
    fi
done
if ((${#failed[@]})); then
    echo "fuzz targets that failed: ${failed[*]}"
    exit 1
fi
