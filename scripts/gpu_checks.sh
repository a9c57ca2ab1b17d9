#!/usr/bin/env bash
# The model stack's checks on a machine with a GPU. Builds repro with the chosen backend, runs
# the transformers parity tests on the GPU, draws completions from a Qwen2.5-0.5B-shaped random
# model, and runs the model benchmarks there. Takes about 10–15 minutes on one modern GPU,
# most of it the first build.
#
#   scripts/gpu_checks.sh            # CUDA (needs the NVIDIA driver and NVRTC at run time, and
#                                    # internet for the first build: CubeCL's CUDA backend
#                                    # downloads an LLVM bundle in its build script)
#   scripts/gpu_checks.sh wgpu       # Vulkan / Metal / DX12 through wgpu
#
# Results are printed; the benchmark log goes to gpu_checks_<backend>.log.
set -euo pipefail

backend=${1:-cuda}
case "$backend" in
  cuda | wgpu) ;;
  *) echo "usage: $0 [cuda|wgpu]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/repro-target-$backend}
export REPRO_DEVICE=$backend
log=gpu_checks_$backend.log
bin=$CARGO_TARGET_DIR/release/repro

echo "== build (--features $backend)"
cargo build --release --features "$backend"

echo "== parity with transformers on $backend (logits, greedy tokens, KV cache)"
cargo test --release --features "$backend" --test integration model_parity

echo "== a Qwen2.5-0.5B-shaped random model: 16 completions of 64 tokens"
work=$(mktemp -d)
"$bin" data generate countdown -n 200 -o "$work/countdown.parquet"
"$bin" tokenizer train --data "$work/countdown.parquet" --vocab 1024 -o "$work/tokenizer.json"
"$bin" model init --preset qwen2.5-0.5b --tokenizer "$work/tokenizer.json" -o "$work/qwen05"
"$bin" generate --device "$backend" --model "$work/qwen05" --prompt "Using the numbers [3, 7, 25]" \
  --n 16 --temperature 1.0 --max-new-tokens 64 | tail -n 1

echo "== benchmarks on $backend (log: $log)"
cargo bench --features "$backend" --bench model 2>&1 | tee "$log" | grep -E "^[a-z0-9./_-]+ +time:|thrpt:"
rm -rf "$work"
