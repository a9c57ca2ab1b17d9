//! The readiness probe: a model's **competence curve** on a task — pass@k (k = 1, 4, 16,
//! sampled) on the task's training problems as a function of the hint fraction, the share of
//! each problem's solution sentences given in the prompt (0, 0.2, …, 1.0).
//!
//! It answers, before any fine-tuning, the two questions the paper's comparison turns on: can
//! RFT learn here (pass@16 without a hint above 0: a group of rollouts sometimes finds a reward),
//! and how much does a hint help (how fast the curve rises with the fraction given — UFT's and
//! R³'s mechanism). A hint of fraction f gives the first round(f · n) of a solution's n
//! sentences (for Countdown, its step lines and then its final-equation line), appended to the
//! prompt as the RL methods append theirs; the completion is scored with the task's official
//! rule, exactly as a hinted rollout is.

use anyhow::{Result, bail};
use burn::tensor::Device;

use super::eval::{EvalOptions, evaluate};
use crate::model::Transformer;
use crate::model::sampling::Sampling;
use crate::model::tokenizer::Tokenizer;
use crate::tasks::example::Example;

/// The hint fractions of the curve.
pub const FRACTIONS: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

/// How the curve is measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeOptions {
    /// Sampled completions per problem (the largest k of pass@k).
    pub samples: usize,
    pub temperature: f32,
    pub max_new_tokens: usize,
    /// Prompts decoded together.
    pub batch_size: usize,
    pub seed: u64,
}

/// One point of the curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub hint_fraction: f64,
    /// Mean number of solution sentences given.
    pub mean_sentences_given: f64,
    /// Fraction of all sampled completions that are correct (mean@k).
    pub mean_accuracy: f64,
    /// Unbiased pass@k for k = 1, 2, 4, … up to the samples per problem.
    pub pass_at: Vec<(usize, f64)>,
}

impl CurvePoint {
    pub fn pass(&self, k: usize) -> Option<f64> {
        self.pass_at.iter().find(|(j, _)| *j == k).map(|(_, v)| *v)
    }
}

/// The number of a solution's `sentences` that a hint of `fraction` gives (rounded half up).
pub fn sentences_given(fraction: f64, sentences: usize) -> usize {
    ((fraction * sentences as f64 + 0.5).floor() as usize).min(sentences)
}

/// `example` with the first `sentences_given(fraction, …)` solution sentences appended to its
/// prompt. The scorer reads the prompt too, so the hinted prompt is its question.
pub fn hinted(example: &Example, fraction: f64) -> Example {
    let given = sentences_given(fraction, example.hint.len());
    let mut hinted = example.clone();
    hinted
        .question
        .extend(example.hint[..given].iter().map(String::as_str));
    hinted
}

/// The competence curve of `model` on `examples` at each of `fractions`.
pub fn competence_curve(
    model: &Transformer,
    tokenizer: &Tokenizer,
    examples: &[Example],
    fractions: &[f64],
    options: &ProbeOptions,
    device: &Device,
) -> Result<Vec<CurvePoint>> {
    if examples.iter().any(|e| e.hint.is_empty()) {
        bail!("the competence curve needs worked solutions: some problems have no hint sentences");
    }
    if options.samples < 2 || options.temperature <= 0.0 {
        bail!("the competence curve samples: use at least 2 samples at a temperature above 0");
    }
    let eval = EvalOptions {
        max_new_tokens: options.max_new_tokens,
        batch_size: options.batch_size,
        samples: options.samples,
        sampling: Sampling {
            temperature: options.temperature,
            top_p: 1.0,
            top_k: 0,
        },
        seed: options.seed,
    };
    fractions
        .iter()
        .map(|&fraction| {
            let problems: Vec<Example> = examples.iter().map(|e| hinted(e, fraction)).collect();
            let result = evaluate(model, tokenizer, &problems, &eval, device)?;
            let given: usize = examples
                .iter()
                .map(|e| sentences_given(fraction, e.hint.len()))
                .sum();
            Ok(CurvePoint {
                hint_fraction: fraction,
                mean_sentences_given: given as f64 / examples.len().max(1) as f64,
                mean_accuracy: result.accuracy,
                pass_at: result.pass_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::reward::Verdict;

    #[test]
    fn a_fraction_gives_its_share_of_the_sentences_rounded() {
        // Countdown with 3 numbers: two step lines and the final-equation line.
        assert_eq!(FRACTIONS.map(|f| sentences_given(f, 3)), [0, 1, 1, 2, 2, 3]);
        assert_eq!(FRACTIONS.map(|f| sentences_given(f, 5)), [0, 1, 2, 3, 4, 5]);
        assert_eq!(sentences_given(0.5, 1), 1);
    }

    #[test]
    fn a_fully_hinted_prompt_is_completed_by_the_answer_tag_alone() {
        let example = Example::from(crate::tasks::generate::generate_countdown(5, 1).remove(0));
        let full = hinted(&example, 1.0);
        assert_eq!(
            full.question,
            format!("{}{}", example.question, example.hint.concat())
        );
        assert_eq!(hinted(&example, 0.0).question, example.question);
        // The reference answer minus the hint is what is left to write, and it scores correct.
        let rest = &example.answer.as_ref().unwrap()[example.hint.concat().len()..];
        assert_eq!(full.score_response(rest).verdict, Verdict::Correct);
        // Without its hint, that remainder is still scored on the answer tag: correct too.
        assert_eq!(example.score_response(rest).verdict, Verdict::Correct);
    }
}
