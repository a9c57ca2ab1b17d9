//! The reinforcement fine-tuning loop shared by RFT, UFT, R³, staged RL and RFT (cosine): GRPO
//! on prompts that may carry a hint, with UFT's hint log-likelihood term (specification §1.3,
//! §1.4; `liumy2010/UFT:verl/trainer/ppo/ray_trainer.py`, `dp_actor.py`). The methods differ
//! only in their hint schedule and β (see `Method`).
//!
//! One step, as the code runs it:
//! 1. take the step's prompts (a keyed shuffle per epoch, incomplete batches dropped);
//! 2. draw each prompt's hint length from the schedule, keyed on (seed, step, example);
//! 3. render `question + hint` (tokenized separately and concatenated);
//! 4. sample `rollouts` completions per prompt from the current policy;
//! 5. score `question + hint + completion` with the official reward;
//! 6. group-normalise the rewards into advantages;
//! 7. record the old and reference log-probabilities of every token;
//! 8. for each mini-batch of prompts: accumulate the loss over micro-batches, clip the global
//!    gradient norm and take one AdamW step.
//!
//! Batch sizes are counted in prompts; each prompt brings `rollouts` sequences.

use std::time::Instant;

use anyhow::{Result, bail};
use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

use super::data::batch_indices;
use super::first_success::PromptOutcome;
use super::optimizer::{AdamW, AdamWConfig};
use crate::algo::grpo::group_advantages;
use crate::algo::hint::{MAX_SEGMENTS, segment_boundaries};
use crate::algo::schedule::HintSchedule;
use crate::algo::uft::{LossWeights, MicroBatch, total_loss};
use crate::model::Transformer;
use crate::model::generate::{GenerateOptions, generate, pad_token, stop_tokens};
use crate::model::logprobs::{Extras, token_logprobs_from, token_logprobs_with};
use crate::model::sampling::Sampling;
use crate::model::tokenizer::Tokenizer;
use crate::rng::{combined_key, keyed_rng, label_key};
use crate::tasks::example::Example;

/// What a hint length counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HintUnit {
    /// Groups of solution sentences, `num = min(5, sentences)` of them (the official code).
    #[default]
    Segment,
    /// Tokens of the solution: `l ~ Binomial(solution tokens, p)` (the paper's §3.1.1 wording,
    /// read per token).
    Token,
}

/// Where π_old's log-probabilities (the PPO ratio's denominator) come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OldLogprobs {
    /// Those `generate` returned with each sampled token: the same policy and temperature, one
    /// forward fewer per step; equal to `Recompute` up to float rounding (tested).
    #[default]
    Rollout,
    /// A separate no-grad forward over prompt + response before the update (verl's
    /// `compute_log_prob`).
    Recompute,
}

/// Everything a reinforcement fine-tuning run needs to know (defaults: Table 1 and §1.4).
#[derive(Clone, Debug, PartialEq)]
pub struct RlConfig {
    pub schedule: HintSchedule,
    pub hint_unit: HintUnit,
    pub old_logprobs: OldLogprobs,
    /// T: RL steps.
    pub steps: u64,
    pub prompts_per_step: usize,
    /// n: completions per prompt (the GRPO group).
    pub rollouts: usize,
    /// Prompts per optimizer update.
    pub mini_batch_prompts: usize,
    /// Prompts per forward/backward pass (gradient accumulation = mini / micro).
    pub micro_batch_prompts: usize,
    pub lr: f64,
    pub optimizer: AdamWConfig,
    pub loss: LossWeights,
    pub max_new_tokens: usize,
    pub temperature: f32,
    pub seed: u64,
}

impl RlConfig {
    pub fn validate(&self, examples: usize) -> Result<()> {
        if self.prompts_per_step == 0 || self.rollouts == 0 || self.micro_batch_prompts == 0 {
            bail!("prompts_per_step, rollouts and micro_batch_prompts must be positive");
        }
        if self.prompts_per_step % self.mini_batch_prompts != 0
            || self.mini_batch_prompts % self.micro_batch_prompts != 0
        {
            bail!(
                "prompts_per_step ({}) must be a multiple of mini_batch_prompts ({}), and that of micro_batch_prompts ({})",
                self.prompts_per_step,
                self.mini_batch_prompts,
                self.micro_batch_prompts
            );
        }
        if self.prompts_per_step > examples {
            bail!(
                "prompts_per_step ({}) exceeds the {examples} training examples",
                self.prompts_per_step
            );
        }
        Ok(())
    }
}

/// What one step measured (the metrics of issue 5 that a step produces).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepMetrics {
    /// One-based step (the code's `timestep`).
    pub step: u64,
    pub reward_mean: f64,
    pub accuracy: f64,
    pub format_accuracy: f64,
    pub policy_loss: f64,
    pub clip_fraction: f64,
    pub approx_kl: f64,
    pub kl: f64,
    pub entropy: f64,
    pub hint_nll: f64,
    pub hint_fraction_mean: f64,
    pub hint_fraction_min: f64,
    pub hint_fraction_max: f64,
    /// Hint tokens shown this step, counted once per prompt.
    pub hint_tokens: f64,
    pub response_length: f64,
    /// Fraction of groups whose rewards are all equal (zero advantage).
    pub equal_reward_groups: f64,
    /// Fraction of groups with at least one correct rollout (hinted or not).
    pub solved_groups: f64,
    /// Per prompt: which rollouts were correct, and whether it was hinted.
    pub outcomes: Vec<PromptOutcome>,
    pub grad_norm: f64,
    pub lr: f64,
    pub tokens_per_second: f64,
    pub seconds: f64,
    /// The step's time in sampling the rollouts (step 4), scoring them under the reference
    /// (step 7) and updating the policy (step 8).
    pub generation_seconds: f64,
    pub scoring_seconds: f64,
    pub update_seconds: f64,
}

/// One sampled sequence and what the update needs about it.
struct Sequence {
    /// question + hint + completion
    tokens: Vec<u32>,
    question_len: usize,
    prompt_len: usize,
    advantage: f32,
    /// log π_old / log π_ref of tokens 1.. (one per next-token position)
    old: Vec<f32>,
    reference: Vec<f32>,
}

/// The policy being trained (on an autodiff device), its frozen reference and optimizer.
pub struct RlState {
    pub model: Transformer,
    pub reference: Transformer,
    pub optimizer: AdamW,
}

impl RlState {
    pub fn new(model: Transformer, config: &RlConfig) -> Self {
        let reference = model.valid();
        RlState {
            model,
            reference,
            optimizer: AdamW::new(config.optimizer),
        }
    }
}

/// Runs RL step `step` (zero-based) and returns its metrics.
pub fn rl_step(
    state: &mut RlState,
    config: &RlConfig,
    tokenizer: &Tokenizer,
    train: &[Example],
    step: u64,
    device: &Device,
) -> Result<StepMetrics> {
    let started = Instant::now();
    let timestep = step + 1;
    let policy = state.model.valid();
    let pad = pad_token(&policy, tokenizer);
    let plain = device.clone().without_autodiff();

    // Steps 1–3: the step's prompts, each with its hint.
    let indices = batch_indices(config.seed, step, config.prompts_per_step, train.len());
    let mut prompts = Vec::with_capacity(indices.len());
    let mut fractions = Vec::with_capacity(indices.len());
    let mut hint_tokens = 0usize;
    for &index in &indices {
        let example = &train[index];
        let mut rng = keyed_rng(&[config.seed, label_key("train/hint"), step, index as u64]);
        let question = tokenizer.encode(&example.question)?;
        let (hint, hint_ids, fraction) = match config.hint_unit {
            HintUnit::Segment => {
                let bounds = segment_boundaries(example.hint.len(), MAX_SEGMENTS);
                let num = bounds.len() - 1;
                let segments = config.schedule.segments(timestep, num, &mut rng);
                let hint: String = example.hint[..bounds[segments]].concat();
                let ids = if hint.is_empty() {
                    Vec::new()
                } else {
                    tokenizer.encode(&hint)?
                };
                (
                    hint,
                    ids,
                    if num == 0 {
                        0.0
                    } else {
                        segments as f64 / num as f64
                    },
                )
            }
            HintUnit::Token => {
                let solution = tokenizer.encode(&example.hint.concat())?;
                let shown = config.schedule.segments(timestep, solution.len(), &mut rng);
                let ids = solution[..shown].to_vec();
                let fraction = if solution.is_empty() {
                    0.0
                } else {
                    shown as f64 / solution.len() as f64
                };
                (tokenizer.decode(&ids)?, ids, fraction)
            }
        };
        hint_tokens += hint_ids.len();
        fractions.push(fraction);
        prompts.push((index, question, hint_ids, hint));
    }

    // Step 4: n completions per prompt, prompt-major.
    let n = config.rollouts;
    let rows: Vec<Vec<u32>> = prompts
        .iter()
        .flat_map(|(_, q, h, _)| std::iter::repeat_n([q.as_slice(), h.as_slice()].concat(), n))
        .collect();
    let options = GenerateOptions {
        max_new_tokens: config.max_new_tokens,
        sampling: Sampling::at_temperature(config.temperature),
        stop_tokens: stop_tokens(&policy, tokenizer),
        pad_token: pad,
        seed: combined_key(&[config.seed, label_key("train/rollouts"), step]),
        use_cache: true,
    };
    let generation_started = Instant::now();
    let completions = generate(&policy, &rows, &options, &plain);
    let generation_seconds = generation_started.elapsed().as_secs_f64();

    // Steps 5–6: rewards and group advantages.
    let mut rewards = Vec::with_capacity(rows.len());
    for (row, completion) in completions.iter().enumerate() {
        let (index, _, _, hint) = &prompts[row / n];
        let example = &train[*index];
        let text = tokenizer.decode(&completion.tokens)?;
        rewards.push(
            example
                .score_text(&format!("{}{hint}{text}", example.question))
                .total as f32,
        );
    }
    let advantages = group_advantages(&rewards, n);

    // Step 7: old and reference log-probabilities, before any update. π_old is the policy that
    // sampled the rollouts, so its log-probability of each response token is the one `generate`
    // returned (`OldLogprobs::Rollout`); verl recomputes it with a separate forward
    // (`compute_log_prob`, `OldLogprobs::Recompute`). Only response positions are read.
    let mut sequences: Vec<Sequence> = rows
        .iter()
        .zip(&completions)
        .enumerate()
        .map(|(row, (prompt, completion))| Sequence {
            tokens: [prompt.as_slice(), completion.tokens.as_slice()].concat(),
            question_len: prompts[row / n].1.len(),
            prompt_len: prompt.len(),
            advantage: advantages[row],
            old: match config.old_logprobs {
                OldLogprobs::Rollout => rollout_logprobs(prompt.len(), &completion.logprobs),
                OldLogprobs::Recompute => Vec::new(),
            },
            reference: Vec::new(),
        })
        .collect();
    let scoring_started = Instant::now();
    let micro = config.micro_batch_prompts * n;
    for chunk in sequences.chunks_mut(micro) {
        let tokens: Vec<Vec<u32>> = chunk.iter().map(|s| s.tokens.clone()).collect();
        // The first position that predicts a response token (t + 1 = prompt_len) in the chunk.
        let first = chunk
            .iter()
            .map(|s| s.prompt_len.saturating_sub(1))
            .min()
            .unwrap_or(0);
        let score = |model: &Transformer| {
            rows_of(token_logprobs_from(
                model,
                &tokens,
                pad,
                config.temperature,
                first,
                &plain,
            ))
        };
        if config.old_logprobs == OldLogprobs::Recompute {
            let old = score(&policy);
            for (sequence, old) in chunk.iter_mut().zip(old) {
                sequence.old = old[..sequence.tokens.len() - 1].to_vec();
            }
        }
        let reference = score(&state.reference);
        for (sequence, reference) in chunk.iter_mut().zip(reference) {
            let len = sequence.tokens.len() - 1;
            sequence.reference = reference[..len].to_vec();
        }
    }
    drop(policy);
    let scoring_seconds = scoring_started.elapsed().as_secs_f64();

    // Step 8: one optimizer update per mini-batch, gradients accumulated over micro-batches.
    let mini = config.mini_batch_prompts * n;
    let grad_accum = config.mini_batch_prompts / config.micro_batch_prompts;
    let mut totals = Totals::default();
    let update_started = Instant::now();
    for mini_batch in sequences.chunks(mini) {
        let mut accumulator = GradientsAccumulator::new();
        for micro_batch in mini_batch.chunks(micro) {
            let tokens: Vec<Vec<u32>> = micro_batch.iter().map(|s| s.tokens.clone()).collect();
            // Without hint tokens the hint term is 0 whatever its log-probabilities: zeros serve.
            let hinted = micro_batch.iter().any(|s| s.prompt_len > s.question_len);
            let extras = Extras {
                entropy: true,
                clamped: hinted,
            };
            let scored = token_logprobs_with(
                &state.model,
                &tokens,
                pad,
                config.temperature,
                extras,
                device,
            );
            let [batch, width] = scored.logprobs.dims();
            let host = |f: &dyn Fn(&Sequence, usize) -> f32| padded(micro_batch, width, f, device);
            let batch_inputs = MicroBatch {
                logprobs: scored.logprobs,
                hint_logprobs: scored
                    .clamped
                    .unwrap_or_else(|| Tensor::zeros([batch, width], device)),
                old_logprobs: host(&|s, t| s.old.get(t).copied().unwrap_or(0.0)),
                ref_logprobs: host(&|s, t| s.reference.get(t).copied().unwrap_or(0.0)),
                entropy: scored.entropy.expect("asked for"),
                advantages: host(&|s, _| s.advantage),
                response_mask: host(&|s, t| {
                    f32::from(t + 1 >= s.prompt_len && t + 1 < s.tokens.len())
                }),
                hint_mask: host(&|s, t| f32::from(t + 1 >= s.question_len && t + 1 < s.prompt_len)),
            };
            let (loss, stats) = total_loss(batch_inputs, &config.loss, grad_accum);
            debug_assert_eq!(batch, micro_batch.len());
            let grads = GradientsParams::from_grads(loss.backward(), &state.model);
            accumulator.accumulate(&state.model, grads);
            totals.add(&stats);
        }
        let model = std::mem::replace(&mut state.model, state.reference.clone());
        let (model, grad_norm) = state.optimizer.step(model, accumulator.grads(), config.lr);
        state.model = model;
        totals.grad_norm += grad_norm;
        totals.updates += 1;
    }

    let update_seconds = update_started.elapsed().as_secs_f64();
    let groups: Vec<&[f32]> = rewards.chunks(n).collect();
    let outcomes: Vec<PromptOutcome> = prompts
        .iter()
        .zip(&groups)
        .map(|((index, _, hint_ids, _), group)| PromptOutcome {
            problem: *index,
            hinted: !hint_ids.is_empty(),
            correct: group.iter().map(|&r| r >= 1.0).collect(),
        })
        .collect();
    let generated: usize = completions.iter().map(|c| c.tokens.len()).sum();
    let scored_tokens: usize = sequences.iter().map(|s| s.tokens.len()).sum();
    let seconds = started.elapsed().as_secs_f64();
    let count = rewards.len() as f64;
    Ok(StepMetrics {
        step: timestep,
        reward_mean: rewards.iter().map(|&r| r as f64).sum::<f64>() / count,
        accuracy: rewards.iter().filter(|&&r| r >= 1.0).count() as f64 / count,
        format_accuracy: rewards.iter().filter(|&&r| r >= 0.1).count() as f64 / count,
        policy_loss: totals.mean(totals.policy_loss),
        clip_fraction: totals.mean(totals.clip_fraction),
        approx_kl: totals.mean(totals.approx_kl),
        kl: totals.mean(totals.kl),
        entropy: totals.mean(totals.entropy),
        hint_nll: totals.mean(totals.hint_nll),
        hint_fraction_mean: fractions.iter().sum::<f64>() / fractions.len() as f64,
        hint_fraction_min: fractions.iter().copied().fold(f64::INFINITY, f64::min),
        hint_fraction_max: fractions.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        hint_tokens: hint_tokens as f64,
        response_length: generated as f64 / count,
        equal_reward_groups: groups
            .iter()
            .filter(|g| g.iter().all(|&r| r == g[0]))
            .count() as f64
            / groups.len() as f64,
        solved_groups: outcomes
            .iter()
            .filter(|o| o.correct.contains(&true))
            .count() as f64
            / outcomes.len() as f64,
        outcomes,
        grad_norm: totals.grad_norm / totals.updates.max(1) as f64,
        lr: config.lr,
        tokens_per_second: (generated + scored_tokens) as f64 / seconds,
        seconds,
        generation_seconds,
        scoring_seconds,
        update_seconds,
    })
}

/// Per-micro-batch statistics summed over a step.
#[derive(Default)]
struct Totals {
    policy_loss: f64,
    clip_fraction: f64,
    approx_kl: f64,
    kl: f64,
    entropy: f64,
    hint_nll: f64,
    micro_batches: usize,
    grad_norm: f64,
    updates: usize,
}

impl Totals {
    fn add(&mut self, stats: &crate::algo::uft::LossStats) {
        self.policy_loss += stats.policy_loss as f64;
        self.clip_fraction += stats.policy.clip_fraction as f64;
        self.approx_kl += stats.policy.approx_kl as f64;
        self.kl += stats.kl as f64;
        self.entropy += stats.entropy as f64;
        self.hint_nll += stats.hint_nll as f64;
        self.micro_batches += 1;
    }

    fn mean(&self, total: f64) -> f64 {
        total / self.micro_batches.max(1) as f64
    }
}

/// A [rows, width] tensor with `value(sequence, position)` at each next-token position
/// (0 beyond a sequence's end).
///
/// # Shapes
/// → [sequences, width]
fn padded(
    sequences: &[Sequence],
    width: usize,
    value: &dyn Fn(&Sequence, usize) -> f32,
    device: &Device,
) -> Tensor<2> {
    let data: Vec<f32> = sequences
        .iter()
        .flat_map(|s| {
            (0..width).map(move |t| {
                if t + 1 < s.tokens.len() {
                    value(s, t)
                } else {
                    0.0
                }
            })
        })
        .collect();
    Tensor::from_data(TensorData::new(data, [sequences.len(), width]), device)
}

/// π_old per next-token position from the rollout's own log-probabilities: position
/// `prompt_len − 1 + j` predicts response token `j`; prompt positions (never read: the policy
/// loss is masked to the response) are 0.
fn rollout_logprobs(prompt_len: usize, response: &[f32]) -> Vec<f32> {
    let mut old = vec![0.0; prompt_len - 1];
    old.extend_from_slice(response);
    old
}

/// A [rows, width] tensor as host rows.
fn rows_of(tensor: Tensor<2>) -> Vec<Vec<f32>> {
    let [_, width] = tensor.dims();
    let flat = tensor
        .try_into_vec_as::<f32>()
        .expect("f32 log-probabilities");
    flat.chunks(width.max(1)).map(<[f32]>::to_vec).collect()
}
