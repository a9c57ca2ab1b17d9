"""repro against PyTorch eager + Hugging Face transformers on the same work, side by side.

What a CPU user would run instead of repro is PyTorch eager with transformers. This script builds
one random model folder per tiny preset with repro (`repro model init`), then times, in
interleaved pairs (repro, torch, repro, torch, ...), on the same folder and the same threads:

  rl     one GRPO step of the CPU study's shape: rft, 4 prompts × 4 rollouts, ≤ 96 new tokens,
         one optimizer update. repro: `repro run` of a one-cell experiment, the per-step
         `seconds` metric (the first --warmup steps dropped, see below). torch: `generate` (sampling at
         T = 1, KV cache) of as many new tokens as repro's rollouts had on average, one no-grad
         reference pass (π_old is the rollout's own log-probability on both sides), a training
         forward, the loss repro computes (PPO-clip + k3 KL + entropy, token means), backward,
         global-norm clip and AdamW. Its three phases are printed too, each timed the same way
         on both sides: generation; scoring (the no-grad reference pass); the update (training
         forward, loss, backward, clip, AdamW).
  sft    one SFT step: 8 examples (prompt + worked solution), token-mean NLL on the solution,
         backward, clip, AdamW. repro: the `sft_seconds` metric of a `method = "sft"` cell.
  fwd    one no-grad forward of 8 × 128 fixed tokens (`repro model speed`).
  matmul the f32 products of a training step of the preset (each linear layer's forward over
         8 rows × 200 tokens, as the model computes it and as one plain product over the 1,600
         rows, and one weight gradient over all rows), and, with --smollm2, of SmolLM2's
         decoding step (16 rows × 1 token): `repro model matmul-speed` (burn's `linear` and `matmul`, the layers' own path)
         against torch's `x @ w`, 20 timed products per round after 5 untimed. These rows say
         how much of a step's ratio is the matmul kernel's. Each row's GFLOP/s is repro's.
  eval   greedy evaluation of 16 Countdown prompts × ≤ 128 new tokens, load included, on the
         SmolLM2-135M folder given by --smollm2 (`repro model import` of the GGUF file);
         repro: `repro eval` wall time, torch: load + the same prompts + `generate`.

Warm-up: the torch side keeps one process warm across rounds and times its steps after one
untimed step; repro starts a fresh process for every round, and its first steps there pay for
memory the process touches for the first time (on a 2-core Firecracker VM, 2026-12-07, the SFT
steps of one tiny-1m round took 0.547, 0.257, 0.255, 0.147 s; the same run started right after
another, before the host took the freed memory back, began at 0.19 s). So each repro round runs
--warmup more steps (default 3) and drops them: both sides are timed in steady state, as the
hundreds of steps of a real run are.

Ratios are torch time / repro time: above 1, repro is faster. Needs torch, transformers,
tokenizers and pyarrow:

    python3 scripts/bench_vs_torch.py --repro target/release/repro [--presets tiny-1m,tiny-4m]
        [--pairs 3] [--steps 4] [--warmup 3] [--smollm2 DIR] [--work /tmp/bench]
"""

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

ROLLOUT_PROMPTS, ROLLOUTS, MAX_NEW_TOKENS = 4, 4, 96
SFT_BATCH = 8
FWD_BATCH, FWD_LEN = 8, 128
CLIP, KL_COEF, ENTROPY_COEF, LR = 0.2, 0.001, 0.001, 1e-4


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stderr}")
    return done.stdout


def metric(results, name):
    """Per-step values of one metric from every metrics.parquet under `results`."""
    rows = []
    for path in Path(results).rglob("metrics.parquet"):
        table = pq.read_table(path, columns=["step", "metric", "value"]).to_pylist()
        rows += [(r["step"], r["value"]) for r in table if r["metric"] == name]
    return [v for _, v in sorted(rows)]


def experiment(work, preset, folder, method, steps):
    text = f"""name = "bench_{method}"
kind = "fine_tune"
seeds = [0]
[defaults]
method = "{method}"
task = "countdown"
model = "{preset}"
init = "pretrained"
model_path = "{folder}"
train_size = {max(64, SFT_BATCH * steps)}
test_size = 1
steps = {steps}
prompts_per_step = {ROLLOUT_PROMPTS}
rollouts = {ROLLOUTS}
mini_batch_prompts = {ROLLOUT_PROMPTS}
micro_batch_prompts = {ROLLOUT_PROMPTS}
max_new_tokens = {MAX_NEW_TOKENS}
test_freq = {steps}
save_freq = {steps}
lr = {LR}
sft_epochs = 1
sft_max_steps = {steps}
sft_batch = {SFT_BATCH}
sft_micro_batch = {SFT_BATCH}
sft_lr = {LR}
"""
    path = work / f"bench_{preset}_{method}.toml"
    path.write_text(text)
    return path


# An RL step's phases: repro's per-step metric and the row it is printed as. Rewards and
# advantages, between generation and scoring, are in neither phase (torch draws random rewards).
RL_PHASES = [("generation_seconds", "rl generation"), ("scoring_seconds", "rl scoring"),
             ("update_seconds", "rl update")]


def repro_step_seconds(repro, toml, results, names, warmup):
    """{metric: per-step values after the first `warmup`} of one fresh `repro run`."""
    run([repro, "run", toml, "--results", results, "--force", "--quiet"])
    out = {}
    for name in names:
        values = metric(results, name)
        out[name] = values[warmup:] if len(values) > warmup else values[-1:]
    return out


def examples(repro, work, n):
    path = work / f"countdown_{n}.parquet"
    if not path.exists():
        run([repro, "data", "generate", "countdown", "-n", str(n), "--seed", "0", "--out", path])
    rows = pq.read_table(path, columns=["question", "answer", "hint"]).to_pylist()
    return [(r["question"], r["answer"] or "".join(r["hint"])) for r in rows]


def left_pad(rows, pad):
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def token_logprobs(model, ids, mask):
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
    logp = torch.log_softmax(logits, dim=-1)
    return logp, logp.gather(-1, ids[:, 1:, None]).squeeze(-1)


def torch_rl_step(policy, reference, optimizer, prompts, new_tokens, pad):
    """{"rl": the step's seconds, and each of RL_PHASES's rows: its phase's seconds}."""
    started = time.perf_counter()
    rows = [p for p in prompts for _ in range(ROLLOUTS)]
    ids, mask = left_pad(rows, pad)
    with torch.no_grad():
        out = policy.generate(input_ids=ids, attention_mask=mask, do_sample=True,
                              temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, pad_token_id=pad)
    generated = time.perf_counter()
    full_mask = torch.cat([mask, torch.ones(out.shape[0], out.shape[1] - ids.shape[1],
                                            dtype=mask.dtype)], dim=1)
    response = torch.zeros_like(out[:, 1:], dtype=torch.float32)
    response[:, ids.shape[1] - 1:] = 1.0
    rewards = torch.rand(len(rows))  # the verifier's cost is negligible on both sides
    groups = rewards.view(-1, ROLLOUTS)
    advantages = ((groups - groups.mean(1, keepdim=True)) / (groups.std(1, keepdim=True) + 1e-6))
    advantages = advantages.reshape(-1, 1)
    scoring = time.perf_counter()
    with torch.no_grad():
        _, ref = token_logprobs(reference, out, full_mask)
    scored = time.perf_counter()
    logp_all, logp = token_logprobs(policy, out, full_mask)
    old = logp.detach()
    ratio = torch.exp(logp - old)
    policy_loss = -torch.min(ratio * advantages, ratio.clamp(1 - CLIP, 1 + CLIP) * advantages)
    log_ratio = ref - logp
    kl = torch.exp(log_ratio) - log_ratio - 1
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    mean = lambda x: (x * response).sum() / response.sum()
    loss = mean(policy_loss) + KL_COEF * mean(kl) - ENTROPY_COEF * mean(entropy)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    ended = time.perf_counter()
    return {"rl": ended - started, "rl generation": generated - started,
            "rl scoring": scored - scoring, "rl update": ended - scored}


def torch_sft_step(model, optimizer, batch, pad):
    started = time.perf_counter()
    width = max(len(p) + len(s) for p, s in batch)
    ids = torch.full((len(batch), width), pad)
    target = torch.zeros((len(batch), width - 1))
    for row, (p, s) in enumerate(batch):
        ids[row, : len(p) + len(s)] = torch.tensor(p + s)
        target[row, len(p) - 1 : len(p) + len(s) - 1] = 1.0
    logits = model(input_ids=ids).logits[:, :-1]
    nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                          reduction="none").view_as(target)
    loss = (nll * target).sum() / target.sum()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - started


def torch_forward(model, ids):
    started = time.perf_counter()
    with torch.no_grad():
        model(input_ids=ids)
    return time.perf_counter() - started


def fixed_tokens(vocab):
    state, rows = 0x2545F4914F6CDD1D ^ 1, []  # repro::model::speed::fixed_token_rows, salt 1
    for _ in range(FWD_BATCH):
        row = []
        for _ in range(FWD_LEN):
            state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
            row.append((state >> 33) % vocab)
        rows.append(row)
    return torch.tensor(rows)


MATMUL_BATCH, MATMUL_LEN = 8, 200  # about an SFT batch of 8 × (prompt + solution)
MATMUL_REPEAT = 20


def step_matmul_shapes(config):
    """(B, M, K, N) of the products in a training step of a model with this config.json: the
    linear layers' forward over B rows of M tokens (B = None: a plain [M, K] × [K, N])."""
    d, ffn, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    head = config.get("head_dim") or d // config["num_attention_heads"]
    q, kv = config["num_attention_heads"] * head, config["num_key_value_heads"] * head
    b, m = MATMUL_BATCH, MATMUL_LEN
    # q/o, k/v, gate/up, down and the LM head, each as the layer computes it and as one plain
    # product over all rows; then a weight gradient (dW = xᵀ dy) over all rows
    layers = [(d, q), (d, kv), (d, ffn), (ffn, d), (d, vocab)]
    return ([(b, m, k, n) for k, n in layers] + [(None, b * m, k, n) for k, n in layers]
            + [(None, d, b * m, ffn)])


def decode_matmul_shapes(config):
    """A decoding step of 16 rows: gate/up, down and the LM head."""
    d, ffn, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    return [(16, 1, d, ffn), (16, 1, ffn, d), (16, 1, d, vocab)]


def shape_name(shape):
    return "x".join(str(dim) for dim in shape if dim is not None)


def bench_matmul(args, shapes, pairs):
    """{shape: ([repro seconds], [torch seconds])}, the two sides interleaved. A shape with a
    batch is a linear layer on both sides: burn's `linear`, torch's `x @ w` on [B, M, K]."""
    times = {shape: ([], []) for shape in shapes}
    spec = ",".join(shape_name(shape) for shape in shapes)
    for _ in range(pairs):
        out = run([args.repro, "model", "matmul-speed", "--shapes", spec,
                   "--repeat", str(MATMUL_REPEAT)])
        for line in out.splitlines():
            row = json.loads(line)
            times[(row["batch"], row["m"], row["k"], row["n"])][0].extend(row["seconds"])
        for batch, m, k, n in shapes:
            rows = (batch, m, k) if batch else (m, k)
            a, b = torch.rand(*rows) * 2 - 1, torch.rand(k, n) * 2 - 1
            for _ in range(5):  # warm-up, as repro's
                a @ b
            for _ in range(MATMUL_REPEAT):
                started = time.perf_counter()
                a @ b
                times[(batch, m, k, n)][1].append(time.perf_counter() - started)
    return times


def print_matmul(times, label):
    for shape, (mine, theirs) in times.items():
        a, b = median(mine), median(theirs)
        flops = 2 * (shape[0] or 1) * shape[1] * shape[2] * shape[3]
        print(f"| matmul {shape_name(shape)} ({flops / a / 1e9:.0f} GFLOP/s) | {label} | "
              f"{a:.6f} | {b:.6f} | {b / a:.2f} |", flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def bench_preset(args, work, preset):
    folder = work / preset
    if not folder.exists():
        data = work / "tokenizer_corpus.parquet"
        run([args.repro, "data", "generate", "countdown", "-n", "2000", "--out", data])
        run([args.repro, "tokenizer", "train", "--data", data, "--vocab", "1024",
             "--out", work / "tokenizer.json"])
        run([args.repro, "model", "init", "--preset", preset, "--tokenizer",
             work / "tokenizer.json", "--out", folder])
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    config = json.loads((folder / "config.json").read_text())
    pad = config.get("pad_token_id") or config.get("eos_token_id") or 0
    if isinstance(pad, list):
        pad = pad[0]
    policy = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    reference = copy.deepcopy(policy).eval()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=LR, weight_decay=0.0)
    data = examples(args.repro, work, 64)
    prompts = [tokenizer.encode(q, add_special_tokens=False).ids for q, _ in data[:ROLLOUT_PROMPTS]]
    sft_batch = [(tokenizer.encode(q, add_special_tokens=False).ids, tokenizer.encode(a, add_special_tokens=False).ids) for q, a in data[:SFT_BATCH]]
    rl_toml = experiment(work, preset, folder, "rft", args.warmup + args.steps)
    sft_toml = experiment(work, preset, folder, "sft", args.warmup + args.steps)
    fwd_ids = fixed_tokens(config["vocab_size"])
    # Warm-up on the torch side (repro drops its first step instead).
    torch_rl_step(policy, reference, optimizer, prompts, MAX_NEW_TOKENS, pad)
    torch_sft_step(policy, optimizer, sft_batch, pad)
    torch_forward(policy, fwd_ids)
    times = {k: ([], []) for k in ["rl"] + [row for _, row in RL_PHASES] + ["sft", "fwd"]}
    lengths = []
    for pair in range(args.pairs):
        results = work / f"results_{preset}"
        rl = repro_step_seconds(args.repro, rl_toml, results,
                                ["seconds"] + [name for name, _ in RL_PHASES], args.warmup)
        timed_lengths = metric(results, "response_length")[args.warmup:]  # the timed steps'
        lengths += timed_lengths
        times["rl"][0].extend(rl["seconds"])
        for name, row in RL_PHASES:
            times[row][0].extend(rl[name])
        new_tokens = round(statistics.mean(timed_lengths))
        for _ in range(args.steps):
            for row, seconds in torch_rl_step(policy, reference, optimizer, prompts, new_tokens,
                                              pad).items():
                times[row][1].append(seconds)
        times["sft"][0].extend(repro_step_seconds(args.repro, sft_toml, results, ["sft_seconds"],
                                                  args.warmup)["sft_seconds"])
        times["sft"][1].extend(torch_sft_step(policy, optimizer, sft_batch, pad)
                               for _ in range(args.steps))
        speed = subprocess.run([args.repro, "model", "speed", "--model", folder, "--batch",
                                str(FWD_BATCH), "--len", str(FWD_LEN), "--repeat", "10"],
                               capture_output=True, text=True)
        if speed.returncode == 0:  # (binaries before `repro model speed` existed lack it)
            times["fwd"][0].extend(json.loads(speed.stdout)["seconds"])
            times["fwd"][1].extend(torch_forward(policy, fwd_ids) for _ in range(10))
    prompt_tokens = statistics.mean(len(p) for p in prompts)
    return times, {"prompt_tokens": prompt_tokens, "response_tokens": statistics.mean(lengths)}


def bench_eval(args, work):
    """Greedy evaluation on SmolLM2-135M, load included; also counts identical completions."""
    folder = Path(args.smollm2)
    data = work / "eval_countdown_16.parquet"
    run([args.repro, "data", "generate", "countdown", "-n", "16", "--seed", "1", "--out", data])
    prompts = [r["question"] for r in pq.read_table(data, columns=["question"]).to_pylist()]
    out = work / "eval.parquet"
    repro_times, torch_times, same = [], [], 0
    for _ in range(args.pairs):
        started = time.perf_counter()
        run([args.repro, "eval", "--model", folder, "--data", data, "--max-new-tokens", "128",
             "--batch", "16", "--out", out])
        repro_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        config = json.loads((folder / "config.json").read_text())
        pad = config.get("pad_token_id") or config.get("eos_token_id") or 0
        rows = [tokenizer.encode(p, add_special_tokens=False).ids for p in prompts]
        ids, mask = left_pad(rows, pad)
        with torch.no_grad():
            generated = model.generate(input_ids=ids, attention_mask=mask, do_sample=False,
                                       max_new_tokens=128, pad_token_id=pad)
        torch_times.append(time.perf_counter() - started)
        texts = tokenizer.decode_batch(generated[:, ids.shape[1]:].tolist(),
                                       skip_special_tokens=True)
        mine = pq.read_table(out, columns=["completion"]).to_pylist()
        same = sum(t == m["completion"] for t, m in zip(texts, mine))
    return repro_times, torch_times, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repro", required=True, help="the repro binary")
    parser.add_argument("--presets", default="tiny-1m,tiny-4m")
    parser.add_argument("--pairs", type=int, default=3, help="interleaved repro/torch rounds")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per round and side")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed steps before them in each repro round (a fresh process)")
    parser.add_argument("--smollm2", help="SmolLM2-135M model folder (repro model import)")
    parser.add_argument("--work", default="/tmp/repro-bench-vs-torch")
    args = parser.parse_args()
    args.repro = str(Path(args.repro).resolve())
    torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    # (builds before 2026-12-08 have no `repro model matmul-speed`)
    matmul_speed = subprocess.run([args.repro, "model", "matmul-speed", "--help"],
                                  capture_output=True).returncode == 0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"medians of seconds per step; ratio = torch / repro")
    print("| work | preset | repro s | torch s | ratio |")
    print("|---|---|---|---|---|")
    for preset in args.presets.split(","):
        times, shape = bench_preset(args, work, preset)
        for work_name, (mine, theirs) in times.items():
            if not mine:  # (builds before 2026-12-03 write no phase rows)
                continue
            a, b = median(mine), median(theirs)
            print(f"| {work_name} | {preset} | {a:.4f} | {b:.4f} | {b / a:.2f} |", flush=True)
        print(f"|  | {preset} | prompt {shape['prompt_tokens']:.0f} tokens, "
              f"response {shape['response_tokens']:.1f} tokens | | |", flush=True)
        if matmul_speed:
            config = json.loads((work / preset / "config.json").read_text())
            print_matmul(bench_matmul(args, step_matmul_shapes(config), args.pairs), preset)
    if args.smollm2:
        if matmul_speed:
            config = json.loads((Path(args.smollm2) / "config.json").read_text())
            print_matmul(bench_matmul(args, decode_matmul_shapes(config), args.pairs),
                         "smollm2-135m")
        mine, theirs, same = bench_eval(args, work)
        a, b = median(mine), median(theirs)
        print(f"| eval | smollm2-135m | {a:.2f} | {b:.2f} | {b / a:.2f} |")
        print(f"(eval: {same} of 16 greedy completions character-identical between the two)")


if __name__ == "__main__":
    main()
