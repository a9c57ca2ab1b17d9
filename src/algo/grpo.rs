//! GRPO (paper §1.4 of the specification; `liumy2010/UFT:verl/trainer/ppo/core_algos.py`):
//! group-normalised outcome advantages, the PPO-clip policy loss and the k3 KL estimator.
//!
//! Deviations from a textbook GRPO, all following the official code:
//! 1. No KL penalty in the reward: the KL term is a loss (`use_kl_loss = True`, `low_var_kl`).
//! 2. Every mean over tokens is a token-mean over the whole micro-batch (not per sequence).
//! 3. The std in the advantage is the unbiased one (`torch.std`), and a group of one has mean 0
//!    and std 1.

use burn::tensor::Tensor;

/// `A_i = (r_i − mean_g) / (std_g + 1e-6)` over each group of `group_size` consecutive rewards
/// (the rollouts of one prompt), with the unbiased std (N − 1); a group of one has mean 0 and
/// std 1 (`compute_grpo_outcome_advantage`). Computed in f32 as the code does.
///
/// # Shapes
/// rewards: [groups · group_size] → [groups · group_size]
pub fn group_advantages(rewards: &[f32], group_size: usize) -> Vec<f32> {
    assert!(
        group_size > 0 && rewards.len() % group_size == 0,
        "rewards come in whole groups"
    );
    const EPSILON: f32 = 1e-6;
    rewards
        .chunks(group_size)
        .flat_map(|group| {
            let (mean, std) = if group.len() == 1 {
                (0.0, 1.0)
            } else {
                let n = group.len() as f32;
                let mean = group.iter().sum::<f32>() / n;
                let variance =
                    group.iter().map(|r| (r - mean) * (r - mean)).sum::<f32>() / (n - 1.0);
                (mean, variance.sqrt())
            };
            group.iter().map(move |r| (r - mean) / (std + EPSILON))
        })
        .collect()
}

/// `Σ x·mask / Σ mask` (`verl.utils.torch_functional.masked_mean`).
///
/// # Shapes
/// values, mask: [batch, len] → [1]
pub fn masked_mean(values: Tensor<2>, mask: Tensor<2>) -> Tensor<1> {
    (values * mask.clone()).sum() / mask.sum()
}

/// What the policy loss reports besides its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolicyStats {
    /// Fraction of response tokens where the clipped term was the larger (active clip).
    pub clip_fraction: f32,
    /// `mean(old_logprob − logprob)`, the code's `ppo_kl`.
    pub approx_kl: f32,
}

/// The PPO-clip loss, token-mean over valid response tokens (`compute_policy_loss`):
///
/// ```text
/// r = exp(logπ − logπ_old),   L = mean_tokens max(−A·r, −A·clip(r, 1 − ε, 1 + ε))
/// ```
///
/// # Shapes
/// logprobs, old_logprobs, advantages, mask: [batch, len] → loss [1]
pub fn policy_loss(
    logprobs: Tensor<2>,
    old_logprobs: Tensor<2>,
    advantages: Tensor<2>,
    mask: Tensor<2>,
    clip: f64,
) -> (Tensor<1>, PolicyStats) {
    let log_ratio = logprobs - old_logprobs; // [batch, len]
    let ratio = log_ratio.clone().exp();
    let unclipped = advantages.clone().neg() * ratio.clone();
    let clipped = advantages.neg() * ratio.clamp(1.0 - clip, 1.0 + clip);
    let clip_active = clipped
        .clone()
        .detach()
        .greater(unclipped.clone().detach())
        .float();
    let loss = masked_mean(unclipped.max_pair(clipped), mask.clone());
    let stats = PolicyStats {
        clip_fraction: masked_mean(clip_active, mask.clone()).into_scalar::<f32>(),
        approx_kl: masked_mean(log_ratio.detach().neg(), mask).into_scalar::<f32>(),
    };
    (loss, stats)
}

/// The k3 ("low_var_kl") estimate of KL(π ‖ π_ref) per token, clamped to [−10, 10]
/// (`core_algos.kl_penalty`): with `d = logπ_ref − logπ`, `k3 = exp(d) − d − 1`.
///
/// # Shapes
/// logprobs, ref_logprobs: [batch, len] → [batch, len]
pub fn low_var_kl(logprobs: Tensor<2>, ref_logprobs: Tensor<2>) -> Tensor<2> {
    let d = ref_logprobs - logprobs;
    (d.clone().exp() - d - 1.0).clamp(-10.0, 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn tensor(values: &[f32], shape: [usize; 2], device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), device)
    }

    #[test]
    fn advantages_of_two_groups_of_three() {
        // Group 1: r = (1, 0, 0), mean 1/3, unbiased std √((4/9 + 1/9 + 1/9)/2) = √(1/3) = 0.577350
        //   → A = (2/3)/0.577351 = 1.154699, (−1/3)/0.577351 = −0.577349 (twice).
        // Group 2: r = (1, 1, 1), std 0 → A = 0 / (0 + 1e-6) = 0.
        let a = group_advantages(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], 3);
        let expected = [1.154_699, -0.577_349, -0.577_349, 0.0, 0.0, 0.0];
        for (got, want) in a.iter().zip(expected) {
            assert!((got - want).abs() < 2e-6, "{a:?}");
        }
        // A group of one: mean 0, std 1.
        let single = group_advantages(&[0.1, 1.0], 1);
        assert!((single[0] - 0.1).abs() < 1e-6 && (single[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn policy_loss_by_hand_with_one_clipped_token() {
        // Tokens (A, r): (1, e^0.1 = 1.10517), (−1, e^−0.5 = 0.60653), (2, 1), and a padded fourth.
        // Token 1: max(−1.10517, −1·clip(1.10517) = −1.10517) = −1.10517 (r inside [0.8, 1.2]).
        // Token 2: max(0.60653, 1·clip(0.60653) = 0.8) = 0.8 → clipped.
        // Token 3: max(−2, −2) = −2.
        // Mean over 3 valid tokens: (−1.10517 + 0.8 − 2)/3 = −0.768390; clip fraction 1/3;
        // approx KL = mean(−0.1, 0.5, 0) = 0.133333.
        let device = Device::flex();
        let old = tensor(&[0.0, 0.0, 0.0, 0.0], [2, 2], &device);
        let new = tensor(&[0.1, -0.5, 0.0, 3.0], [2, 2], &device);
        let adv = tensor(&[1.0, -1.0, 2.0, 5.0], [2, 2], &device);
        let mask = tensor(&[1.0, 1.0, 1.0, 0.0], [2, 2], &device);
        let (loss, stats) = policy_loss(new, old, adv, mask, 0.2);
        assert!((loss.into_scalar::<f32>() - (-0.768_390)).abs() < 1e-5);
        assert!((stats.clip_fraction - 1.0 / 3.0).abs() < 1e-6);
        assert!((stats.approx_kl - 0.133_333).abs() < 1e-5);
    }

    #[test]
    fn policy_gradient_is_minus_advantage_over_tokens_inside_the_clip_and_zero_outside() {
        // d/dlogπ of −A·exp(logπ − logπ_old) at logπ = logπ_old is −A; divided by 3 valid tokens.
        let device = Device::flex().autodiff();
        let new = tensor(&[0.0, -0.5, 0.0, 0.0], [2, 2], &device).require_grad();
        let old = tensor(&[0.0; 4], [2, 2], &device);
        let adv = tensor(&[1.0, -1.0, 2.0, 5.0], [2, 2], &device);
        let mask = tensor(&[1.0, 1.0, 1.0, 0.0], [2, 2], &device);
        let (loss, _) = policy_loss(new.clone(), old, adv, mask, 0.2);
        let grad = new
            .grad(&loss.backward())
            .unwrap()
            .try_into_vec_as::<f32>()
            .unwrap();
        let expected = [-1.0 / 3.0, 0.0, -2.0 / 3.0, 0.0]; // token 2 is clipped, token 4 is padding
        for (got, want) in grad.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{grad:?}");
        }
    }

    #[test]
    fn equal_rewards_give_zero_advantage_and_zero_policy_gradient() {
        let advantages = group_advantages(&[0.1, 0.1, 0.1, 0.1], 4);
        assert!(advantages.iter().all(|&a| a == 0.0));
        let device = Device::flex().autodiff();
        let new = tensor(&[0.3, -0.2, 0.1, 0.0], [2, 2], &device).require_grad();
        let (loss, _) = policy_loss(
            new.clone(),
            tensor(&[0.0; 4], [2, 2], &device),
            tensor(&advantages, [2, 2], &device),
            tensor(&[1.0; 4], [2, 2], &device),
            0.2,
        );
        let grad = new
            .grad(&loss.backward())
            .unwrap()
            .try_into_vec_as::<f32>()
            .unwrap();
        assert!(grad.iter().all(|&g| g == 0.0), "{grad:?}");
    }

    #[test]
    fn k3_kl_by_hand() {
        // d = ref − logp: 0 → 0; 1 → e − 2 = 0.718282; −1 → e⁻¹ = 0.367879; 20 → clamped to 10.
        let device = Device::flex();
        let logp = tensor(&[0.0, 0.0, 1.0, -20.0], [1, 4], &device);
        let reference = tensor(&[0.0, 1.0, 0.0, 0.0], [1, 4], &device);
        let kl = low_var_kl(logp, reference)
            .try_into_vec_as::<f32>()
            .unwrap();
        let expected = [0.0, 0.718_282, 0.367_879, 10.0];
        for (got, want) in kl.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{kl:?}");
        }
    }
}
