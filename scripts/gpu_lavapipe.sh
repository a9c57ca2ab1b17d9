#!/usr/bin/env bash
# The GPU code path on this CPU: scripts/gpu_device.sh run as the device call would run it —
# on a copy of what the call carries (the files git tracks or does not ignore, plus gpu_bundle/),
# with no cargo on PATH, no network (a fresh network namespace), a bare environment — against
# Mesa's lavapipe, a Vulkan driver that runs on the CPU. Mesa's OpenGL is hidden
# (__EGL_VENDOR_LIBRARY_DIRS names no folder), so wgpu can only take lavapipe's Vulkan. It proves
# the bundle, the script and the wgpu code path, not GPU speed (lavapipe is far slower than the
# CPU backend, so its speed steps run out of time by design). CubeCL's autotune is set to its
# minimal level (fewer kernels for the software driver to compile).
#
#   apt-get install mesa-vulkan-drivers libvulkan1   # once (Debian 12: Mesa 22.3)
#   scripts/gpu_build.sh && scripts/gpu_lavapipe.sh [OUT]
#
# The default bundle (--features wgpu, WGSL kernels) passes here; a GPU_FEATURES=vulkan bundle
# (CubeCL's SPIR-V kernels) crashes lavapipe (Mesa 22.3 and 25.0) creating a fused reduce
# kernel's pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
# Mesa 22 names it lvp_icd.x86_64.json, Mesa 25 lvp_icd.json.
icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json 2>/dev/null | head -n 1)
if [ -z "$icd" ]; then
  echo "no lavapipe ICD in /usr/share/vulkan/icd.d/: apt-get install mesa-vulkan-drivers libvulkan1" >&2
  exit 1
fi
[ -f gpu_bundle/repro.xz ] || { echo "no gpu_bundle/: run scripts/gpu_build.sh first" >&2; exit 1; }
out=$(realpath -m "${1:-gpu_lavapipe_out}")
rm -rf "$out" && mkdir -p "$out"

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files --cached --others --exclude-standard -z |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$copy"
cp -r gpu_bundle "$copy/"
tree_bytes=$(du -sb --exclude=gpu_bundle "$copy" | cut -f1)
bundle_bytes=$(du -sb "$copy/gpu_bundle" | cut -f1)
limit=$((64 * 1024 * 1024))
echo "{\"working_tree_bytes\": $tree_bytes, \"carried_bytes\": $bundle_bytes, \"limit_bytes\": $limit}" |
  tee "$out/carried.json"
if [ $((tree_bytes + bundle_bytes)) -gt "$limit" ]; then
  echo "the working tree and gpu_bundle/ are over the 64 MiB a device call carries" >&2
  exit 1
fi

mkdir -p "$copy/home"
started=$(date +%s)
(cd "$copy" && env -i PATH=/usr/bin:/bin HOME="$copy/home" OUT="$out" ALLOW_SOFTWARE=1 USE_CARRIED_VULKAN=1 CUBECL_AUTOTUNE_LEVEL=minimal \
  __EGL_VENDOR_LIBRARY_DIRS=/nonexistent VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd" unshare --net bash scripts/gpu_device.sh)
echo "device script on lavapipe: $(($(date +%s) - started)) s; results in $out"

# Beyond the device script's time limits (lavapipe is slow; its 30-second parity steps run out):
# the parity check (b) on both transformers fixtures, about 90 s each here, and a 2-step UFT run
# on the quick profile's tiny model, on the CPU and through lavapipe from the same base model,
# compared. PARITY=0 and UFT_2_STEPS=0 skip them.
repro=$copy/repro
xz -dc gpu_bundle/repro.xz > "$repro" && chmod +x "$repro"
lavapipe=(env CUBECL_AUTOTUNE_LEVEL=minimal __EGL_VENDOR_LIBRARY_DIRS=/nonexistent VK_DRIVER_FILES="$icd"
  VK_ICD_FILENAMES="$icd")
if [ "${PARITY:-1}" = 1 ]; then
  for fixture in qwen2 llama; do
    "${lavapipe[@]}" "$repro" model parity --device wgpu --allow-software \
      --model "tests/fixtures/parity/$fixture" > "$out/lavapipe_parity_$fixture.json" ||
      echo "parity on lavapipe failed: $fixture" >&2
    cat "$out/lavapipe_parity_$fixture.json"
  done
fi
[ "${UFT_2_STEPS:-1}" = 1 ] || exit 0
runs=$copy/uft_2_steps
uft=(run experiments/table1.toml --profile quick --steps 2 --shard 5/6 --quiet)
started=$(date +%s)
"$repro" "${uft[@]}" --results "$runs/cpu"
mkdir -p "$runs/gpu" && cp -r "$runs/cpu/base_models" "$runs/gpu/"
"${lavapipe[@]}" "$repro" "${uft[@]}" --set device=wgpu --results "$runs/gpu"
echo "2-step UFT on the CPU and on lavapipe: $(($(date +%s) - started)) s"
"$repro" diff "$runs"/gpu/table1-quick* "$runs"/cpu/table1-quick* --ignore-param device \
  --tolerance 1e-3 > "$out/uft_2_steps_diff.txt" || echo "the two runs differ:" >&2
cat "$out/uft_2_steps_diff.txt"
for side in cpu gpu; do
  find "$runs/$side" -name 'test_samples.parquet' -path '*table1-quick*' -exec cp {} "$out/uft_2_steps_${side}_test_samples.parquet" \;
done
! command -v cargo >/dev/null || env -i PATH=/usr/bin:/bin bash -c '! command -v cargo' ||
  echo "warning: cargo is on /usr/bin:/bin, so the run did not prove it needs none" >&2
