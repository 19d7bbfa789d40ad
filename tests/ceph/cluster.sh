#!/usr/bin/env bash
# A throwaway single-host Ceph cluster for tests: one mon, one mgr and one OSD
# (bluestore over a sparse block file), cephx on, every daemon in the foreground
# of this script's children and stopped by PID (no systemd), on free loopback
# ports (never the default 3300/6789, so two clusters coexist).
#
#   tests/ceph/cluster.sh start DIR [--owner PID]   # boots, waits for HEALTH_OK
#   tests/ceph/cluster.sh stop DIR                  # stops the daemons, removes DIR
#   tests/ceph/cluster.sh restart-osd DIR           # kill -9 the OSD, start it again
#
# `start` makes DIR (which must not exist), and leaves there:
#   DIR/ceph.conf                    the conf file clients read (mon addresses, keyrings)
#   DIR/keys/client.horreo.keyring   user `horreo`: read the mon, read/write pool `horreo`
#   DIR/keys/client.admin.keyring    the cluster's admin
# and a pool `horreo` (size 1). With --owner, a watcher stops the cluster as soon
# as process PID is gone, so a test process that dies never leaves daemons behind.
# A start that fails stops what it started. Needs ceph-mon ceph-mgr ceph-osd
# ceph-common (Debian) and python3 (to find free ports).
set -euo pipefail

POOL=horreo
BLOCK_SIZE=$((32 << 30)) # sparse: only what is written takes disk space
HEALTH_TIMEOUT=${CEPH_HEALTH_TIMEOUT:-90}

usage() {
    echo "usage: $0 start DIR [--owner PID] | stop DIR | restart-osd DIR" >&2
    exit 2
}

# Two free loopback TCP ports (the kernel's pick; the mon binds them moments later).
free_ports() {
    python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Whether process PID is still running (a zombie whose parent has not reaped it is not).
running() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ "$state" != Z* ]]
}

stop_cluster() {
    local dir=$1
    [[ -d "$dir" ]] || return 0
    if [[ -f "$dir/pids" ]]; then
        # SIGKILL at once: the cluster is thrown away with DIR, and a graceful stop
        # (SIGTERM) takes each daemon 2-3 s to flush what nobody will read again.
        local pids
        pids=$(tac "$dir/pids")
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
        for _ in $(seq 1 100); do
            local alive=0
            for pid in $pids; do running "$pid" && alive=1; done
            ((alive)) || break
            sleep 0.05
        done
    fi
    rm -rf "$dir"
}

start_cluster() {
    local dir=$1 owner=${2:-}
    [[ ! -e "$dir" ]] || { echo "$dir already exists" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    trap 'stop_cluster "$dir"' ERR INT TERM
    mkdir -p "$dir"/{keys,run,log,mon/a,mgr/x,osd/0}
    : >"$dir/pids"

    local fsid v2 v1
    fsid=$(cat /proc/sys/kernel/random/uuid)
    read -r v2 v1 < <(free_ports)
    local mon_addr="[v2:127.0.0.1:$v2,v1:127.0.0.1:$v1]"

    cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = $mon_addr
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
keyring = $dir/keys/\$name.keyring
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
mon_cluster_log_file = $dir/log/cluster.log
mon_data = $dir/mon/\$id
mgr_data = $dir/mgr/\$id
osd_data = $dir/osd/\$id
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
# The host's disk is shared: do not call the cluster unhealthy for it.
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = $BLOCK_SIZE
bluestore_block_preallocate_file = false
osd_memory_target = 939524096
mgr_initial_modules =
CONF
    export CEPH_CONF="$dir/ceph.conf"

    local keys=$dir/keys
    ceph-authtool --create-keyring "$keys/mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring "$keys/client.admin.keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
    ceph-authtool "$keys/mon.a.keyring" --import-keyring "$keys/client.admin.keyring" >/dev/null
    monmaptool --create --addv a "$mon_addr" --fsid "$fsid" "$dir/monmap" >/dev/null
    ceph-mon --mkfs -i a --monmap "$dir/monmap" --keyring "$keys/mon.a.keyring"
    ceph-mon -f -i a </dev/null >>"$dir/log/mon.a.out" 2>&1 &
    echo $! >>"$dir/pids"

    ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
        -o "$keys/mgr.x.keyring"
    ceph-mgr -f -i x </dev/null >>"$dir/log/mgr.x.out" 2>&1 &
    echo $! >>"$dir/pids"

    local osd_uuid osd_secret osd_id
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_secret=$(ceph-authtool --gen-print-key)
    osd_id=$(echo "{\"cephx_secret\": \"$osd_secret\"}" | ceph osd new "$osd_uuid" -i -)
    [[ "$osd_id" == 0 ]] || { echo "unexpected osd id $osd_id" >&2; false; }
    ceph-authtool --create-keyring "$keys/osd.0.keyring" --name osd.0 --add-key "$osd_secret" >/dev/null
    ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
    ceph-osd -f -i 0 </dev/null >>"$dir/log/osd.0.out" 2>&1 &
    echo $! >>"$dir/pids"

    ceph osd pool create "$POOL" 8 8 >/dev/null 2>&1
    ceph osd pool application enable "$POOL" horreo >/dev/null 2>&1
    ceph auth get-or-create client.horreo mon 'allow r' osd "allow rwx pool=$POOL" \
        -o "$keys/client.horreo.keyring"

    local waited=0 health=
    until health=$(ceph health 2>&1) && [[ "$health" == HEALTH_OK* ]]; do
        if ((waited >= HEALTH_TIMEOUT * 10)); then
            echo "cluster not healthy after ${HEALTH_TIMEOUT}s: $health" >&2
            ceph -s >&2 || true
            false
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    # HEALTH_OK can come before the pool's placement groups are active: a write as the
    # tests' user blocks until they are (and proves its key and caps).
    echo probe >"$dir/probe"
    timeout "$HEALTH_TIMEOUT" rados -n client.horreo -p "$POOL" put probe "$dir/probe"
    rados -n client.horreo -p "$POOL" rm probe
    trap - ERR INT TERM

    if [[ -n "$owner" ]]; then
        # Detached from the caller's pipes, so a caller reading our output sees EOF now.
        setsid nohup bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d "$2" ]]; do sleep 1; done; exec "$0" stop "$2"' \
            "$0" "$owner" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    echo "ceph cluster up: $dir (mon $mon_addr, pool $POOL)"
}

# The OSD crashes (SIGKILL) and starts again on its data; returns once a client
# write goes through it again. Clients' operations meanwhile wait for it.
restart_osd() {
    local dir=$1 old new
    old=$(sed -n 3p "$dir/pids")
    [[ -n "$old" ]] || { echo "no OSD pid in $dir/pids" >&2; exit 1; }
    kill -KILL "$old" 2>/dev/null || true
    for _ in $(seq 1 100); do
        running "$old" || break
        sleep 0.05
    done
    export CEPH_CONF="$dir/ceph.conf"
    ceph-osd -f -i 0 </dev/null >>"$dir/log/osd.0.out" 2>&1 &
    new=$!
    sed -i "3s/.*/$new/" "$dir/pids"
    echo probe >"$dir/probe"
    timeout "$HEALTH_TIMEOUT" rados -n client.horreo -p "$POOL" put probe "$dir/probe"
    rados -n client.horreo -p "$POOL" rm probe
    echo "osd.0 restarted: pid $old -> $new"
}

case "${1:-}" in
restart-osd)
    [[ $# -eq 2 ]] || usage
    restart_osd "$2"
    ;;
start)
    [[ $# -ge 2 ]] || usage
    owner=
    if [[ "${3:-}" == --owner ]]; then owner=${4:?--owner needs a PID}; fi
    start_cluster "$2" "$owner"
    ;;
stop)
    [[ $# -eq 2 ]] || usage
    stop_cluster "$2"
    ;;
*) usage ;;
esac
