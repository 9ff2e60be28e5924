#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, for trying `cargo xtask regenerate --slurm` and for its tests: Debian's
# slurmctld, slurmd and munge, started as the current user from one folder (configuration, munge key and socket,
# state, logs, PID files), with no systemd and no cgroups.
#
#   scripts/slurm/cluster.sh start [DIR]   # prints the SLURM_CONF line to export for sbatch, squeue, ...
#   scripts/slurm/cluster.sh stop [DIR]    # stops only the daemons this script started in DIR
#   scripts/slurm/cluster.sh status [DIR]
#
# DIR defaults to $NB102_SLURM_DIR, else target/slurm. Ports are free ones found at start. Starting a running
# cluster is a no-op. The packages are installed when missing and this user can (root with apt-get).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cmd="${1:-}"
DIR="${2:-${NB102_SLURM_DIR:-$ROOT/target/slurm}}"
say() { printf 'slurm: %s\n' "$*" >&2; }
usage() { say "usage: $0 start|stop|status [DIR]"; exit 2; }
[[ -n "$cmd" ]] || usage
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/slurm.conf"
DAEMONS=(munged slurmctld slurmd)

pid_of() { cat "$DIR/run/$1.pid" 2>/dev/null || true; }
alive() { local p; p="$(pid_of "$1")"; [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; }

install_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
        command -v munged >/dev/null && return
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        say "installing slurmctld slurmd slurm-client munge"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
    else
        say "expected slurmctld, slurmd, sbatch and munged on PATH, found them missing (install Debian's" \
            "slurmctld slurmd slurm-client munge)"
        exit 1
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
    local user node cpus ctld_port slurmd_port
    user="$(id -un)"
    node="$(hostname -s)"
    cpus="$(nproc)"
    ctld_port="$(free_port)"
    slurmd_port="$(free_port)"
    mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
    chmod 700 "$DIR/munge"
    cat >"$CONF.tmp" <<CONF
# Written by scripts/slurm/cluster.sh: one node on loopback, run as $user.
ClusterName=nb102
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket.2
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MinJobAge=600
MaxArraySize=10001
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    mv "$CONF.tmp" "$CONF"
    if [[ ! -f "$DIR/munge/munge.key" ]]; then
        head -c 1024 /dev/urandom >"$DIR/munge/munge.key.tmp"
        chmod 400 "$DIR/munge/munge.key.tmp"
        mv "$DIR/munge/munge.key.tmp" "$DIR/munge/munge.key"
    fi
}

start() {
    install_packages
    if alive munged && alive slurmctld && alive slurmd; then
        say "running in $DIR"
    else
        stop_daemons
        write_config
        munged --force --socket="$DIR/munge/munge.socket.2" --key-file="$DIR/munge/munge.key" \
            --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed"
        SLURM_CONF="$CONF" slurmctld -f "$CONF" -i
        SLURM_CONF="$CONF" slurmd -f "$CONF" -N "$(hostname -s)"
        # Up when the node takes jobs.
        for _ in $(seq 100); do
            if SLURM_CONF="$CONF" sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
                break
            fi
            sleep 0.1
        done
        SLURM_CONF="$CONF" sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' ||
            { say "expected the node idle within 10 s, found '$(SLURM_CONF="$CONF" sinfo -h -o %t)'; logs in $DIR/log"; exit 1; }
        say "started in $DIR"
    fi
    echo "export SLURM_CONF=$CONF"
}

stop_daemons() {
    local name p
    for name in slurmd slurmctld munged; do
        p="$(pid_of "$name")"
        if [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; then
            kill "$p"
            for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
            kill -0 "$p" 2>/dev/null && kill -9 "$p"
        fi
        rm -f "$DIR/run/$name.pid"
    done
}

case "$cmd" in
    start) start ;;
    stop) stop_daemons; say "stopped in $DIR" ;;
    status)
        for name in "${DAEMONS[@]}"; do
            if alive "$name"; then echo "$name running (pid $(pid_of "$name"))"; else echo "$name stopped"; fi
        done ;;
    *) usage ;;
esac
