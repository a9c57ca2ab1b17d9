#!/usr/bin/env bash
# Spread one experiment over a Slurm job array: task i runs the cells whose index ≡ i (mod N),
# all tasks writing into one shared results folder (cells are locked individually, so tasks
# never collide, and a re-submitted array skips what is complete and resumes what was cut off).
#
#   cargo build --release
#   sbatch --array=0-15 scripts/slurm_sweep.sh experiments/sample_complexity.toml /shared/results
#   sbatch --array=0-3 scripts/slurm_sweep.sh experiments/table1.toml /shared/results --profile quick
#
# Arguments after the results folder go to `repro run`. REPRO_BIN names the binary (default:
# ./target/release/repro, then $CARGO_TARGET_DIR/release/repro). scripts/slurm_single_node.sh
# runs this script on a one-node cluster, cancels a task and checks the result against a local run.
#
#SBATCH --job-name=repro-sweep
#SBATCH --cpus-per-task=2
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
experiment=${1:?usage: sbatch --array=0-N-1 scripts/slurm_sweep.sh EXPERIMENT [RESULTS_DIR] [repro run arguments]}
results=${2:-results}
shift $(($# < 2 ? $# : 2))
index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
count=${SLURM_ARRAY_TASK_COUNT:?run this script as a job array (sbatch --array=...)}
repro=${REPRO_BIN:-./target/release/repro}
[ -x "$repro" ] || repro=${CARGO_TARGET_DIR:-$HOME/.cache/repro-target}/release/repro
exec "$repro" run "$experiment" --results "$results" --shard "$index/$count" --quiet "$@"
