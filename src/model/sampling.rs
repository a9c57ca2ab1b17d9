//! Choosing the next token from one row of logits, on the host: greedy, or sampled at a
//! temperature with optional top-k and top-p (nucleus) truncation.
//!
//! The log-probability returned with each token is under the *untruncated* tempered policy
//! `softmax(logits / T)` (greedy: `T = 1`): the quantity GRPO's importance ratio compares
//! against, and what the trainer recomputes (verl divides the logits by the rollout
//! temperature in `compute_log_prob` and does not truncate).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// 0 means greedy.
    pub temperature: f32,
    /// Keep the smallest set of tokens whose probability reaches `top_p` (1 = off).
    pub top_p: f32,
    /// Keep the `top_k` most likely tokens (0 = off).
    pub top_k: usize,
}

impl Sampling {
    pub const GREEDY: Sampling = Sampling {
        temperature: 0.0,
        top_p: 1.0,
        top_k: 0,
    };

    pub fn at_temperature(temperature: f32) -> Self {
        Sampling {
            temperature,
            ..Self::GREEDY
        }
    }

    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    pub token: u32,
    /// `log softmax(logits / T)[token]`, T = 1 when greedy.
    pub logprob: f32,
}

/// Picks one token from `logits` ([vocab]).
pub fn choose(logits: &[f32], sampling: &Sampling, rng: &mut ChaCha8Rng) -> Choice {
    let temperature = if sampling.is_greedy() {
        1.0
    } else {
        sampling.temperature as f64
    };
    let scaled: Vec<f64> = logits.iter().map(|&l| l as f64 / temperature).collect();
    let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_normaliser = max + scaled.iter().map(|s| (s - max).exp()).sum::<f64>().ln();
    let token = if sampling.is_greedy() {
        argmax(&scaled)
    } else {
        sample(&scaled, max, sampling, rng)
    };
    Choice {
        token: token as u32,
        logprob: (scaled[token] - log_normaliser) as f32,
    }
}

/// The first index of the largest value (as `torch.argmax`).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

fn sample(scaled: &[f64], max: f64, sampling: &Sampling, rng: &mut ChaCha8Rng) -> usize {
    let weights: Vec<f64> = scaled.iter().map(|s| (s - max).exp()).collect();
    let truncate = sampling.top_k > 0 || sampling.top_p < 1.0;
    let candidates: Vec<usize> = if truncate {
        nucleus(&weights, sampling)
    } else {
        (0..weights.len()).collect()
    };
    let total: f64 = candidates.iter().map(|&i| weights[i]).sum();
    let mut target = rng.random::<f64>() * total;
    for &i in &candidates {
        target -= weights[i];
        if target < 0.0 {
            return i;
        }
    }
    *candidates.last().expect("at least one candidate")
}

/// Token indices kept by top-k then top-p, most likely first.
fn nucleus(weights: &[f64], sampling: &Sampling) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(a.cmp(&b)));
    if sampling.top_k > 0 {
        order.truncate(sampling.top_k);
    }
    if sampling.top_p < 1.0 {
        let total: f64 = order.iter().map(|&i| weights[i]).sum();
        let mut cumulative = 0.0;
        let keep = order
            .iter()
            .position(|&i| {
                cumulative += weights[i] / total;
                cumulative >= sampling.top_p as f64
            })
            .map_or(order.len(), |last| last + 1);
        order.truncate(keep);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(1)
    }

    #[test]
    fn greedy_takes_the_argmax_with_its_log_softmax() {
        let choice = choose(&[0.0, 2.0, 1.0], &Sampling::GREEDY, &mut rng());
        assert_eq!(choice.token, 1);
        // log(e² / (1 + e² + e)) = 2 − ln(1 + e + e²) = −0.40760596
        assert!(
            (choice.logprob - (-0.407_605_96)).abs() < 1e-6,
            "{}",
            choice.logprob
        );
    }

    #[test]
    fn sampling_frequencies_follow_the_tempered_softmax() {
        let logits = [0.0f32, (2.0f32).ln(), (5.0f32).ln()]; // probabilities 1/8, 2/8, 5/8 at T = 1
        let mut rng = rng();
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[choose(&logits, &Sampling::at_temperature(1.0), &mut rng).token as usize] += 1;
        }
        for (count, p) in counts.iter().zip([0.125, 0.25, 0.625]) {
            assert!((*count as f64 / 40_000.0 - p).abs() < 0.01, "{counts:?}");
        }
        // T = 2 halves the logits: weights 1, √2, √5.
        let choice = choose(&logits, &Sampling::at_temperature(2.0), &mut rng);
        let z = 1.0 + 2f64.sqrt() + 5f64.sqrt();
        let expected = [1.0 / z, 2f64.sqrt() / z, 5f64.sqrt() / z][choice.token as usize].ln();
        assert!((choice.logprob as f64 - expected).abs() < 1e-6);
    }

    #[test]
    fn top_k_and_top_p_keep_the_likeliest_tokens() {
        let weights = [0.1, 0.4, 0.2, 0.3];
        let top2 = Sampling {
            top_k: 2,
            ..Sampling::at_temperature(1.0)
        };
        assert_eq!(nucleus(&weights, &top2), vec![1, 3]);
        let top_p = Sampling {
            top_p: 0.75,
            ..Sampling::at_temperature(1.0)
        };
        assert_eq!(nucleus(&weights, &top_p), vec![1, 3, 2]); // 0.4 + 0.3 < 0.75 ≤ 0.9
        let tiny_p = Sampling {
            top_p: 0.01,
            ..Sampling::at_temperature(1.0)
        };
        assert_eq!(nucleus(&weights, &tiny_p), vec![1]);
        let mut rng = rng();
        for _ in 0..200 {
            let token = choose(
                &[0.1f32.ln(), 0.4f32.ln(), 0.2f32.ln(), 0.3f32.ln()],
                &top2,
                &mut rng,
            )
            .token;
            assert!(token == 1 || token == 3);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_tokens() {
        let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.7).sin()).collect();
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..20)
                .map(|_| choose(&logits, &Sampling::at_temperature(0.8), &mut rng).token)
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(5), draw(5));
        assert_ne!(draw(5), draw(6));
    }
}
