"""Build the tiny Hugging Face checkpoints that repro's Rust parity test checks itself against.

For each architecture repro implements (Qwen2 and Llama-3), this script creates a small random
model with `transformers`, saves it the way a real checkpoint is saved, and records what
`transformers` computes with it: the logits of every position of four prompts and the greedy
continuation of each. The Rust side loads the same folder and must reproduce both.

Everything is deterministic (fixed seed, CPU, float32, one thread), so rerunning the script
rewrites identical files.

Usage:
    python3 scripts/make_parity_fixture.py [--out tests/fixtures/parity]

Output, one folder per architecture (`qwen2/`, `llama/`):
    tokenizer.json, tokenizer_config.json   byte-level BPE tokenizer (shared by both)
    config.json, generation_config.json     model config as transformers writes it
    model.safetensors                       float32 weights
    expected.json                           prompts, their ids, greedy tokens, logit scale
    expected_logits.safetensors             `logits.{i}`: float32 [T_i, vocab] for prompt i
"""

import argparse
import json
import re
from pathlib import Path

import safetensors.torch
import tokenizers
import torch
import transformers
from tokenizers import decoders, models, pre_tokenizers, trainers
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

SEED = 0
VOCAB_SIZE = 384
EOS = "<|endoftext|>"
GREEDY_NEW_TOKENS = 12

CORPUS = [
    "Using the numbers [3, 7, 25, 50], create an equation that equals 21.",
    "Using the numbers [2, 9, 14, 60], create an equation that equals 37.",
    "Using the numbers [4, 6, 11, 75], create an equation that equals 98.",
    "Using the numbers [8, 10, 13, 100], create an equation that equals 115.",
    "You can use basic arithmetic operations (+, -, *, /) and each number can only be used once.",
    "Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags.",
    "<think> 50 - 25 = 25 </think> <answer> (50 - 25) - 7 + 3 </answer>",
    "<think> 60 - 14 = 46, 46 - 9 = 37, 37 * 2 = 74 </think> <answer> 60 - 14 - 9 </answer>",
    "<think> 75 + 11 = 86, 86 + 6 = 92, 92 + 4 = 96 </think> <answer> 75 + 11 + 6 + 4 </answer>",
    "<think> 100 + 13 = 113, 113 + 10 = 123, 123 - 8 = 115 </think> <answer> 100 + 13 + 10 - 8 </answer>",
    "<think> 3 * 7 = 21 </think> <answer> 3 * 7 </answer>",
    "<think> 25 / 5 = 5, 5 * 4 = 20, 20 + 1 = 21 </think> <answer> 25 / 5 * 4 + 1 </answer>",
    "12 + 7 = 19",
    "48 / 6 = 8",
    "9 * 9 = 81",
    "100 - 37 = 63",
    "(3 + 4) * (5 - 2) = 21",
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it.",
    "The assistant first thinks about the reasoning process in the mind and then provides the answer.",
    "A very special island is inhabited only by knights and knaves.",
    "Knights always tell the truth, and knaves always lie.",
    "You meet 2 inhabitants: Zoey, and Oliver.",
    'Zoey remarked, "Oliver is not a knight."',
    'Oliver stated, "Oliver is a knight if and only if Zoey is a knave."',
    "So who is a knight and who is a knave?",
    "(1) Zoey is a knave\n(2) Oliver is a knight",
    "You meet 3 inhabitants: Emily, Jack, and Sofia.",
    'Emily said, "Jack is a knave or Sofia is a knight."',
    'Jack told you that "Emily is a knight and Sofia is a knave."',
    "Sofia claimed that Jack is a knave.",
    "(1) Emily is a knight\n(2) Jack is a knave\n(3) Sofia is a knight",
    "If Zoey were a knight, then Oliver would not be a knight, so Oliver is a knave.",
    "Since knaves always lie, the statement must be false.",
    "Let me check the equation again: 50 - 25 - 7 + 3 = 21. It works.",
    "That does not equal the target, so I try another combination of the numbers.",
    "Therefore the answer is correct.",
]

# Four prompts of different lengths (3 to 19 tokens): short, digits and brackets, a newline, tags.
PROMPTS = [
    "9 * 9",
    "Using the numbers [3, 7, 25, 50], create an equation",
    "Knights always lie.\nZoey said,",
    "<think> 50 - 25 = 25 </think>",
]


def train_tokenizer() -> tokenizers.Tokenizer:
    """A GPT-2 style byte-level BPE tokenizer trained on CORPUS."""
    tokenizer = tokenizers.Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer=trainer)
    return tokenizer


def common_config(vocab_size: int, eos_id: int) -> dict:
    """The shape and special ids both architectures share."""
    return dict(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=eos_id,
        dtype="float32",
    )


def build_qwen2(vocab_size: int, eos_id: int) -> Qwen2ForCausalLM:
    config = Qwen2Config(
        **common_config(vocab_size, eos_id),
        rms_norm_eps=1e-6,
        rope_theta=1e6,
        tie_word_embeddings=False,
        use_sliding_window=False,
    )
    return Qwen2ForCausalLM(config)


def build_llama(vocab_size: int, eos_id: int) -> LlamaForCausalLM:
    """Shaped like Llama-3.2: tied embeddings and llama3 rope scaling."""
    config = LlamaConfig(
        **common_config(vocab_size, eos_id),
        rms_norm_eps=1e-5,
        rope_theta=500000.0,
        rope_scaling={
            "rope_type": "llama3",
            "factor": 32.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192,
        },
        tie_word_embeddings=True,
        attention_bias=False,
        mlp_bias=False,
    )
    return LlamaForCausalLM(config)


@torch.no_grad()
def enlarge_weights(model: torch.nn.Module) -> None:
    """Re-initialise with a larger scale than transformers' std 0.02, so logits spread over
    several units and greedy decoding does not collapse onto one token."""
    for name, param in model.named_parameters():
        if name.endswith("norm.weight"):
            param.copy_(1.0 + 0.1 * torch.randn_like(param))
        elif name.endswith(".bias"):
            param.copy_(0.1 * torch.randn_like(param))
        else:
            param.copy_(0.2 * torch.randn_like(param))


def check_llama3_scaling(model: LlamaForCausalLM) -> None:
    """The fixture only tests llama3 rope scaling if it changes some frequencies."""
    config = model.config
    head_dim = config.head_dim
    theta = config.rope_parameters["rope_theta"]
    unscaled = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    scaled = model.model.rotary_emb.inv_freq
    changed = int((~torch.isclose(scaled, unscaled, rtol=1e-6, atol=0.0)).sum())
    assert changed > 0, "llama3 rope scaling leaves every frequency unchanged"
    print(f"  llama3 scaling changes {changed} of {len(unscaled)} inv_freq entries")


@torch.no_grad()
def greedy(model: torch.nn.Module, ids: list[int], eos_id: int) -> list[int]:
    """GREEDY_NEW_TOKENS tokens from `generate`, with end-of-sequence disabled."""
    input_ids = torch.tensor([ids])
    output = model.generate(
        input_ids,
        attention_mask=torch.ones_like(input_ids),
        do_sample=False,
        max_new_tokens=GREEDY_NEW_TOKENS,
        eos_token_id=None,
        pad_token_id=eos_id,
    )
    new = output[0, len(ids) :].tolist()
    assert len(new) == GREEDY_NEW_TOKENS, f"generate returned {len(new)} new tokens"
    return new


@torch.no_grad()
def greedy_without_cache(model: torch.nn.Module, ids: list[int]) -> list[int]:
    """The same continuation by full forward passes, a check on `generate`'s cached path."""
    sequence = list(ids)
    for _ in range(GREEDY_NEW_TOKENS):
        logits = model(torch.tensor([sequence])).logits[0, -1]
        sequence.append(int(logits.argmax()))
    return sequence[len(ids) :]


def write_expected(model, tokenizer, arch: str, folder: Path, eos_id: int) -> None:
    """expected.json and expected_logits.safetensors for PROMPTS."""
    input_ids = [tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in PROMPTS]
    with torch.no_grad():
        logits = [model(torch.tensor([ids])).logits[0].contiguous() for ids in input_ids]
    continuations = [greedy(model, ids, eos_id) for ids in input_ids]
    for ids, continuation in zip(input_ids, continuations):
        assert continuation == greedy_without_cache(model, ids), "generate disagrees with argmax"
        assert len(set(continuation)) > 1, "greedy continuation is a single repeated token"

    everything = torch.cat(logits)
    expected = {
        "arch": arch,
        "prompts": PROMPTS,
        "input_ids": input_ids,
        "greedy_new_tokens": GREEDY_NEW_TOKENS,
        "greedy": continuations,
        "eos_token_id": eos_id,
        "vocab_size": model.config.vocab_size,
        "logit_max_abs": round(float(everything.abs().max()), 6),
        "logit_std": round(float(everything.std()), 6),
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
    }
    (folder / "expected.json").write_text(dump_json(expected))
    tensors = {f"logits.{i}": tensor for i, tensor in enumerate(logits)}
    safetensors.torch.save_file(tensors, folder / "expected_logits.safetensors")
    summarize(tokenizer, expected)


def dump_json(value: dict) -> str:
    """Indented JSON with each list of numbers (a token sequence) kept on one line."""
    text = json.dumps(value, indent=2)
    text = re.sub(r"\[[\d,\s]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)
    return text + "\n"


def summarize(tokenizer, expected: dict) -> None:
    print(f"  logits: max |x| {expected['logit_max_abs']:.3f}, std {expected['logit_std']:.3f}")
    for prompt, ids, new in zip(expected["prompts"], expected["input_ids"], expected["greedy"]):
        print(f"  {prompt!r} ({len(ids)} tokens) -> {tokenizer.decode(new)!r}")


def save_tokenizer(raw_tokenizer: tokenizers.Tokenizer, folder: Path) -> PreTrainedTokenizerFast:
    """Saves the tokenizer and loads it back the way a user of the folder would."""
    fast = PreTrainedTokenizerFast(
        tokenizer_object=raw_tokenizer, bos_token=EOS, eos_token=EOS, pad_token=EOS
    )
    fast.save_pretrained(folder)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    for prompt in PROMPTS:
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        assert ids == raw_tokenizer.encode(prompt, add_special_tokens=False).ids
        assert tokenizer.decode(ids) == prompt
    return tokenizer


def save_model(arch: str, build, vocab_size: int, eos_id: int, folder: Path):
    """Builds and saves the random model, and returns it as loaded back from `folder`, so the
    expected outputs are what transformers computes from the files themselves."""
    torch.manual_seed(SEED)
    model = build(vocab_size, eos_id)
    if arch == "qwen2":
        assert any(name.endswith("q_proj.bias") for name, _ in model.named_parameters())
    enlarge_weights(model)
    model.save_pretrained(folder, safe_serialization=True)
    reloaded = type(model).from_pretrained(folder).eval()
    for name, param in model.state_dict().items():
        assert torch.equal(param, reloaded.state_dict()[name]), f"{name} changed on reload"
    return reloaded


def make_fixture(arch: str, build, raw_tokenizer: tokenizers.Tokenizer, out: Path) -> None:
    folder = out / arch
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = save_tokenizer(raw_tokenizer, folder)
    eos_id = raw_tokenizer.token_to_id(EOS)
    model = save_model(arch, build, raw_tokenizer.get_vocab_size(), eos_id, folder)
    if arch == "llama":
        check_llama3_scaling(model)
    write_expected(model, tokenizer, arch, folder, eos_id)
    for path in sorted(folder.iterdir()):
        print(f"  {path.name:32} {path.stat().st_size:>8} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/parity"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    transformers.utils.logging.disable_progress_bar()
    raw_tokenizer = train_tokenizer()
    print(f"tokenizer: vocab {raw_tokenizer.get_vocab_size()}, {EOS} = {raw_tokenizer.token_to_id(EOS)}")
    for arch, build in [("qwen2", build_qwen2), ("llama", build_llama)]:
        print(arch)
        make_fixture(arch, build, raw_tokenizer, args.out)


if __name__ == "__main__":
    main()
