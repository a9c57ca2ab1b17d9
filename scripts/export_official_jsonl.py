"""Export the official Parquet files (paper repository and LUFFY suite) to JSON lines.

The Rust tests that compare verifiers, prompts and generators against every official row read
these files from the folder named by REPRO_OFFICIAL_JSONL (they are skipped when it is unset).

    python3 -m pip install pyarrow
    python3 scripts/export_official_jsonl.py ../shared/datasets OUT_DIR
    REPRO_OFFICIAL_JSONL=OUT_DIR cargo test --release

Each line: data_source, question, hint, answer, ground_truth (reward_model.ground_truth) and
prompt (the content of the last chat message). Output names: <folder>_<file>.jsonl.
"""

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*/*.parquet")):
        rows = pq.read_table(path).to_pylist()
        target = out / f"{path.parent.name}_{path.stem}.jsonl"
        with target.open("w") as fh:
            for r in rows:
                prompt = r.get("prompt")
                fh.write(json.dumps({
                    "data_source": r.get("data_source"),
                    "question": r.get("question"),
                    "hint": r.get("hint"),
                    "answer": r.get("answer"),
                    "ground_truth": r["reward_model"]["ground_truth"],
                    "prompt": prompt[-1]["content"] if prompt else None,
                }) + "\n")
        print(f"{target}: {len(rows)} rows")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
