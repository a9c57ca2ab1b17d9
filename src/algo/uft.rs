//! UFT's objective (paper eq. 3.3) in the official code's form
//! (`liumy2010/UFT:verl/workers/actor/dp_actor.py:update_policy`), per micro-batch:
//!
//! ```text
//! loss = pg_loss − c_ent · entropy + β · hint_nll + c_kl · kl,        then ÷ grad_accum
//! ```
//! - `pg_loss`, `entropy`, `kl`: token-means over the **response** tokens (generated after
//!   question + hint);
//! - `hint_nll`: cross-entropy of the **hint** tokens inside the prompt (logits clamped to
//!   [−100, 100] before the softmax), token-mean with the denominator clamped at 1e-6 so a batch
//!   without hints contributes 0; each rollout carries its prompt's hint, so a hint counts once
//!   per rollout;
//! - β = `sft_loss_coef` = 0.001, c_kl = 0.001, c_ent = 0.001 by default.
//!
//! The paper's eq. 3.3 writes the hint term as a *sum* of log-likelihoods over the hint,
//! `+β Σ_{h<l} log π(a*_h | s*_h)` per trajectory; [`HintReduction::SequenceSum`] offers that
//! form (sum over a sequence's hint tokens, mean over sequences). The code's token-mean is the
//! default.

use burn::tensor::Tensor;

use super::grpo::{PolicyStats, low_var_kl, masked_mean, policy_loss};

/// How the hint log-likelihood is averaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HintReduction {
    /// Mean over all hint tokens of the micro-batch (the official code).
    #[default]
    TokenMean,
    /// Sum over each sequence's hint tokens, mean over sequences (paper eq. 3.3).
    SequenceSum,
}

/// `−Σ m·logπ / max(Σ m, 1e-6)` over hint tokens (or the sequence-sum form).
///
/// # Shapes
/// logprobs, hint_mask: [batch, len] → [1]
pub fn hint_nll(logprobs: Tensor<2>, hint_mask: Tensor<2>, reduction: HintReduction) -> Tensor<1> {
    let [batch, _] = logprobs.dims();
    let masked = (logprobs * hint_mask.clone()).neg();
    match reduction {
        HintReduction::TokenMean => masked.sum() / hint_mask.sum().clamp_min(1e-6),
        HintReduction::SequenceSum => masked.sum() / batch as f64,
    }
}

/// The coefficients of the terms (Table 1 and the code's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossWeights {
    /// β: the hint log-likelihood (`sft_loss_coef`); 0 for RFT-with-hints variants and R³.
    pub hint: f64,
    /// KL to the reference model (`kl_loss_coef`).
    pub kl: f64,
    /// Entropy bonus (`entropy_coeff`).
    pub entropy: f64,
    /// PPO clip ε.
    pub clip: f64,
    pub hint_reduction: HintReduction,
}

impl Default for LossWeights {
    fn default() -> Self {
        LossWeights {
            hint: 0.001,
            kl: 0.001,
            entropy: 0.001,
            clip: 0.2,
            hint_reduction: HintReduction::TokenMean,
        }
    }
}

/// The per-token inputs of one micro-batch, all [batch, len] over next-token positions.
pub struct MicroBatch {
    /// log π at the rollout temperature (policy, KL).
    pub logprobs: Tensor<2>,
    /// log π from logits clamped to [−100, 100] at T = 1 (the hint term; `dp_actor.py`).
    pub hint_logprobs: Tensor<2>,
    pub old_logprobs: Tensor<2>,
    pub ref_logprobs: Tensor<2>,
    pub entropy: Tensor<2>,
    pub advantages: Tensor<2>,
    /// 1 on generated response tokens.
    pub response_mask: Tensor<2>,
    /// 1 on hint tokens inside the prompt.
    pub hint_mask: Tensor<2>,
}

/// Every term's value, for the metrics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossStats {
    pub policy_loss: f32,
    pub entropy: f32,
    pub kl: f32,
    pub hint_nll: f32,
    pub policy: PolicyStats,
}

/// The total loss of one micro-batch, divided by the number of micro-batches accumulated.
pub fn total_loss(
    batch: MicroBatch,
    weights: &LossWeights,
    grad_accum: usize,
) -> (Tensor<1>, LossStats) {
    let MicroBatch {
        logprobs,
        hint_logprobs,
        old_logprobs,
        ref_logprobs,
        entropy,
        advantages,
        response_mask,
        hint_mask,
    } = batch;
    let (pg, policy) = policy_loss(
        logprobs.clone(),
        old_logprobs,
        advantages,
        response_mask.clone(),
        weights.clip,
    );
    let entropy = masked_mean(entropy, response_mask.clone());
    // Outside the responses the scoring passes leave log π_ref at 0 (prompt and padding
    // positions are never scored), where exp(0 − log π) could overflow and its backward give
    // 0 · ∞ = NaN; both sides are zeroed there first, which changes no response value (x · 1 = x).
    let kl = low_var_kl(
        logprobs.clone() * response_mask.clone(),
        ref_logprobs * response_mask.clone(),
    );
    let kl = masked_mean(kl, response_mask);
    let hint = hint_nll(hint_logprobs, hint_mask, weights.hint_reduction);
    let stats = LossStats {
        policy_loss: pg.clone().into_scalar::<f32>(),
        entropy: entropy.clone().into_scalar::<f32>(),
        kl: kl.clone().into_scalar::<f32>(),
        hint_nll: hint.clone().into_scalar::<f32>(),
        policy,
    };
    let loss = pg - entropy * weights.entropy + hint * weights.hint + kl * weights.kl;
    (loss / grad_accum as f64, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn tensor(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
    }

    #[test]
    fn hint_nll_token_mean_sequence_sum_and_no_hint() {
        // Two sequences, log-probs (−1, −2, −3 | −4, −5, −6); hints: tokens 0–1 of row 0, token 0 of row 1.
        // Token mean: (1 + 2 + 4)/3 = 2.333333. Sequence sum: (3 + 4)/2 = 3.5. No hint tokens: 0.
        let device = Device::flex();
        let lp = tensor(&[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], [2, 3], &device);
        let hint = tensor(&[1.0, 1.0, 0.0, 1.0, 0.0, 0.0], [2, 3], &device);
        let token_mean =
            hint_nll(lp.clone(), hint.clone(), HintReduction::TokenMean).into_scalar::<f32>();
        assert!((token_mean - 7.0 / 3.0).abs() < 1e-6);
        let sequence_sum =
            hint_nll(lp.clone(), hint, HintReduction::SequenceSum).into_scalar::<f32>();
        assert!((sequence_sum - 3.5).abs() < 1e-6);
        let none = hint_nll(
            lp,
            tensor(&[0.0; 6], [2, 3], &device),
            HintReduction::TokenMean,
        )
        .into_scalar::<f32>();
        assert_eq!(none, 0.0);
    }

    #[test]
    fn hint_term_touches_only_hint_tokens_and_policy_terms_only_response_tokens() {
        // Row layout: [prompt, hint, hint, response, response]. With advantages 0 and the policy
        // equal to the reference and to the old policy, the policy and KL gradients vanish, so the
        // gradient on log-probs is β·(−1/2) on the two hint tokens and nothing elsewhere (the
        // entropy input is a separate tensor). Then with β = 0 and A = 1 only response tokens move.
        let device = Device::flex().autodiff();
        let zeros = || tensor(&[0.0; 5], [1, 5], &device);
        let hint_mask = tensor(&[0.0, 1.0, 1.0, 0.0, 0.0], [1, 5], &device);
        let response_mask = tensor(&[0.0, 0.0, 0.0, 1.0, 1.0], [1, 5], &device);
        let run = |weights: LossWeights, advantage: f32| {
            let logprobs = tensor(&[-0.5; 5], [1, 5], &device).require_grad();
            let batch = MicroBatch {
                logprobs: logprobs.clone(),
                hint_logprobs: logprobs.clone(),
                old_logprobs: tensor(&[-0.5; 5], [1, 5], &device),
                ref_logprobs: tensor(&[-0.5; 5], [1, 5], &device),
                entropy: zeros(),
                advantages: tensor(&[advantage; 5], [1, 5], &device),
                response_mask: response_mask.clone(),
                hint_mask: hint_mask.clone(),
            };
            let (loss, _) = total_loss(batch, &weights, 1);
            logprobs
                .grad(&loss.backward())
                .unwrap()
                .try_into_vec_as::<f32>()
                .unwrap()
        };
        let hint_only = run(LossWeights::default(), 0.0);
        let beta = LossWeights::default().hint as f32;
        let expected = [0.0, -beta / 2.0, -beta / 2.0, 0.0, 0.0];
        for (got, want) in hint_only.iter().zip(expected) {
            assert!((got - want).abs() < 1e-9, "{hint_only:?}");
        }
        let policy_only = run(
            LossWeights {
                hint: 0.0,
                ..LossWeights::default()
            },
            1.0,
        );
        assert_eq!(&policy_only[..3], &[0.0, 0.0, 0.0]);
        assert!(
            policy_only[3] < 0.0 && policy_only[4] < 0.0,
            "{policy_only:?}"
        );
    }

    #[test]
    fn values_outside_the_response_change_neither_the_loss_nor_its_gradient() {
        // Position 0 is prompt. There the scoring passes leave log π_ref = 0; a very unlikely
        // prompt token (log π = −100) made exp(0 − (−100)) = ∞ and its backward 0 · ∞ = NaN.
        let device = Device::flex().autodiff();
        let response_mask = tensor(&[0.0, 1.0, 1.0], [1, 3], &device);
        let run = |prompt_logprob: f32, prompt_ref: f32| {
            let logprobs = tensor(&[prompt_logprob, -0.7, -1.2], [1, 3], &device).require_grad();
            let batch = MicroBatch {
                logprobs: logprobs.clone(),
                hint_logprobs: tensor(&[0.0; 3], [1, 3], &device),
                old_logprobs: tensor(&[0.0, -0.6, -1.1], [1, 3], &device),
                ref_logprobs: tensor(&[prompt_ref, -0.9, -1.0], [1, 3], &device),
                entropy: tensor(&[0.0; 3], [1, 3], &device),
                advantages: tensor(&[1.0; 3], [1, 3], &device),
                response_mask: response_mask.clone(),
                hint_mask: tensor(&[0.0; 3], [1, 3], &device),
            };
            let (loss, stats) = total_loss(batch, &LossWeights::default(), 1);
            let grad = logprobs.grad(&loss.backward()).unwrap();
            (stats.kl, grad.try_into_vec_as::<f32>().unwrap())
        };
        let (kl, grad) = run(-100.0, 0.0);
        assert!(
            kl.is_finite() && grad.iter().all(|g| g.is_finite()),
            "{kl} {grad:?}"
        );
        let (kl_scored, grad_scored) = run(-0.8, -0.8);
        assert_eq!(kl.to_bits(), kl_scored.to_bits());
        let bits = |g: &[f32]| g[1..].iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&grad), bits(&grad_scored));
        assert_eq!(grad[0], 0.0);
    }
}
