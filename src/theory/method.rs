//! The methods compared on the search tree, as the hint length each shows at iteration t
//! (Algorithm 2, step 1) and whether the hint log-likelihood term β Σ_{h<l} log π(a*_h|s*_h)
//! is on.

use rand::Rng;
use rand::RngExt;

use crate::algo::hint::{binomial, cosine_probability, segment_boundaries};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// RFT: no hint (l ≡ 0) and no log-likelihood term — what Theorem 4.2 bounds from below.
    Rft,
    /// UFT as analysed (Algorithm 2): l ~ Uniform{0, …, H}, plus the log-likelihood term.
    Uft,
    /// UFT with the practical schedule (Algorithm 1, eq. B.1): k ~ Binomial(num, p(t)) segments,
    /// p cosine-annealed from p_high to p_low over T_hint iterations, no hint afterwards.
    UftCosine {
        p_high: f64,
        p_low: f64,
        t_hint: u64,
        max_segments: usize,
    },
    /// R³: a uniformly drawn segment boundary at every iteration, no log-likelihood term.
    R3 { max_segments: usize },
    /// SFT: only the log-likelihood of π*'s whole path (l ≡ H); queries no reward.
    Sft,
}

impl Method {
    pub const NAMES: &'static [&'static str] = &["rft", "uft", "uft_cosine", "r3", "sft"];

    pub fn name(&self) -> &'static str {
        match self {
            Method::Rft => "rft",
            Method::Uft => "uft",
            Method::UftCosine { .. } => "uft_cosine",
            Method::R3 { .. } => "r3",
            Method::Sft => "sft",
        }
    }

    /// Whether the objective includes β Σ_{h<l} log π(a*_h | s*_h) (eq. 3.3's third term).
    pub fn has_hint_likelihood(&self) -> bool {
        matches!(self, Method::Uft | Method::UftCosine { .. } | Method::Sft)
    }

    /// The hint length l ∈ {0..=H} at zero-based iteration `t`.
    pub fn hint_length(&self, t: u64, height: usize, rng: &mut impl Rng) -> usize {
        match *self {
            Method::Rft => 0,
            Method::Uft => rng.random_range(0..=height),
            Method::UftCosine {
                p_high,
                p_low,
                t_hint,
                max_segments,
            } => match cosine_probability(t + 1, t_hint, p_low, p_high) {
                None => 0,
                Some(p) => {
                    let bounds = segment_boundaries(height, max_segments);
                    bounds[binomial(rng, bounds.len() - 1, p)]
                }
            },
            Method::R3 { max_segments } => {
                let bounds = segment_boundaries(height, max_segments);
                bounds[rng.random_range(0..bounds.len())]
            }
            Method::Sft => height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::keyed_rng;

    #[test]
    fn fixed_methods_use_fixed_hint_lengths() {
        let mut rng = keyed_rng(&[1]);
        assert_eq!(Method::Rft.hint_length(5, 8, &mut rng), 0);
        assert_eq!(Method::Sft.hint_length(5, 8, &mut rng), 8);
    }

    #[test]
    fn uft_draws_every_length_uniformly() {
        let mut rng = keyed_rng(&[2]);
        let mut counts = [0usize; 5];
        for t in 0..50_000 {
            counts[Method::Uft.hint_length(t, 4, &mut rng)] += 1;
        }
        for c in counts {
            assert!((c as f64 / 50_000.0 - 0.2).abs() < 0.01, "{counts:?}");
        }
    }

    #[test]
    fn cosine_schedule_gives_no_hint_after_t_hint_and_long_hints_early() {
        let m = Method::UftCosine {
            p_high: 0.95,
            p_low: 0.05,
            t_hint: 300,
            max_segments: 5,
        };
        let mut rng = keyed_rng(&[3]);
        assert!(
            (300..1000).all(|t| m.hint_length(t, 10, &mut rng) == 0),
            "iteration t ≥ T_hint means timestep > T_hint"
        );
        let early: f64 = (0..2000)
            .map(|_| m.hint_length(0, 10, &mut rng) as f64)
            .sum::<f64>()
            / 2000.0;
        assert!(
            (early - 9.5).abs() < 0.2,
            "E[l] at t=1 is 0.95·H, got {early}"
        );
    }

    #[test]
    fn r3_only_uses_segment_boundaries() {
        let m = Method::R3 { max_segments: 5 };
        let mut rng = keyed_rng(&[4]);
        let bounds = segment_boundaries(12, 5);
        assert!((0..1000).all(|t| bounds.contains(&m.hint_length(t, 12, &mut rng))));
    }
}
