#!/usr/bin/env bash
# haproxy in front of several horreo gateways, for tests: round-robin per request
# (consecutive requests of one client connection go to different gateways), on a
# loopback port, started in the background and stopped by PID.
#
#   tests/ceph/balancer.sh start DIR PORT BACKEND... [--owner PID]
#   tests/ceph/balancer.sh stop DIR
#
# BACKEND is HOST:PORT of a gateway. `start` makes DIR (which must not exist) and
# leaves there haproxy.cfg, haproxy.pid and haproxy.log; it returns once PORT
# accepts connections. A gateway that refuses connections (killed, restarting) is
# taken out of the rotation by haproxy's health check within about a second, and a
# request whose connection to it failed is sent to another one (nothing was sent, so
# the retry is safe for any method). With --owner, a watcher stops haproxy as soon
# as process PID is gone. Needs haproxy (Debian package) and bash's /dev/tcp.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR PORT BACKEND... [--owner PID] | stop DIR" >&2
    exit 2
}

stop_balancer() {
    local dir=$1 pid
    [[ -d "$dir" ]] || return 0
    if [[ -f "$dir/haproxy.pid" ]]; then
        pid=$(<"$dir/haproxy.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

start_balancer() {
    local dir=$1 port=$2 owner=$3
    shift 3
    (($#)) || usage
    [[ ! -e "$dir" ]] || { echo "$dir already exists" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    trap 'stop_balancer "$dir"' ERR INT TERM

    # `http-reuse never` and no `prefer-last-server`: every request of a kept-alive
    # client connection is balanced on its own. Long timeouts: debug builds move
    # 64 MiB bodies slowly. Any URI a client sends is passed on as it is, as the
    # gateway (not haproxy) decides what is a valid S3 request.
    {
        cat <<CFG
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 300s
    timeout http-request 300s
    http-reuse never
    option accept-invalid-http-request
    option redispatch
    retries 3

frontend s3
    bind 127.0.0.1:$port
    default_backend gateways

backend gateways
    balance roundrobin
CFG
        local n=0 backend
        for backend in "$@"; do
            echo "    server g$n $backend check inter 500ms fall 1 rise 1"
            n=$((n + 1))
        done
    } >"$dir/haproxy.cfg"

    haproxy -c -q -f "$dir/haproxy.cfg"
    haproxy -db -f "$dir/haproxy.cfg" </dev/null >>"$dir/haproxy.log" 2>&1 &
    echo $! >"$dir/haproxy.pid"

    local waited=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ((waited >= 100)); then
            echo "haproxy does not listen on 127.0.0.1:$port after 10 s:" >&2
            cat "$dir/haproxy.log" >&2
            false
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    trap - ERR INT TERM

    if [[ -n "$owner" ]]; then
        setsid nohup bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d "$2" ]]; do sleep 1; done; exec "$0" stop "$2"' \
            "$0" "$owner" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    echo "haproxy up: http://127.0.0.1:$port -> $*"
}

case "${1:-}" in
start)
    [[ $# -ge 4 ]] || usage
    dir=$2 port=$3 owner=
    shift 3
    backends=()
    while (($#)); do
        if [[ "$1" == --owner ]]; then
            owner=${2:?--owner needs a PID}
            shift 2
        else
            backends+=("$1")
            shift
        fi
    done
    start_balancer "$dir" "$port" "$owner" "${backends[@]}"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    stop_balancer "$2"
    ;;
*) usage ;;
esac
