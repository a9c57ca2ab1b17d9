//! Supervised fine-tuning on the reference solutions (specification §1.5;
//! `liumy2010/UFT:verl/trainer/fsdp_sft_trainer.py`, `sft_dataset.py`): the prompt is the
//! `question` column, the target the `answer` column followed by the end-of-text token; the loss
//! is the token-mean negative log-likelihood of the response tokens except the last one (verl
//! masks the last response token). AdamW with betas (0.9, 0.95), a cosine learning rate with
//! 10 % warmup, and the global gradient norm clipped at 1.

use std::time::Instant;

use anyhow::{Result, bail};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

use super::data::batch_indices;
use super::optimizer::{AdamW, AdamWConfig};
use crate::algo::sft::sft_loss;
use crate::model::Transformer;
use crate::model::logprobs::token_logprobs;
use crate::model::tokenizer::Tokenizer;
use crate::tasks::example::Example;

#[derive(Clone, Debug, PartialEq)]
pub struct SftConfig {
    pub epochs: u64,
    /// Cap on the optimizer steps (the code's `min(steps_per_epoch · epochs, 500)`).
    pub max_steps: u64,
    /// Examples per optimizer step.
    pub batch_examples: usize,
    /// Examples per forward/backward pass.
    pub micro_batch_examples: usize,
    pub lr: f64,
    pub warmup_ratio: f64,
    pub optimizer: AdamWConfig,
    pub seed: u64,
}

impl SftConfig {
    /// Optimizer steps for `examples` training examples (incomplete batches dropped).
    pub fn total_steps(&self, examples: usize) -> u64 {
        ((examples / self.batch_examples.max(1)) as u64 * self.epochs).min(self.max_steps)
    }

    pub fn validate(&self, examples: usize) -> Result<()> {
        if self.batch_examples == 0
            || self.micro_batch_examples == 0
            || self.batch_examples % self.micro_batch_examples != 0
        {
            bail!(
                "sft batch ({}) must be a positive multiple of the micro-batch ({})",
                self.batch_examples,
                self.micro_batch_examples
            );
        }
        if self.batch_examples > examples {
            bail!(
                "the sft batch ({}) exceeds the {examples} training examples",
                self.batch_examples
            );
        }
        Ok(())
    }
}

/// The learning rate at zero-based `step` of `total`: linear warmup over `warmup_ratio · total`
/// steps, then cosine decay to 0 (transformers' `get_cosine_schedule_with_warmup`).
pub fn cosine_with_warmup(lr: f64, step: u64, total: u64, warmup_ratio: f64) -> f64 {
    let warmup = (warmup_ratio * total as f64) as u64;
    if step < warmup {
        return lr * step as f64 / warmup.max(1) as f64;
    }
    let progress = (step - warmup) as f64 / (total - warmup).max(1) as f64;
    lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()).max(0.0)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SftStepMetrics {
    pub step: u64,
    pub loss: f64,
    pub grad_norm: f64,
    pub lr: f64,
    /// Reference-solution tokens trained on this step (the annotation SFT consumes).
    pub target_tokens: f64,
    pub tokens_per_second: f64,
    pub seconds: f64,
}

/// One SFT optimizer step (zero-based `step`).
/// A supervised pair: the context, and the text the model is trained to continue it with.
pub trait SftPair {
    fn context(&self) -> &str;
    fn target(&self) -> std::borrow::Cow<'_, str>;
    /// Whether the end-of-text token after the target is trained too. The code's SFT loss
    /// leaves it out (its mask drops each response's last token); the pretraining corpus
    /// trains it, so that base models learn to stop.
    fn trains_end(&self) -> bool {
        false
    }
    /// Whether the context's tokens are trained too (language-model loss on the whole text).
    /// SFT and the pretraining corpus train the response only (a loss masked to the answer is
    /// what makes tiny models learn arithmetic, `tiny-models.md`).
    fn trains_context(&self) -> bool {
        false
    }
}

/// A task example: its question, then its reference answer (or, lacking one, its solution).
impl SftPair for Example {
    fn context(&self) -> &str {
        &self.question
    }
    fn target(&self) -> std::borrow::Cow<'_, str> {
        match &self.answer {
            Some(answer) => answer.into(),
            None => self.hint.concat().into(),
        }
    }
}

/// A pretraining corpus document.
impl SftPair for crate::tasks::generate::corpus::Document {
    fn context(&self) -> &str {
        &self.prompt
    }
    fn target(&self) -> std::borrow::Cow<'_, str> {
        (&self.continuation).into()
    }
    fn trains_end(&self) -> bool {
        true
    }
}

pub fn sft_step(
    model: &mut Transformer,
    optimizer: &mut AdamW,
    config: &SftConfig,
    tokenizer: &Tokenizer,
    train: &[impl SftPair],
    step: u64,
    device: &Device,
) -> Result<SftStepMetrics> {
    let started = Instant::now();
    let eos = tokenizer.end_of_text().unwrap_or(0);
    let total = config.total_steps(train.len());
    let lr = cosine_with_warmup(config.lr, step, total, config.warmup_ratio);
    let indices = batch_indices(config.seed, step, config.batch_examples, train.len());
    let mut rows = Vec::with_capacity(indices.len());
    for &index in &indices {
        let pair = &train[index];
        let question = tokenizer.encode(pair.context())?;
        let mut response = tokenizer.encode(&pair.target())?;
        response.push(eos);
        let first_target = if pair.trains_context() {
            1
        } else {
            question.len()
        };
        rows.push((
            first_target,
            [question, response].concat(),
            pair.trains_end(),
        ));
    }
    let grad_accum = config.batch_examples / config.micro_batch_examples;
    let mut accumulator = GradientsAccumulator::new();
    let mut loss_total = 0.0;
    let mut tokens = 0;
    let mut target_tokens = 0.0;
    for micro in rows.chunks(config.micro_batch_examples) {
        let sequences: Vec<Vec<u32>> = micro.iter().map(|(_, s, _)| s.clone()).collect();
        tokens += sequences.iter().map(Vec::len).sum::<usize>();
        let scored = token_logprobs(model, &sequences, eos, 1.0, device);
        let [batch, width] = scored.logprobs.dims();
        // Targets are tokens question_len .. len − 2: the response without its last token
        // (the end-of-text token), unless the pair trains it; from token 1 if it trains its
        // context.
        let mask: Vec<f32> = micro
            .iter()
            .flat_map(|(first_target, s, trains_end)| {
                let end = if *trains_end { s.len() } else { s.len() - 1 };
                (0..width).map(move |t| f32::from(t + 1 >= *first_target && t + 1 < end))
            })
            .collect();
        target_tokens += mask.iter().map(|&m| m as f64).sum::<f64>();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [batch, width]), device);
        let loss = sft_loss(scored.logprobs, mask) / grad_accum as f64;
        loss_total += loss.clone().into_scalar::<f64>();
        accumulator.accumulate(
            &*model,
            GradientsParams::from_grads(loss.backward(), &*model),
        );
    }
    let current = std::mem::replace(model, model.clone());
    let (updated, grad_norm) = optimizer.step(current, accumulator.grads(), lr);
    *model = updated;
    let seconds = started.elapsed().as_secs_f64();
    Ok(SftStepMetrics {
        step: step + 1,
        loss: loss_total,
        grad_norm,
        lr,
        target_tokens,
        tokens_per_second: tokens as f64 / seconds,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_schedule_warms_up_then_decays_to_zero() {
        // 100 steps, 10 % warmup: 0 at step 0, 0.5·lr at 5, lr at 10, lr/2 at 55, → 0 at 100.
        let lr = |s| cosine_with_warmup(1.0, s, 100, 0.1);
        assert_eq!(lr(0), 0.0);
        assert!((lr(5) - 0.5).abs() < 1e-12);
        assert!((lr(10) - 1.0).abs() < 1e-12);
        assert!((lr(55) - 0.5).abs() < 1e-12);
        assert!(lr(99) < 0.001);
    }
}
