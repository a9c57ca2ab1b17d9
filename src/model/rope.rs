//! Rotary position embeddings in the Hugging Face "rotate half" layout (GPT-NeoX pairing:
//! dimension i rotates with i + head_dim/2), with per-token positions so that left-padded rows
//! of a batch each count from their own first real token.
//!
//! ```text
//! inv_freq_i = θ^(−2i/d)                         i = 0 … d/2 − 1
//! angle[p, i] = p · inv_freq_i,   emb = [angle, angle]        (d values)
//! rope(x)[p]  = x[p] ⊙ cos(emb[p]) + rotate_half(x[p]) ⊙ sin(emb[p]),
//! rotate_half([x1, x2]) = [−x2, x1]
//! ```
//! (`transformers.models.llama.modeling_llama.apply_rotary_pos_emb`). burn's own
//! `RotaryEncoding` pairs adjacent dimensions and takes one offset per batch, so it is not used.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::config::{Llama3RopeScaling, ModelConfig};

#[derive(Module, Debug)]
pub struct Rope {
    inv_freq: Tensor<1>,
    /// [head_dim, head_dim]: `x · rotate_half = rotate_half(x)`, one ±1 per column.
    rotate_half: Tensor<2>,
}

/// The cos and sin of every position's angles, for heads laid out as [batch, seq, heads, d].
pub struct RopeAngles {
    /// [batch, seq, 1, head_dim]
    cos: Tensor<4>,
    sin: Tensor<4>,
    rotate_half: Tensor<2>,
}

impl Rope {
    pub fn new(config: &ModelConfig, device: &Device) -> Self {
        let inv_freq = inverse_frequencies(config.head_dim, config.rope_theta, config.rope_scaling);
        let len = inv_freq.len();
        Rope {
            inv_freq: Tensor::from_data(TensorData::new(inv_freq, [len]), device),
            rotate_half: Tensor::from_data(
                TensorData::new(rotate_half_matrix(config.head_dim), [len * 2, len * 2]),
                device,
            ),
        }
    }

    pub fn angles(&self, positions: Tensor<2, Int>) -> RopeAngles {
        let [batch, seq] = positions.dims();
        let [half] = self.inv_freq.dims();
        let positions = positions.float().reshape([batch, seq, 1]); // [batch, seq, 1]
        let angle = positions * self.inv_freq.clone().reshape([1, 1, half]); // [batch, seq, d/2]
        let emb = Tensor::cat(vec![angle.clone(), angle], 2).unsqueeze_dim::<4>(2); // [batch, seq, 1, d]
        RopeAngles {
            cos: emb.clone().cos(),
            sin: emb.sin(),
            rotate_half: self.rotate_half.clone(),
        }
    }
}

impl RopeAngles {
    /// `x ⊙ cos + rotate_half(x) ⊙ sin`. The rotation is one matrix product with a ±1
    /// permutation (exact: every output is one input, or its negation, plus zeros) instead of two
    /// slices, a negation and a concatenation, and their four backward operations: on the tiny
    /// models, whose every operation costs more in overhead than in arithmetic, that is most of
    /// RoPE's time.
    ///
    /// # Shapes
    /// x: [batch, seq, heads, head_dim] → [batch, seq, heads, head_dim]
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, seq, heads, head_dim] = x.dims();
        let rotated = x
            .clone()
            .reshape([batch * seq * heads, head_dim])
            .matmul(self.rotate_half.clone())
            .reshape([batch, seq, heads, head_dim]);
        x * self.cos.clone() + rotated * self.sin.clone()
    }
}

/// R with `[x1, x2] · R = [−x2, x1]` (halves of d), row-major [d, d].
fn rotate_half_matrix(head_dim: usize) -> Vec<f32> {
    let half = head_dim / 2;
    let mut r = vec![0.0; head_dim * head_dim];
    for j in 0..half {
        r[(j + half) * head_dim + j] = -1.0; // output j takes −x[j + half]
        r[j * head_dim + j + half] = 1.0; // output j + half takes x[j]
    }
    r
}

pub fn inverse_frequencies(
    head_dim: usize,
    theta: f64,
    scaling: Option<Llama3RopeScaling>,
) -> Vec<f32> {
    (0..head_dim / 2)
        .map(|i| {
            // transformers computes the exponent and the power in float32.
            let exponent = (2 * i) as f32 / head_dim as f32;
            let inv_freq = 1.0 / (theta as f32).powf(exponent);
            match scaling {
                None => inv_freq,
                Some(scaling) => llama3_scale(inv_freq as f64, scaling) as f32,
            }
        })
        .collect()
}

fn llama3_scale(inv_freq: f64, s: Llama3RopeScaling) -> f64 {
    let old_context = s.original_max_position_embeddings as f64;
    let low_freq_wavelen = old_context / s.low_freq_factor;
    let high_freq_wavelen = old_context / s.high_freq_factor;
    let wavelen = 2.0 * std::f64::consts::PI / inv_freq;
    if wavelen < high_freq_wavelen {
        inv_freq
    } else if wavelen > low_freq_wavelen {
        inv_freq / s.factor
    } else {
        let smooth =
            (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        (1.0 - smooth) * inv_freq / s.factor + smooth * inv_freq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscaled_frequencies_are_powers_of_theta() {
        let f = inverse_frequencies(8, 10_000.0, None);
        let expected = [1.0, 0.1, 0.01, 0.001];
        for (got, want) in f.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6 * want.max(1e-3), "{f:?}");
        }
    }

    #[test]
    fn llama3_scaling_keeps_high_divides_low_and_blends_between() {
        let s = Llama3RopeScaling {
            factor: 32.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192,
        };
        // Wavelength 2π/f: 6.28 (< 2048, kept), 1e5 (> 8192, divided by 32).
        assert_eq!(llama3_scale(1.0, s), 1.0);
        let low = 2.0 * std::f64::consts::PI / 1e5;
        assert!((llama3_scale(low, s) - low / 32.0).abs() < 1e-15);
        // Wavelength 4096: smooth = (8192/4096 − 1)/3 = 1/3 → f·(2/3)/32 + f/3.
        let mid = 2.0 * std::f64::consts::PI / 4096.0;
        let want = mid * (2.0 / 3.0) / 32.0 + mid / 3.0;
        assert!((llama3_scale(mid, s) - want).abs() < 1e-15);
    }

    #[test]
    fn the_rotation_matrix_is_rotate_half() {
        // [1, 2, 3, 4] · R = [−3, −4, 1, 2].
        let r = rotate_half_matrix(4);
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let y: Vec<f32> = (0..4)
            .map(|j| (0..4).map(|i| x[i] * r[i * 4 + j]).sum())
            .collect();
        assert_eq!(y, [-3.0, -4.0, 1.0, 2.0]);
    }

    #[test]
    fn rotation_at_position_zero_is_the_identity_and_preserves_norms() {
        let device = Device::flex();
        let config = crate::model::presets::by_name("tiny-1m").unwrap();
        let rope = Rope::new(&config, &device);
        let d = config.head_dim;
        let values: Vec<f32> = (0..2 * d).map(|i| (i as f32 * 0.37).sin()).collect();
        let x = Tensor::<4>::from_data(TensorData::new(values, [1, 2, 1, d]), &device);
        let positions =
            Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 7], [1, 2]), &device);
        let y = rope.angles(positions).apply(x.clone());
        let (x, y) = (
            x.try_into_vec_as::<f32>().unwrap(),
            y.try_into_vec_as::<f32>().unwrap(),
        );
        for i in 0..d {
            assert!((x[i] - y[i]).abs() < 1e-6);
        }
        let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>();
        assert!((norm(&x[d..]) - norm(&y[d..])).abs() < 1e-4);
        assert!(
            x[d..]
                .iter()
                .zip(&y[d..])
                .any(|(a, b)| (a - b).abs() > 1e-3)
        );
    }
}
