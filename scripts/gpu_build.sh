#!/usr/bin/env bash
# Builds what the GPU machine runs, here (it has no network and may have no cargo): repro and the
# model benchmark with `--features vulkan` (wgpu pinned to Vulkan, CubeCL's SPIR-V compiler), in
# their own target folder so the default build and CI are untouched, compressed into gpu_bundle/
# with the Vulkan loader's .deb for a machine without one. Then scripts/gpu_device.sh runs there:
#
#   scripts/gpu_build.sh                 # ~45 min cold on 2 cores, ~1 min when nothing changed
#   scripts/gpu_lavapipe.sh              # the same bundle end to end on this CPU (lavapipe)
#   device run: command "bash scripts/gpu_device.sh", carry ["gpu_bundle"], timeout_s 540
#
# Nothing here downloads except the .deb (Debian's archive, once); cargo reads crates.io only.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${REPRO_GPU_TARGET:-$HOME/.cache/repro-target-vulkan}
bundle=gpu_bundle
mkdir -p "$bundle"

started=$(date +%s)
cargo build --release --features vulkan --bin repro
bench=$(cargo bench --features vulkan --bench model --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "model":
        print(m["executable"])')
echo "build: $(($(date +%s) - started)) s"

for pair in "repro:$CARGO_TARGET_DIR/release/repro" "model_bench:$bench"; do
  name=${pair%%:*} path=${pair#*:}
  xz -T2 -6 -c "$path" > "$bundle/$name.xz"
  echo "$name: $(stat -c %s "$path") bytes, xz $(stat -c %s "$bundle/$name.xz") bytes," \
    "zstd -19 $(zstd -q -19 -T2 -c "$path" | wc -c) bytes"
done

# The Vulkan loader, for a machine whose ldconfig has no libvulkan.so.1 (scripts/gpu_device.sh
# unpacks it there only then).
if ! ls "$bundle"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$bundle" && apt-get download libvulkan1)
fi
(cd "$bundle" && sha256sum repro.xz model_bench.xz libvulkan1_*.deb > SHA256SUMS)
du -sh "$bundle"
