#!/usr/bin/env bash
# Builds what the GPU machine runs, here (it has no network and may have no cargo): repro (and,
# with WITH_BENCH=1, the model benchmark) with `--features wgpu` (CubeCL's WGSL compiler; on
# Linux wgpu takes Vulkan first, so on an NVIDIA machine the kernels run through its Vulkan
# driver), in their own target folder so the default build and CI are untouched, compressed
# into gpu_bundle/ with the Vulkan loader's .deb for a machine without one. Then
# scripts/gpu_device.sh runs there:
#
#   scripts/gpu_build.sh                 # 75 min cold on 2 cores beside other builds (2026-12-07)
#   scripts/gpu_lavapipe.sh              # the same bundle end to end on this CPU (lavapipe)
#   device run: command "bash scripts/gpu_device.sh", carry ["gpu_bundle"], timeout_s 570
#
# Why WGSL and not `--features vulkan` (CubeCL's own SPIR-V compiler, by burn's
# account the faster one on NVIDIA): the
# SPIR-V kernels crash Mesa's lavapipe (SIGSEGV creating the fused reduce kernel's pipeline,
# Mesa 22.3 and 25.0), so that path cannot be checked on a machine without a GPU; the WGSL
# kernels pass `repro model parity` on lavapipe's Vulkan (README, "GPU"). The carried build is
# the one checked here. GPU_FEATURES=vulkan builds the SPIR-V variant instead.
#
# Nothing here downloads except the .deb (Debian's archive, once); cargo reads crates.io only.
set -euo pipefail
cd "$(dirname "$0")/.."
features=${GPU_FEATURES:-wgpu}
export CARGO_TARGET_DIR=${REPRO_GPU_TARGET:-$HOME/.cache/repro-target-$features}
bundle=gpu_bundle
mkdir -p "$bundle"

started=$(date +%s)
# WITH_BENCH=1 also builds the criterion model benchmark. It must be built in the same cargo
# invocation as repro: on its own, `cargo bench --no-run` unifies the dev-dependencies' features
# into the shared crates and recompiles much of the graph (half an hour more here).
targets=(--bin repro)
if [ "${WITH_BENCH:-0}" = 1 ]; then targets+=(--bench model); fi
cargo build --release --features "$features" "${targets[@]}" --message-format=json-render-diagnostics |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "model":
        print(m["executable"])' > "$CARGO_TARGET_DIR/model_bench_path"
echo "build (--features $features): $(($(date +%s) - started)) s"

binaries=("repro:$CARGO_TARGET_DIR/release/repro")
if [ -s "$CARGO_TARGET_DIR/model_bench_path" ]; then
  binaries+=("model_bench:$(cat "$CARGO_TARGET_DIR/model_bench_path")")
fi
for pair in "${binaries[@]}"; do
  name=${pair%%:*} path=${pair#*:}
  xz -T2 -6 -c "$path" > "$bundle/$name.xz"
  echo "$name: $(stat -c %s "$path") bytes, xz -6 $(stat -c %s "$bundle/$name.xz") bytes," \
    "zstd -19 $(zstd -q -19 -T2 -c "$path" | wc -c) bytes"
done

# The Vulkan loader, for a machine whose ldconfig has no libvulkan.so.1 (scripts/gpu_device.sh
# unpacks it there only then).
if ! ls "$bundle"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$bundle" && apt-get download libvulkan1)
fi
(cd "$bundle" && sha256sum ./*.xz libvulkan1_*.deb > SHA256SUMS)
du -sh "$bundle"
