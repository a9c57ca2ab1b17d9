//! `repro model speed`: the time of one no-grad forward at a fixed shape on fixed tokens, so
//! forward-only speed can be compared with other tools (`scripts/bench_vs_torch.py`) and across
//! commits (the criterion benchmarks in `benches/model.rs` use the same token rows); with
//! `--train`, of one training step on them (what a GPU machine without the benchmark binary
//! measures, scripts/gpu_device.sh).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use burn::optim::GradientsParams;
use burn::tensor::Device;

use super::batch::{Inputs, right_pad};
use super::checkpoint;
use super::device::DeviceKind;
use super::logprobs::token_logprobs;
use crate::train::optimizer::{AdamW, AdamWConfig};

/// Fixed pseudo-random token rows (a 64-bit linear congruential sequence, Knuth's MMIX
/// constants), identical across commits and reproducible in any language.
pub fn fixed_token_rows(batch: usize, len: usize, vocab: usize, salt: u64) -> Vec<Vec<u32>> {
    let mut state = 0x2545_f491_4f6c_dd1d ^ salt;
    (0..batch)
        .map(|_| {
            (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((state >> 33) % vocab as u64) as u32
                })
                .collect()
        })
        .collect()
}

/// What `repro model speed` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// A no-grad forward to the logits.
    Forward,
    /// A training step: forward with autodiff, the token-mean negative log-likelihood of every
    /// next token, backward, clipping and AdamW (verl's SFT settings, a constant 1e-3 rate).
    Train,
}

/// One warm-up run, then `repeat` timed ones over `batch × len` tokens (salt 1): a JSON
/// line `{"work", "batch", "len", "tokens_per_second", "seconds": [...]}`.
pub fn speed_command(
    model: &Path,
    batch: usize,
    len: usize,
    repeat: usize,
    device: DeviceKind,
    work: Work,
) -> Result<String> {
    if batch == 0 || len == 0 || repeat == 0 {
        bail!("--batch, --len and --repeat must be at least 1");
    }
    if work == Work::Train && len < 2 {
        bail!("--train needs --len of at least 2 (a token and the next one to predict)");
    }
    let device = device.device()?;
    let (seconds, losses) = match work {
        Work::Forward => (forward_seconds(model, [batch, len], repeat, &device)?, None),
        Work::Train => {
            let (seconds, losses) = train_step_seconds(model, [batch, len], repeat, &device)?;
            (seconds, Some(losses))
        }
    };
    let median = median_seconds(&seconds);
    let mut json = serde_json::json!({
        "work": match work {
            Work::Forward => "forward",
            Work::Train => "train",
        },
        "batch": batch,
        "len": len,
        "tokens_per_second": (batch * len) as f64 / median,
        "seconds": seconds,
    });
    if let Some(losses) = losses {
        json["losses"] = serde_json::json!(losses);
    }
    Ok(json.to_string() + "\n")
}

/// The median of timed runs, in whatever order they came.
pub fn median_seconds(seconds: &[f64]) -> f64 {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    crate::plot::series::median(&sorted)
}

/// The seconds of `repeat` forwards after one warm-up; each ends when its logits are on the host.
fn forward_seconds(
    model: &Path,
    [batch, len]: [usize; 2],
    repeat: usize,
    device: &Device,
) -> Result<Vec<f64>> {
    let (_, transformer) = checkpoint::load_with_tokenizer(model, device)?;
    let rows = fixed_token_rows(batch, len, transformer.config().vocab_size, 1);
    let (tokens, valid) = right_pad(&rows, 0);
    let forward = || {
        let started = Instant::now();
        transformer
            .forward(Inputs::full(&tokens, &valid, device))
            .into_data();
        started.elapsed().as_secs_f64()
    };
    forward();
    Ok((0..repeat).map(|_| forward()).collect())
}

/// The seconds of `repeat` training steps after one warm-up, and the loss of every step (the
/// warm-up's first): the same rows each time, so it falls. A step's time runs from one loss
/// read back to the host to the next: on a GPU, whose work is queued, the next forward cannot
/// finish before the previous update has, so each interval holds one whole step.
fn train_step_seconds(
    model: &Path,
    [batch, len]: [usize; 2],
    repeat: usize,
    device: &Device,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let device = device.clone().autodiff();
    let (_, mut transformer) = checkpoint::load_with_tokenizer(model, &device)?;
    let rows = fixed_token_rows(batch, len, transformer.config().vocab_size, 1);
    let mut optimizer = AdamW::new(AdamWConfig::SFT);
    let mut step = || {
        let scored = token_logprobs(&transformer, &rows, 0, 1.0, &device);
        let loss = scored.logprobs.mean().neg();
        let value = loss.clone().into_scalar::<f64>();
        let grads = GradientsParams::from_grads(loss.backward(), &transformer);
        let copy = transformer.clone();
        let current = std::mem::replace(&mut transformer, copy);
        transformer = optimizer.step(current, grads, 1e-3).0;
        value
    };
    let mut losses = vec![step()];
    let mut last = Instant::now();
    let mut seconds = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        losses.push(step());
        seconds.push(last.elapsed().as_secs_f64());
        last = Instant::now();
    }
    Ok((seconds, losses))
}

#[cfg(test)]
mod tests {
    use super::fixed_token_rows;

    #[test]
    fn fixed_token_rows_are_the_documented_sequence() {
        let rows = fixed_token_rows(2, 3, 1000, 1);
        // The same sequence computed in Python (scripts/bench_vs_torch.py's `fixed_tokens`).
        assert_eq!(rows, [[118, 433, 290], [77, 927, 970]]);
        assert_eq!(rows, fixed_token_rows(2, 3, 1000, 1));
        assert_ne!(rows, fixed_token_rows(2, 3, 1000, 2));
    }
}
