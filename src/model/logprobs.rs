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

/// [`token_logprobs`]'s log-probabilities at positions t ≥ `first` only, 0 before: a no-grad
/// scoring pass whose caller reads only the responses (GRPO's reference and old policies)
/// skips the head and the softmax over the vocabulary at the prompts' positions. Every value
/// kept has the bits `token_logprobs` gives it: the head's matmul computes each position's
/// logits on their own (one chain of products over the hidden size), the softmax each row.
///
/// # Shapes
/// sequences: batch rows of ≥ 2 tokens → [batch, max_len − 1]
pub fn token_logprobs_from(
    model: &Transformer,
    sequences: &[Vec<u32>],
    pad: u32,
    temperature: f32,
    first: usize,
    device: &Device,
) -> Tensor<2> {
    let (tokens, valid) = padded(sequences, pad);
    let [batch, len] = [tokens.len(), tokens[0].len()];
    if first >= len - 1 {
        return Tensor::zeros([batch, len - 1], device);
    }
    let hidden = model.hidden(Inputs::full(&tokens, &valid, device), None); // [batch, len, hidden]
    let logits = model.logits(hidden.slice_dim(1, first..len - 1)); // [batch, len − 1 − first, vocab]
    let scored = log_softmax(at_temperature(logits, temperature), 2)
        .gather(2, next_tokens(&tokens, first, device))
        .squeeze_dim::<2>(2);
    match first {
        0 => scored,
        _ => Tensor::cat(vec![Tensor::zeros([batch, first], device), scored], 1),
    }
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
    let (tokens, valid) = padded(sequences, pad);
    let [batch, len] = [tokens.len(), tokens[0].len()];
    let logits = model.forward(Inputs::full(&tokens, &valid, device)); // [batch, len, vocab]
    let logits = logits.slice_dim(1, 0..len - 1); // [batch, len − 1, vocab]
    let targets = next_tokens(&tokens, 0, device);
    let clamped = extras.clamped.then(|| {
        let log_p = log_softmax(logits.clone().clamp(-100.0, 100.0), 2);
        log_p.gather(2, targets.clone()).squeeze_dim::<2>(2) // [batch, len − 1]
    });
    let log_p = log_softmax(at_temperature(logits, temperature), 2); // [batch, len − 1, vocab]
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

/// The sequences right-padded with `pad`, and which positions are real.
fn padded(sequences: &[Vec<u32>], pad: u32) -> (Vec<Vec<u32>>, Vec<Vec<bool>>) {
    assert!(
        sequences.iter().all(|s| s.len() >= 2),
        "a scored sequence needs at least two tokens"
    );
    right_pad(sequences, pad)
}

/// The token each position t ≥ `first` predicts (t + 1), as gather indices.
///
/// # Shapes
/// tokens: batch rows of len → [batch, len − 1 − first, 1]
fn next_tokens(tokens: &[Vec<u32>], first: usize, device: &Device) -> Tensor<3, Int> {
    let [batch, len] = [tokens.len(), tokens[0].len()];
    let targets: Vec<i64> = tokens
        .iter()
        .flat_map(|row| row[first + 1..].iter().map(|&t| t as i64))
        .collect();
    Tensor::from_data(
        TensorData::new(targets, [batch, len - 1 - first, 1]),
        device,
    )
}

/// logits / T; x / 1 is x exactly, so T = 1 skips the division (and its backward) at no cost
/// in bits.
fn at_temperature(logits: Tensor<3>, temperature: f32) -> Tensor<3> {
    match temperature {
        1.0 => logits,
        t => logits / t as f64,
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::{token_logprobs, token_logprobs_from};
    use crate::model::presets::by_name;
    use crate::model::transformer::Transformer;
    use crate::model::weights::{HostTensor, RandomInit};

    #[test]
    fn scoring_from_a_position_keeps_the_bits_of_scoring_every_position() {
        let device = Device::flex();
        let mut config = by_name("tiny-125k").unwrap();
        config.vocab_size = 97;
        let model = Transformer::build(&config, &mut RandomInit::new(5), &device).unwrap();
        // Rows of different lengths (right padding), as a GRPO micro-batch's.
        let sequences: Vec<Vec<u32>> = (0..3u32)
            .map(|r| (0..20 + 7 * r).map(|t| (t * 31 + r * 17) % 97).collect())
            .collect();
        let rows = |t| HostTensor::of(t).expect("f32").data;
        for temperature in [1.0, 0.7] {
            let every = rows(token_logprobs(&model, &sequences, 0, temperature, &device).logprobs);
            let width = every.len() / 3;
            for first in [0, 1, 11, width] {
                let from = rows(token_logprobs_from(
                    &model,
                    &sequences,
                    0,
                    temperature,
                    first,
                    &device,
                ));
                assert_eq!(from.len(), every.len());
                for (i, (got, want)) in from.iter().zip(&every).enumerate() {
                    let want = if i % width < first { 0.0 } else { *want };
                    assert_eq!(got.to_bits(), want.to_bits(), "first {first}, element {i}");
                }
            }
        }
    }
}
