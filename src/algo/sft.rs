//! The SFT loss (specification §1.5; `verl/trainer/fsdp_sft_trainer.py`): token-mean negative
//! log-likelihood of the reference response given the prompt,
//!
//! ```text
//! L_SFT = − Σ_t m_t · log π(x_{t+1} | x_≤t) / (Σ_t m_t + 1e-8)
//! ```
//! over every response token of the micro-batch (`m` = 1 on response tokens only).

use burn::tensor::Tensor;

/// # Shapes
/// logprobs, response_mask: [batch, len] → [1]
pub fn sft_loss(logprobs: Tensor<2>, response_mask: Tensor<2>) -> Tensor<1> {
    (logprobs * response_mask.clone()).sum().neg() / (response_mask.sum() + 1e-8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn token_mean_over_response_tokens_only() {
        // Log-probs (−1, −2 | −3, −4); the mask keeps −2, −3, −4: loss = 9/3 = 3.
        // Gradient: −1/3 on the three masked-in tokens, 0 on the prompt token.
        let device = Device::flex().autodiff();
        let logprobs = Tensor::<2>::from_data(
            TensorData::new(vec![-1.0f32, -2.0, -3.0, -4.0], [2, 2]),
            &device,
        )
        .require_grad();
        let mask = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 1.0, 1.0, 1.0], [2, 2]),
            &device,
        );
        let loss = sft_loss(logprobs.clone(), mask);
        assert!((loss.clone().into_scalar::<f32>() - 3.0).abs() < 1e-6);
        let grad = logprobs
            .grad(&loss.backward())
            .unwrap()
            .try_into_vec_as::<f32>()
            .unwrap();
        assert_eq!(
            grad.iter().map(|g| (g * 3.0).round()).collect::<Vec<_>>(),
            vec![0.0, -1.0, -1.0, -1.0]
        );
    }
}
