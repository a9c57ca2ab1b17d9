#!/usr/bin/env python3
"""The device run's results as Markdown: scripts/gpu_figures.py OUT [--repro BIN].

OUT is the folder scripts/gpu_device.sh wrote (the device call's files, or gpu_lavapipe.sh's).
Prints the adapter, the parity lines, the steps' times, and every benchmark's and `repro model
speed` result's tokens/s with the
FLOP/s it achieves: forward and generation at 2 × weights per token (`repro model info`), a
train step at 3 × that (forward + backward), against the f32 matmul of the same run and the
H200's ≈ 790 TFLOP/s dense bf16 (NVIDIA's datasheet: 1,979 with sparsity).
Standard library only."""

import json
import pathlib
import re
import subprocess
import sys

H200_BF16_DENSE = 790e12


def flops_per_token(repro, preset, cache={}):
    if preset not in cache:
        info = subprocess.run([repro, "model", "info", preset], capture_output=True, text=True, check=True)
        cache[preset] = float(re.search(r"FLOPs per token\s+(\S+)", info.stdout).group(1))
    return cache[preset]


def benchmarks(criterion):
    for path in sorted(criterion.glob("**/new/benchmark.json")):
        meta = json.loads(path.read_text())
        estimates = json.loads((path.parent / "estimates.json").read_text())
        seconds = estimates["mean"]["point_estimate"] / 1e9
        elements = (meta.get("throughput") or {}).get("Elements")
        yield meta["group_id"], meta["function_id"], meta.get("value_str"), seconds, elements


def main():
    out = pathlib.Path(sys.argv[1])
    repro = sys.argv[sys.argv.index("--repro") + 1] if "--repro" in sys.argv else "repro"
    print("adapters:")
    for line in (out / "adapters.jsonl").read_text().splitlines():
        print("  ", line)
    print("\nsteps:")
    for line in (out / "steps.jsonl").read_text().splitlines():
        step = json.loads(line)
        print(f"  {step['step']:<22} rc {step['rc']:>3}  {step['ms'] / 1000:8.1f} s (limit {step['limit_s']} s)")
    print("\nparity with the CPU:")
    for path in sorted(out.glob("parity_*.json")):
        text = path.read_text().strip()
        if not text:
            print(f"  {path.stem}: no result ({(out / (path.stem + '.err')).read_text().strip()[-200:]})")
            continue
        p = json.loads(text)
        print(f"  {path.stem}: max |Δ logit| {p['max_abs_logit_diff']:.2e} (of {p['max_abs_logit']:.1f}), "
              f"greedy rows identical {p['greedy_rows_identical']}/{p['rows']}, "
              f"max |Δ log-prob| {p['max_abs_logprob_diff']:.2e}, passed {p['passed']}")
    rows = list(benchmarks(out / "criterion")) if (out / "criterion").is_dir() else []
    peak = next((e / s for g, f, _, s, e in rows if g == "matmul" and e), None)
    print("\n| benchmark | shape | tokens/s | achieved FLOP/s | of the f32 matmul | of 790 TFLOP/s bf16 |")
    print("|---|---|---|---|---|---|")
    for group, function, value, seconds, elements in rows:
        shape = f"{function}" + (f" {value}" if value else "")
        if group == "matmul":
            print(f"| f32 matmul 1024³ | | | {elements / seconds:.3e} | 1 | {elements / seconds / H200_BF16_DENSE:.2%} |")
            continue
        preset, work = group.split("/", 1)
        per_token = flops_per_token(repro, preset) * (3 if work == "train_step" else 1)
        tokens = elements / seconds
        flops = tokens * per_token
        share = f"{flops / peak:.1%}" if peak else "—"
        print(f"| {group} | {shape} | {tokens:,.0f} | {flops:.3e} | {share} | {flops / H200_BF16_DENSE:.2%} |")
    speeds = sorted(out.glob("speed_*.json"))
    if speeds:
        print("\n| repro model speed | shape | tokens/s | achieved FLOP/s | of 790 TFLOP/s bf16 |")
        print("|---|---|---|---|---|")
    for path in speeds:
        text = path.read_text().strip()
        if not text:
            print(f"| {path.stem} | no result | | | |")
            continue
        s = json.loads(text)
        work = s.get("work", "forward")
        preset = path.stem.removeprefix("speed_").removeprefix("train_")
        flops = s["tokens_per_second"] * flops_per_token(repro, preset) * (3 if work == "train" else 1)
        print(f"| {preset} {work} | {s['batch']} × {s['len']} | {s['tokens_per_second']:,.0f} | "
              f"{flops:.3e} | {flops / H200_BF16_DENSE:.2%} |")
    diff = out / "quick_diff.txt"
    if diff.exists():
        print("\nquick profile, GPU against CPU (repro diff --ignore-param device --tolerance 1e-3):")
        print("  " + diff.read_text().strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
