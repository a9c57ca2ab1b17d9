#!/usr/bin/env bash
# Runs scripts/slurm_sweep.sh on a real, single-node Slurm cluster started here (Debian's
# slurm-wlm and munge: `apt-get install slurm-wlm munge`; needs root to start the daemons), and
# checks the scale-out path end to end:
#
#   1. an array of 4 tasks runs EXPERIMENT's cells into one shared results folder;
#   2. one task is cancelled while it runs (scancel), and the array is submitted again: the
#      re-submitted tasks skip the complete cells and finish the cancelled one;
#   3. `repro diff` finds the Slurm results identical to a local run of the same experiment.
#
#   scripts/slurm_single_node.sh [EXPERIMENT] [extra `repro run` arguments...]
#   (default: experiments/table1.toml --profile quick)
#
# The cluster lives in a temporary folder (SLURM_CONF points at it) and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
experiment=${1:-experiments/table1.toml}
shift || true
extra=("$@")
[ ${#extra[@]} -eq 0 ] && [ "$experiment" = experiments/table1.toml ] && extra=(--profile quick)
repro=${REPRO_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/repro-target}/release/repro}
[ -x "$repro" ] || { echo "no repro binary at $repro: cargo build --release first"; exit 1; }
for tool in slurmctld slurmd sbatch munged; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install slurm-wlm munge"; exit 1; }
done

work=$(mktemp -d /tmp/repro-slurm.XXXXXX)
export SLURM_CONF=$work/slurm.conf
node=$(hostname -s)
cpus=$(nproc)
cat >"$SLURM_CONF" <<EOF
ClusterName=repro-test
SlurmctldHost=$node
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$node CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$work/state" "$work/spool"
cleanup() {
  for pid in "$work"/slurmctld.pid "$work"/slurmd.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  [ "$started_munge" = yes ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
}
started_munge=no
trap cleanup EXIT
# Slurm's auth/munge talks to munged on its default socket (/run/munge/munge.socket.2).
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  [ -f /etc/munge/munge.key ] || mungekey --create
  munged --force
  started_munge=yes
fi
slurmctld -i
slurmd
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qx idle && break; sleep 1; done
echo "cluster up: $(sinfo -h -o '%P %D node(s), %c CPUs, state %T')"

# The sweep script expects the binary at ./target/release/repro unless REPRO_BIN says otherwise.
export REPRO_BIN=$repro
shared=$work/shared
mkdir -p "$shared"
name=$(basename "$experiment" .toml)

submit() {
  sbatch --parsable --array=0-3 --cpus-per-task=1 --output="$work/slurm-%A_%a.out" \
    scripts/slurm_sweep.sh "$experiment" "$shared" "${extra[@]}"
}
wait_for() {
  while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 1; done
}

first=$(submit)
echo "submitted array job $first (4 tasks)"
# Cancel task 1 as soon as it runs.
for _ in $(seq 600); do
  squeue -h -j "${first}_1" -t RUNNING 2>/dev/null | grep -q . && break
  sleep 0.2
done
sleep 2
scancel "${first}_1" && echo "cancelled task ${first}_1 while it ran"
wait_for "$first"
echo "first array finished:"
for f in "$work"/slurm-"$first"_*.out; do echo "  $(basename "$f"): $(tail -n 1 "$f")"; done
folder=$(ls -d "$shared"/"$name"* | head -n 1)
echo "after the first array: $("$repro" verify "$folder" 2>&1 | tail -n 1 || true)"

second=$(submit)
echo "re-submitted the array as job $second"
wait_for "$second"
for f in "$work"/slurm-"$second"_*.out; do echo "  $(basename "$f"): $(tail -n 1 "$f")"; done

local_results=$work/local
"$repro" run "$experiment" "${extra[@]}" --results "$local_results" --quiet
local_folder=$(ls -d "$local_results"/"$name"* | head -n 1)
echo "repro diff (Slurm against a local run):"
"$repro" diff "$folder" "$local_folder"
