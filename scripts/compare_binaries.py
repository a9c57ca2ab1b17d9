"""Two builds of repro on the same work, interleaved: the per-step time of the CPU study's RL and
SFT steps (benches/study_step.toml), for measuring a change before and after.

    python3 scripts/compare_binaries.py BEFORE AFTER [--rounds 3] [--jobs 1] [--set param=value ...]

Each round runs BEFORE, AFTER, and AFTER with the `--set` changes (if any), every cell from
scratch (`--force`), into folders under --work whose base_models link to results/base_models.
Prints the medians of the per-step `seconds` (RL) and `sft_seconds` (SFT) rows, the first step of
each cell left out as warm-up, and the ratios; with `--jobs N` the three cells run N at a time,
as `repro run --jobs N` runs the study. Needs pyarrow.
"""

import argparse
import statistics
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = ROOT / "benches" / "study_step.toml"


# An RL step's phases (rows written since 2026-12-03; an older build has none).
PHASES = ["generation_seconds", "scoring_seconds", "update_seconds"]


def per_step_seconds(results):
    """{"rft" | "uft" | "sft" | "rft generation" | …: [seconds per step after the first]} from
    every cell's metrics."""
    out = {}
    for metrics in Path(results).glob("study_step*/*/metrics.parquet"):
        config = (metrics.parent / "config.toml").read_text()
        method = next(m for m in ["rft", "uft", "sft"] if f'method = "{m}"' in config)
        rows = sorted(pq.read_table(metrics, columns=["step", "metric", "value"]).to_pylist(),
                      key=lambda r: r["step"])
        names = [("sft_seconds", method)] if method == "sft" else \
            [("seconds", method)] + [(p, f"{method} {p.split('_')[0]}") for p in PHASES]
        for name, key in names:
            values = [r["value"] for r in rows if r["metric"] == name][1:]
            if values:
                out.setdefault(key, []).extend(values)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="cells run at once (repro run --jobs)")
    parser.add_argument("--set", action="append", default=[], help="a third variant: AFTER with these")
    parser.add_argument("--work", default="/tmp/repro-compare-binaries")
    args = parser.parse_args()
    variants = [("before", args.before, []), ("after", args.after, [])]
    if args.set:
        variants.append(("after+" + ",".join(args.set), args.after,
                         [x for s in args.set for x in ("--set", s)]))
    times = {name: {"wall": []} for name, _, _ in variants}
    for round_ in range(args.rounds):
        for name, binary, extra in variants:
            results = Path(args.work) / name.replace("=", "_").replace(",", "_")
            results.mkdir(parents=True, exist_ok=True)
            if not (results / "base_models").exists():
                (results / "base_models").symlink_to(ROOT / "results" / "base_models")
            started = time.perf_counter()
            subprocess.run([binary, "run", EXPERIMENT, "--results", results, "--force", "-q",
                            "--jobs", str(args.jobs), *extra], check=True)
            times[name]["wall"].append(time.perf_counter() - started)
            for method, values in per_step_seconds(results).items():
                times[name].setdefault(method, []).extend(values)
        print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    base = {k: statistics.median(v) for k, v in times["after"].items()}
    print("| variant | " + " | ".join(f"{k} (s)" for k in base) + " |")
    print("|---|" + "---|" * len(base))
    for name in times:
        medians = {k: statistics.median(v) for k, v in times[name].items()}
        cells = [f"{medians[k]:.3f} ({medians[k] / base[k]:.2f}× after)" if k in medians else "—"
                 for k in base]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
