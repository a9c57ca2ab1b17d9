//! Per-token log-probabilities and entropies of given sequences in one batched forward pass:
//! the quantity SFT, GRPO's ratio, the KL term and UFT's hint log-likelihood all build on.
//!
//! ```text
//! logprob[b, t] = log softmax(logits[b, t] / T)[x[b, t + 1]]
//! entropy[b, t] = −Σ_v p_v log p_v,   p = softmax(logits[b, t] / T)
//! ```
//! for t = 0 … len − 2: position t predicts token t + 1. The tensors stay on the device and keep
//! their autodiff graph when the model is being trained.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::batch::{Inputs, right_pad};
use super::transformer::Transformer;

pub struct TokenLogprobs {
    /// [batch, len − 1]: log-probability of token t + 1 given tokens ≤ t.
    pub logprobs: Tensor<2>,
    /// [batch, len − 1]: entropy of the predictive distribution at t; present when asked for.
    pub entropy: Option<Tensor<2>>,
    /// [batch, len − 1]: 1 where token t + 1 is real, 0 where it is padding.
    pub valid: Tensor<2>,
    /// [batch, len − 1]: log-probabilities from logits clamped to [−100, 100] at T = 1, the
    /// form UFT's hint log-likelihood uses (`dp_actor.py`); present when asked for.
    pub clamped: Option<Tensor<2>>,
}

/// What a scoring pass computes besides the log-probabilities. Each is a few operations over the
/// whole [batch, len − 1, vocab] tensor (and their backward), so only the passes that use them
/// ask: the RL update the entropy, and the clamped form when its micro-batch has hint tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    pub entropy: bool,
    pub clamped: bool,
}

/// Right-pads `sequences` with `pad` and scores every next token at `temperature`.
///
/// # Shapes
/// sequences: batch rows of ≥ 2 tokens → [batch, max_len − 1] tensors
pub fn token_logprobs(
    model: &Transformer,
    sequences: &[Vec<u32>],
    pad: u32,
    temperature: f32,
    device: &Device,
) -> TokenLogprobs {
    token_logprobs_with(
        model,
        sequences,
        pad,
        temperature,
        Extras::default(),
        device,
    )
}

/// As [`token_logprobs`], adding the entropy and the clamped log-probabilities of the hint
/// term when `extras` asks for them.
pub fn token_logprobs_with(
    model: &Transformer,
    sequences: &[Vec<u32>],
    pad: u32,
    temperature: f32,
    extras: Extras,
    device: &Device,
) -> TokenLogprobs {
    assert!(
        sequences.iter().all(|s| s.len() >= 2),
        "a scored sequence needs at least two tokens"
    );
    let (tokens, valid) = right_pad(sequences, pad);
    let [batch, len] = [tokens.len(), tokens[0].len()];
    let logits = model.forward(Inputs::full(&tokens, &valid, device)); // [batch, len, vocab]
    let logits = logits.slice_dim(1, 0..len - 1); // [batch, len − 1, vocab]
    let targets: Vec<i64> = tokens
        .iter()
        .flat_map(|row| row[1..].iter().map(|&t| t as i64))
        .collect();
    let targets =
        Tensor::<3, Int>::from_data(TensorData::new(targets, [batch, len - 1, 1]), device);
    let clamped = extras.clamped.then(|| {
        let log_p = log_softmax(logits.clone().clamp(-100.0, 100.0), 2);
        log_p.gather(2, targets.clone()).squeeze_dim::<2>(2) // [batch, len − 1]
    });
    // x / 1 is x exactly, so T = 1 skips the division (and its backward) at no cost in bits.
    let logits = match temperature {
        1.0 => logits,
        t => logits / t as f64,
    };
    let log_p = log_softmax(logits, 2); // [batch, len − 1, vocab]
    let entropy = extras.entropy.then(|| {
        (log_p.clone().exp() * log_p.clone())
            .sum_dim(2)
            .squeeze_dim::<2>(2)
            .neg() // [batch, len − 1]
    });
    let logprobs = log_p.gather(2, targets).squeeze_dim::<2>(2); // [batch, len − 1]
    let mask: Vec<f32> = valid
        .iter()
        .flat_map(|row| row[1..].iter().map(|&v| v as u8 as f32))
        .collect();
    let valid = Tensor::<2>::from_data(TensorData::new(mask, [batch, len - 1]), device);
    TokenLogprobs {
        logprobs,
        entropy,
        valid,
        clamped,
    }
}
