//! Evaluation as the paper does it (specification §1.4, §5.4): greedy decoding of each test
//! prompt without any hint, scored with the task's official reward; accuracy is the fraction
//! scoring 1.0 and format accuracy the fraction scoring at least 0.1.

use anyhow::Result;
use burn::tensor::Device;

use crate::model::Transformer;
use crate::model::generate::{GenerateOptions, generate};
use crate::model::sampling::Sampling;
use crate::model::tokenizer::Tokenizer;
use crate::tasks::example::Example;

/// One evaluated test problem.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRecord {
    pub index: usize,
    pub completion: String,
    pub reward: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EvalResult {
    pub accuracy: f64,
    pub format_accuracy: f64,
    pub mean_reward: f64,
    pub samples: Vec<SampleRecord>,
}

/// Greedy pass@1 of `model` on `examples`, `batch_size` prompts at a time.
pub fn evaluate(
    model: &Transformer,
    tokenizer: &Tokenizer,
    examples: &[Example],
    max_new_tokens: usize,
    batch_size: usize,
    device: &Device,
) -> Result<EvalResult> {
    let stop = tokenizer
        .end_of_text()
        .into_iter()
        .chain(model.config().eos_token_ids.iter().copied())
        .collect();
    let options = GenerateOptions {
        max_new_tokens,
        sampling: Sampling::GREEDY,
        stop_tokens: stop,
        pad_token: tokenizer.end_of_text().unwrap_or(0),
        seed: 0,
        use_cache: true,
    };
    let mut samples = Vec::with_capacity(examples.len());
    for (chunk_index, chunk) in examples.chunks(batch_size.max(1)).enumerate() {
        let prompts = chunk
            .iter()
            .map(|e| tokenizer.encode(&e.question))
            .collect::<Result<Vec<_>>>()?;
        let completions = generate(model, &prompts, &options, device);
        for (offset, (example, completion)) in chunk.iter().zip(completions).enumerate() {
            let text = tokenizer.decode(&completion.tokens)?;
            let reward = example.score_response(&text).total;
            samples.push(SampleRecord {
                index: chunk_index * batch_size.max(1) + offset,
                completion: text,
                reward,
            });
        }
    }
    let n = samples.len().max(1) as f64;
    let count =
        |keep: fn(f64) -> bool| samples.iter().filter(|s| keep(s.reward)).count() as f64 / n;
    Ok(EvalResult {
        accuracy: count(|r| r >= 1.0),
        format_accuracy: count(|r| r >= 0.1),
        mean_reward: samples.iter().map(|s| s.reward).sum::<f64>() / n,
        samples,
    })
}
