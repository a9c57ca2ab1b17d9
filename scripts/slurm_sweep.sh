#!/usr/bin/env bash
# Spread one experiment over a Slurm job array: task i runs the cells whose index ≡ i (mod N),
# all tasks writing into one shared results folder (cells are locked individually, so tasks
# never collide, and a re-submitted array skips what is complete).
#
#   cargo build --release
#   sbatch --array=0-15 scripts/slurm_sweep.sh experiments/sample_complexity.toml /shared/results
#
#SBATCH --job-name=repro-sweep
#SBATCH --cpus-per-task=2
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
experiment=${1:?usage: sbatch --array=0-N-1 scripts/slurm_sweep.sh EXPERIMENT [RESULTS_DIR]}
results=${2:-results}
index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))
count=${SLURM_ARRAY_TASK_COUNT:?run this script as a job array (sbatch --array=...)}
exec ./target/release/repro run "$experiment" --results "$results" --shard "$index/$count" --quiet
