"""Opens a model folder that repro wrote (a fine-tuned cell's models/seed-N, `repro model import`'s
output) with transformers' Auto classes, as another tool would, and greedily continues a prompt.

    python3 scripts/open_in_transformers.py DIR [--prompt TEXT]

Prints the model and tokenizer classes transformers chose, the end-of-sequence ids it will stop
at, whether a chat template came with the tokenizer, and 12 greedy tokens. Needs torch and
transformers; exits non-zero if the folder does not load.
"""

import argparse

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--prompt", default="Using the numbers [3, 7, 25], create an equation")
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.folder)
    model = AutoModelForCausalLM.from_pretrained(args.folder, dtype=torch.float32)
    ids = tokenizer(args.prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    print(f"{type(model).__name__}, {type(tokenizer).__name__}; "
          f"eos {model.generation_config.eos_token_id}; "
          f"chat template: {'yes' if tokenizer.chat_template else 'no'}")
    print(repr(tokenizer.decode(out[0][ids["input_ids"].shape[1]:])))


if __name__ == "__main__":
    main()
