#!/usr/bin/env bash
# The limits of the machine this runs on, for quoting horreo's figures as ratios:
#
#   disk_write_fdatasync  sequential 1 MiB buffered writes of a 1 GiB file, then
#                         fdatasync, the sync counted (what a large PUT does)
#   disk_read_direct      sequential 1 MiB O_DIRECT reads of that file
#   fsync_4k              4 KiB appends, each followed by fsync, one writer
#   loopback_tcp          one TCP stream over 127.0.0.1 (iperf3)
#   md5 / crc32c / aes256gcm_seal_*  single-core throughput with the crates horreo
#                         uses (`horreo-bench limits`)
#
#   benches/limits.sh [DIR]     # DIR: where the disk tests write (default $TMPDIR or /tmp)
#
# Prints `name value unit` lines on stdout (progress on stderr).
# Environment: LIMITS_SECONDS (time per timed test, default 5), LIMITS_REPEAT
# (runs of the write, fsync and loopback tests, the median printed; default 3), LIMITS_FILE_MIB
# (size of the sequential test file, default 1024), HORREO_BENCH (the horreo-bench
# binary; default: ${CARGO_TARGET_DIR:-target}/release/horreo-bench).
# Installs fio and iperf3 with apt-get when missing (sudo -n unless root).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${TMPDIR:-/tmp}}
seconds=${LIMITS_SECONDS:-5}
file_mib=${LIMITS_FILE_MIB:-1024}
repeat=${LIMITS_REPEAT:-3}
bench=${HORREO_BENCH:-${CARGO_TARGET_DIR:-$here/../target}/release/horreo-bench}

need() {
    command -v "$1" >/dev/null && return
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    echo "limits: installing $1" >&2
    $sudo apt-get install -y "$1" >/dev/null 2>&1 ||
        { $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$1" >/dev/null 2>&1; } ||
        { echo "limits: cannot install $1" >&2; exit 1; }
}
need fio
need iperf3
[ -x "$bench" ] || { echo "limits: no horreo-bench at $bench (cargo build --release -p horreo-server -p horreo-bench)" >&2; exit 1; }

work=$(mktemp -d "$dir/horreo-limits.XXXXXX")
cleanup() {
    rm -rf "$work"
}
trap cleanup EXIT

# fio's JSON, reduced to one figure by a Python expression over `job`.
fio_figure() {
    local expr=$1
    shift
    fio --output-format=json "$@" | python3 -c "import json,sys; job=json.load(sys.stdin)['jobs'][0]; print(format($expr, '.1f'))"
}

# The median of the figures printed by REPEAT runs of a command: this VM's disk
# varies several-fold from one minute to the next.
median_of() {
    for _ in $(seq "$repeat"); do
        "$@"
    done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

seq_write() {
    # fio's bandwidth with end_fsync counts the final sync (runtime includes it).
    fio_figure "job['write']['bw_bytes'] / 2**20" --name=seqwrite --filename="$work/seq" \
        --rw=write --bs=1M --size="${file_mib}M" --ioengine=psync --end_fsync=1
}
echo "limits: sequential write + fdatasync (${file_mib} MiB, median of $repeat)" >&2
echo "disk_write_fdatasync $(median_of seq_write) MiB/s"

echo "limits: sequential direct read" >&2
value=$(fio_figure "job['read']['bw_bytes'] / 2**20" --name=seqread --filename="$work/seq" \
    --rw=read --bs=1M --size="${file_mib}M" --ioengine=psync --direct=1)
echo "disk_read_direct $value MiB/s"
rm -f "$work/seq"

fsync_4k() {
    fio_figure "job['write']['iops']" --name=fsync4k --filename="$work/small" \
        --rw=write --bs=4k --size=256M --ioengine=sync --fsync=1 --time_based --runtime="$seconds"
    rm -f "$work/small"
}
echo "limits: 4 KiB write + fsync, one writer (${seconds}s, median of $repeat)" >&2
echo "fsync_4k $(median_of fsync_4k) ops/s"

loopback() {
    local port server ok=""
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    iperf3 -s -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 50); do
        sleep 0.2
        if iperf3 -c 127.0.0.1 -p "$port" -t "$seconds" --connect-timeout 2000 -J \
            >"$work/iperf.json" 2>/dev/null; then
            ok=1
            break
        fi
    done
    # Stopped by its id, never waited for unkilled: a server that saw no test
    # would keep the probe waiting forever.
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    [ -n "$ok" ] || { echo "limits: iperf3 failed" >&2; return 0; }
    python3 -c "import json; j=json.load(open('$work/iperf.json')); print(format(j['end']['sum_received']['bits_per_second'] / 8 / 2**20, '.1f'))"
}
echo "limits: loopback TCP, one stream (${seconds}s, median of $repeat)" >&2
echo "loopback_tcp $(median_of loopback) MiB/s"

echo "limits: single-core MD5, CRC32C, AES-256-GCM" >&2
"$bench" limits --duration "$((seconds > 2 ? 2 : seconds))s"
