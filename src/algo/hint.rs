//! Hint lengths: how much of the annotated solution is shown before the model continues.
//!
//! Paper §3.1.1 / Algorithm 1 / eq. (B.1): with zero-based step t < T_hint,
//!
//! ```text
//! p(t) = p_low + ½ (p_high − p_low) (1 + cos((t+1)/T_hint · π)),   l(t) ~ Binomial(L, p(t)),
//! ```
//!
//! and no hint from T_hint on. The official code (`liumy2010/UFT:verl/utils/dataset/rl_dataset.py`,
//! `RLHFDataset.__getitem__`) writes the same schedule with a one-based `timestep = t + 1`, and
//! draws the number of *segments* `k ~ Binomial(num, p)` where `num = min(5, len(hint))` and the
//! solution's sentences are grouped at the boundaries `round(k/num · len(hint))`. This module
//! follows the code's form; `t + 1 = timestep`.

use rand::Rng;
use rand::RngExt;

/// The code's cap on the number of hint segments (`num = min(5, len(hint))`; Table 1 "Hint Length 5").
pub const MAX_SEGMENTS: usize = 5;

/// Sentence boundaries of the hint segments: `[round(k/num · len) for k in 0..=num]` with the
/// last entry `len`, where `num = min(max_segments, len)`. Showing `k` segments shows the first
/// `boundaries[k]` sentences. Python's `round` rounds half to even, and so does this.
pub fn segment_boundaries(len: usize, max_segments: usize) -> Vec<usize> {
    let num = max_segments.min(len);
    if num == 0 {
        return vec![0];
    }
    let mut bounds: Vec<usize> = (0..=num)
        .map(|k| (k as f64 / num as f64 * len as f64).round_ties_even() as usize)
        .collect();
    bounds[num] = len;
    bounds
}

/// The cosine-annealed probability of revealing each segment at one-based `timestep`
/// (`timestep = t + 1` in eq. B.1), or `None` once `timestep > t_hint` (no hint at all).
///
/// `p = p_low + ½ (p_high − p_low) (1 + cos(π · timestep / T_hint))`
pub fn cosine_probability(timestep: u64, t_hint: u64, p_low: f64, p_high: f64) -> Option<f64> {
    if timestep > t_hint {
        return None;
    }
    let phase = std::f64::consts::PI * timestep as f64 / t_hint as f64;
    Some(p_low + 0.5 * (p_high - p_low) * (1.0 + phase.cos()))
}

/// `k ~ Binomial(n, p)` as the code draws it: the number of successes in `n` Bernoulli(p) trials.
pub fn binomial(rng: &mut impl Rng, n: usize, p: f64) -> usize {
    (0..n)
        .filter(|_| rng.random_bool(p.clamp(0.0, 1.0)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from the specification (uft-paper.md §1.2), T_hint = 300, p 0.95 → 0.05.
    #[test]
    fn cosine_schedule_matches_the_paper_values() {
        let p = |t| cosine_probability(t, 300, 0.05, 0.95);
        let expected = [
            (1, 0.95),
            (25, 0.9347),
            (50, 0.8897),
            (100, 0.725),
            (150, 0.5),
            (200, 0.275),
            (250, 0.1103),
            (300, 0.05),
        ];
        for (t, want) in expected {
            let got = p(t).unwrap();
            assert!((got - want).abs() < 1e-4, "t={t}: {got} vs {want}");
        }
        assert_eq!(p(301), None, "no hint after T_hint");
    }

    #[test]
    fn segment_boundaries_group_sentences_like_the_code() {
        // Countdown: 3 or 4 sentences → one segment per sentence.
        assert_eq!(segment_boundaries(3, 5), vec![0, 1, 2, 3]);
        assert_eq!(segment_boundaries(4, 5), vec![0, 1, 2, 3, 4]);
        // K&K, 12 sentences: round(12k/5) = 2.4, 4.8, 7.2, 9.6 → 2, 5, 7, 10.
        assert_eq!(segment_boundaries(12, 5), vec![0, 2, 5, 7, 10, 12]);
        assert_eq!(segment_boundaries(0, 5), vec![0]);
    }

    #[test]
    fn binomial_is_exact_at_the_extremes_and_has_the_right_mean() {
        let mut rng = crate::rng::keyed_rng(&[7]);
        assert_eq!(binomial(&mut rng, 5, 0.0), 0);
        assert_eq!(binomial(&mut rng, 5, 1.0), 5);
        let mean = (0..20_000)
            .map(|_| binomial(&mut rng, 5, 0.3))
            .sum::<usize>() as f64
            / 20_000.0;
        assert!((mean - 1.5).abs() < 0.03, "mean {mean}");
    }
}
