//! Evaluation as the paper does it (specification §1.4, §5.4): greedy decoding of each test
//! prompt without any hint, scored with the task's official reward; accuracy is the fraction
//! scoring 1.0 and format accuracy the fraction scoring at least 0.1.

use anyhow::Result;
use burn::tensor::Device;

use crate::model::Transformer;
use crate::model::generate::{GenerateOptions, generate, pad_token, stop_tokens};
use crate::model::sampling::Sampling;
use crate::model::tokenizer::Tokenizer;
use crate::tasks::example::Example;

/// One evaluated completion.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRecord {
    /// The problem's row in the test set.
    pub index: usize,
    /// Which of the problem's samples (0 when greedy).
    pub sample: usize,
    pub completion: String,
    /// The answer the task's official rule extracted, if any.
    pub answer: Option<String>,
    pub reward: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EvalResult {
    /// Fraction of completions scoring 1 (greedy: pass@1; sampled: mean@k).
    pub accuracy: f64,
    pub format_accuracy: f64,
    pub mean_reward: f64,
    /// Unbiased pass@k for k = 1, 2, 4, … up to the samples per problem (Chen et al., 2021).
    pub pass_at: Vec<(usize, f64)>,
    pub samples: Vec<SampleRecord>,
}

/// How completions are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalOptions {
    pub max_new_tokens: usize,
    /// Prompts decoded together.
    pub batch_size: usize,
    /// Completions per problem (1 for greedy).
    pub samples: usize,
    pub sampling: Sampling,
    pub seed: u64,
}

impl EvalOptions {
    /// The paper's protocol: one greedy completion per problem.
    pub fn greedy(max_new_tokens: usize, batch_size: usize) -> Self {
        EvalOptions {
            max_new_tokens,
            batch_size,
            samples: 1,
            sampling: Sampling::GREEDY,
            seed: 0,
        }
    }
}

/// Scores `model` on `examples` (no hints), `options.samples` completions per problem.
pub fn evaluate(
    model: &Transformer,
    tokenizer: &Tokenizer,
    examples: &[Example],
    options: &EvalOptions,
    device: &Device,
) -> Result<EvalResult> {
    let k = options.samples.max(1);
    let batch = options.batch_size.max(1);
    let mut samples = Vec::with_capacity(examples.len() * k);
    for (chunk_index, chunk) in examples.chunks(batch).enumerate() {
        let prompts = chunk
            .iter()
            .map(|e| tokenizer.encode(&e.question))
            .collect::<Result<Vec<_>>>()?;
        let rows: Vec<Vec<u32>> = prompts
            .iter()
            .flat_map(|p| std::iter::repeat_n(p.clone(), k))
            .collect();
        let generate_options = GenerateOptions {
            max_new_tokens: options.max_new_tokens,
            sampling: options.sampling,
            stop_tokens: stop_tokens(model, tokenizer),
            pad_token: pad_token(model, tokenizer),
            seed: crate::rng::combined_key(&[options.seed, chunk_index as u64]),
            use_cache: true,
        };
        let completions = generate(model, &rows, &generate_options, device);
        for (row, completion) in completions.into_iter().enumerate() {
            let example = &chunk[row / k];
            let text = tokenizer.decode(&completion.tokens)?;
            let reward = example.score_response(&text).total;
            samples.push(SampleRecord {
                index: chunk_index * batch + row / k,
                sample: row % k,
                answer: example.parsed_answer(&text),
                completion: text,
                reward,
            });
        }
    }
    let n = samples.len().max(1) as f64;
    let count =
        |keep: fn(f64) -> bool| samples.iter().filter(|s| keep(s.reward)).count() as f64 / n;
    let correct: Vec<usize> = samples
        .chunks(k)
        .map(|problem| problem.iter().filter(|s| s.reward >= 1.0).count())
        .collect();
    let pass_at = std::iter::successors(Some(1usize), |&j| Some(j * 2))
        .take_while(|&j| j <= k)
        .map(|j| {
            (
                j,
                correct.iter().map(|&c| pass_at_k(k, c, j)).sum::<f64>()
                    / correct.len().max(1) as f64,
            )
        })
        .collect();
    Ok(EvalResult {
        accuracy: count(|r| r >= 1.0),
        format_accuracy: count(|r| r >= 0.1),
        mean_reward: samples.iter().map(|s| s.reward).sum::<f64>() / n,
        pass_at,
        samples,
    })
}

/// The unbiased pass@k of one problem with `c` correct among `n` samples:
/// `1 − C(n − c, k) / C(n, k)` (Chen et al., 2021, eq. 1), as a stable product.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> f64 {
    if n - c < k {
        return 1.0;
    }
    1.0 - ((n - c + 1)..=n)
        .map(|i| 1.0 - k as f64 / i as f64)
        .product::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_at_k_by_hand() {
        // n = 4, c = 1: pass@1 = 1/4; pass@2 = 1 − C(3,2)/C(4,2) = 1 − 3/6 = 1/2; pass@4 = 1.
        assert!((pass_at_k(4, 1, 1) - 0.25).abs() < 1e-12);
        assert!((pass_at_k(4, 1, 2) - 0.5).abs() < 1e-12);
        assert_eq!(pass_at_k(4, 1, 4), 1.0);
        assert_eq!(pass_at_k(4, 0, 2), 0.0);
        // n = 5, c = 2, k = 2: 1 − C(3,2)/C(5,2) = 1 − 3/10.
        assert!((pass_at_k(5, 2, 2) - 0.7).abs() < 1e-12);
    }
}
