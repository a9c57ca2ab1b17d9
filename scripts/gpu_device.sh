#!/usr/bin/env bash
# The GPU checks, run on the lent GPU machine from the bundle scripts/gpu_build.sh made here.
# Needs no cargo and no network there: the carried, compressed binaries, the committed fixtures
# and base models of the working tree, and bash, coreutils and xz (or python3) on the machine.
#
# The device call (from this machine):
#   run(command = "bash scripts/gpu_device.sh", carry = ["gpu_bundle"], timeout_s = 570)
# It ends within 8 minutes whatever happens: every step has its own time limit (the sum is
# 465 s with or without the benchmark; unpacking aside), and a step that fails or runs
# over is recorded, not fatal. Results, all under $OUT:
#   adapters.jsonl     (a) the adapters wgpu sees; the script stops if only software ones
#   parity_*.json      (b) logits, greedy tokens and log-probs against the CPU, three models
#   speed_*.json       (c) forward tokens/s at fixed shapes (repro model speed), and
#                          speed_train_*.json the train step's (repro model speed --train)
#   generate_*.txt     (c) generation tokens/s, batch 64 × 64 tokens with the KV cache
#   criterion/         (c) when the bundle has the model benchmark (WITH_BENCH=1): forward,
#                          generation at batch 1/16/64, train step; tiny-1m…16m, Qwen2.5-0.5B
#   quick_gpu/, quick_cpu/, quick_diff.txt
#                      (d) every method of the quick profile on the GPU and on the CPU, and
#                          `repro diff --ignore-param device --tolerance 1e-3` between them
#   steps.jsonl        (e) each step: name, exit status, seconds
# scripts/gpu_figures.py turns the folder into the README's table (FLOP/s against the H200's
# ≈ 790 TFLOP/s dense bf16 and the f32 matmul measured in the same run).
#
# ALLOW_SOFTWARE=1 accepts a software Vulkan driver, USE_CARRIED_VULKAN=1 uses the carried
# loader even where the machine has one (scripts/gpu_lavapipe.sh sets both).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that receives the results}
mkdir -p "$OUT"
bundle=gpu_bundle
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
began=$(date +%s)

unpack() { # $1 = name in the bundle
  xz -dc "$bundle/$1.xz" > "$work/$1" 2>/dev/null ||
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      "$bundle/$1.xz" "$work/$1"
  chmod +x "$work/$1"
}
unpack repro
if [ -f "$bundle/model_bench.xz" ]; then unpack model_bench; fi
repro=$work/repro

# The Vulkan loader, from the carried .deb when the machine has none (or USE_CARRIED_VULKAN=1).
if [ "${USE_CARRIED_VULKAN:-0}" = 1 ] ||
  ! { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  dpkg-deb -x "$bundle"/libvulkan1_*.deb "$work/vulkan" 2>/dev/null ||
    (cd "$work" && ar x "$OLDPWD/$bundle"/libvulkan1_*.deb && mkdir vulkan && tar -xf data.tar.* -C vulkan)
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# The NVIDIA driver's Vulkan ICD, unless the caller chose one.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
    /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
  done
fi
echo "{\"VK_DRIVER_FILES\": \"${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}\", \"LD_LIBRARY_PATH\": \"${LD_LIBRARY_PATH:-}\", \"host\": \"$(uname -srm)\", \"cpus\": $(nproc)}" > "$OUT/machine.json"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/nvidia_smi.csv" 2>/dev/null || true

# step NAME SECONDS COMMAND...: stdout to $OUT/NAME.json (adapters, parity, speed) or .txt,
# stderr to $OUT/NAME.err; one line in steps.jsonl.
step() {
  local name=$1 limit=$2 ext=txt
  shift 2
  case $name in adapters | parity_* | speed_*) ext=json ;; esac
  local t0 rc ms
  t0=$(date +%s%N)
  timeout --kill-after=5 "$limit" "$@" > "$OUT/$name.$ext" 2> "$OUT/$name.err"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "{\"step\": \"$name\", \"rc\": $rc, \"ms\": $ms, \"limit_s\": $limit}" >> "$OUT/steps.jsonl"
  echo "$name: rc $rc, $ms ms (limit $limit s)"
  return $rc
}

# (a) The adapter, and no pretending: a software driver is not a GPU.
step adapters 30 "$repro" model devices
mv "$OUT/adapters.json" "$OUT/adapters.jsonl"
cat "$OUT/adapters.jsonl"
if ! grep -q '"software":false' "$OUT/adapters.jsonl" && [ "${ALLOW_SOFTWARE:-0}" != 1 ]; then
  echo "no hardware adapter: stopping (ALLOW_SOFTWARE=1 checks the code path anyway)" >&2
  exit 1
fi
software=()
if [ "${ALLOW_SOFTWARE:-0}" = 1 ]; then software=(--allow-software); fi

# (b) Parity with the CPU, whose agreement with transformers the committed fixtures pin.
step parity_qwen2 30 "$repro" model parity --device wgpu "${software[@]}" --model tests/fixtures/parity/qwen2
step parity_llama 30 "$repro" model parity --device wgpu "${software[@]}" --model tests/fixtures/parity/llama
step parity_tiny_500k 30 "$repro" model parity --device wgpu "${software[@]}" \
  --model results/base_models/tiny-500k-2b48b23a

# (c) Speed: forward at fixed shapes, then the benchmark (random weights, fixed tokens).
step init_tiny-16m 10 "$repro" model init --preset tiny-16m \
  --tokenizer tests/fixtures/parity/qwen2/tokenizer.json -o "$work/tiny-16m"
step init_qwen2.5-0.5b 45 "$repro" model init --preset qwen2.5-0.5b \
  --tokenizer tests/fixtures/parity/qwen2/tokenizer.json -o "$work/qwen2.5-0.5b"
step speed_tiny-16m 30 "$repro" model speed --device wgpu --model "$work/tiny-16m" --batch 64 --len 256
step speed_qwen2.5-0.5b 40 "$repro" model speed --device wgpu --model "$work/qwen2.5-0.5b" --batch 8 --len 512
# Generation at batch 64 with the KV cache (random weights, T = 1: rows rarely stop early).
step generate_tiny-16m 30 "$repro" generate --device wgpu --model "$work/tiny-16m" --prompt "3 7 25" \
  --n 64 --temperature 1 --max-new-tokens 64
step generate_qwen2.5-0.5b 40 "$repro" generate --device wgpu --model "$work/qwen2.5-0.5b" \
  --prompt "3 7 25" --n 64 --temperature 1 --max-new-tokens 64
# The train step (forward with autodiff, loss, backward, AdamW) at fixed shapes; the benchmark,
# when bundled, measures it instead (the limits would otherwise pass 8 minutes).
if [ -x "$work/model_bench" ]; then
  REPRO_DEVICE=wgpu CRITERION_HOME="$OUT/criterion" step bench 60 "$work/model_bench" --bench \
    --warm-up-time 1 --measurement-time 3
else
  step speed_train_tiny-16m 25 "$repro" model speed --train --device wgpu --model "$work/tiny-16m" \
    --batch 8 --len 256 --repeat 5
  step speed_train_qwen2.5-0.5b 35 "$repro" model speed --train --device wgpu \
    --model "$work/qwen2.5-0.5b" --batch 4 --len 512 --repeat 3
fi

# (d) A few RL steps of every method (the quick profile: a tiny base model pretrained for 80
# steps, then Base, SFT, RFT, SFT→RFT, R³ and UFT), on the CPU and then on the GPU from the same
# base model (pretrained on the CPU: the comparison is of the fine-tuning), compared.
step quick_cpu 30 "$repro" run experiments/table1.toml --profile quick --results "$work/cpu" --quiet
mkdir -p "$work/gpu" && cp -r "$work/cpu/base_models" "$work/gpu/"
step quick_gpu 50 "$repro" run experiments/table1.toml --profile quick --set device=wgpu \
  --results "$work/gpu" --quiet
rm -rf "$work/qwen2.5-0.5b"
step quick_diff 10 "$repro" diff "$work/gpu/table1-quick" "$work/cpu/table1-quick" \
  --ignore-param device --tolerance 1e-3
for side in gpu cpu; do
  mkdir -p "$OUT/quick_$side"
  find "$work/$side" -name '*.parquet' -path '*table1-quick*' | while read -r file; do
    relative=${file#"$work/$side/"}
    mkdir -p "$OUT/quick_$side/$(dirname "$relative")"
    cp "$file" "$OUT/quick_$side/$relative"
  done
done
echo "{\"seconds\": $(($(date +%s) - began))}" > "$OUT/total.json"
echo "done in $(($(date +%s) - began)) s; results in $OUT"
