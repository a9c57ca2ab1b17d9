//! The rollout engine: batched autoregressive generation with a KV cache.
//!
//! Prompts of different lengths are left-padded into one batch (each row's positions count from
//! its own first token). Each distinct prompt is run once (prefill) and its cache copied to the
//! rows that share it, as GRPO's rollouts of one prompt do; every later step feeds only the newest
//! token of each row and attends over the cache. A row leaves the batch when it emits an end
//! token or reaches `max_new_tokens`, so long generations do not carry finished rows along.
//!
//! Sampling happens on the host, each row with its own random stream keyed on
//! `(seed, row index)`: a row's tokens do not depend on which other rows share its batch.

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

use super::batch::{Inputs, left_pad};
use super::cache::KvCache;
use super::sampling::{Sampling, choose};
use super::tokenizer::Tokenizer;
use super::transformer::Transformer;

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub max_new_tokens: usize,
    pub sampling: Sampling,
    /// Generation of a row stops after any of these.
    pub stop_tokens: Vec<u32>,
    /// Fills the left padding of shorter prompts (never attended to).
    pub pad_token: u32,
    pub seed: u64,
    /// `false` recomputes the whole sequence at every step: slow, kept as the reference the
    /// cached path is tested against.
    pub use_cache: bool,
}

/// The model's end tokens from its config, else the tokenizer's end-of-text marker.
pub fn stop_tokens(model: &Transformer, tokenizer: &Tokenizer) -> Vec<u32> {
    let mut stops = model.config().eos_token_ids.clone();
    if let Some(eos) = tokenizer.end_of_text()
        && !stops.contains(&eos)
    {
        stops.push(eos);
    }
    stops
}

/// Left padding is never attended to; any valid id will do, preferably end-of-text.
pub fn pad_token(model: &Transformer, tokenizer: &Tokenizer) -> u32 {
    tokenizer
        .end_of_text()
        .or(model.config().eos_token_ids.first().copied())
        .unwrap_or(0)
}

/// One generated continuation.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// New tokens, including the stop token when one was produced.
    pub tokens: Vec<u32>,
    /// `log π(token)` of each new token under the sampling policy (see `sampling`).
    pub logprobs: Vec<f32>,
    /// Whether the row ended with a stop token (rather than at `max_new_tokens`).
    pub stopped: bool,
}

/// Generates one completion per prompt.
pub fn generate(
    model: &Transformer,
    prompts: &[Vec<u32>],
    options: &GenerateOptions,
    device: &Device,
) -> Vec<Completion> {
    assert!(
        prompts.iter().all(|p| !p.is_empty()),
        "every prompt needs at least one token"
    );
    let mut rows: Vec<Row> = prompts
        .iter()
        .enumerate()
        .map(|(index, _)| Row::new(crate::rng::keyed_rng(&[options.seed, index as u64])))
        .collect();
    if options.max_new_tokens > 0 && !prompts.is_empty() {
        match options.use_cache {
            true => generate_cached(model, prompts, options, device, &mut rows),
            false => generate_uncached(model, prompts, options, device, &mut rows),
        }
    }
    rows.into_iter().map(|row| row.completion).collect()
}

struct Row {
    rng: ChaCha8Rng,
    completion: Completion,
}

impl Row {
    fn new(rng: ChaCha8Rng) -> Self {
        Row {
            rng,
            completion: Completion {
                tokens: Vec::new(),
                logprobs: Vec::new(),
                stopped: false,
            },
        }
    }

    /// Samples the next token; returns whether the row is finished.
    fn push(&mut self, logits: &[f32], options: &GenerateOptions) -> bool {
        let choice = choose(logits, &options.sampling, &mut self.rng);
        self.completion.tokens.push(choice.token);
        self.completion.logprobs.push(choice.logprob);
        self.completion.stopped = options.stop_tokens.contains(&choice.token);
        self.completion.stopped || self.completion.tokens.len() >= options.max_new_tokens
    }
}

fn generate_cached(
    model: &Transformer,
    prompts: &[Vec<u32>],
    options: &GenerateOptions,
    device: &Device,
    rows: &mut [Row],
) {
    // Prefill each distinct prompt once (GRPO's n rollouts share their prompt), then give every
    // row its own copy of the cache.
    let (unique, owner) = distinct(prompts);
    let (tokens, unique_valid) = left_pad(&unique, options.pad_token);
    let prompt_len = tokens[0].len();
    let mut cache = KvCache::new(
        model.config(),
        unique.len(),
        prompt_len + options.max_new_tokens,
        device,
    );
    let hidden = model.hidden(
        Inputs::new(&tokens, &unique_valid, 0, device),
        Some(&mut cache),
    ); // [distinct, prompt, hidden]
    let unique_logits = last_logits(model, hidden); // [distinct][vocab]
    if unique.len() < prompts.len() {
        cache.select_rows(&index_tensor(&owner, device));
    }
    let mut valid: Vec<Vec<bool>> = owner.iter().map(|&u| unique_valid[u].clone()).collect();
    let mut logits: Vec<Vec<f32>> = owner.iter().map(|&u| unique_logits[u].clone()).collect();
    // `active[i]` is the original index of the row now at batch position i.
    let mut active: Vec<usize> = (0..prompts.len()).collect();
    loop {
        let mut next = Vec::with_capacity(active.len());
        let mut keep = Vec::with_capacity(active.len());
        for (position, &row) in active.iter().enumerate() {
            if !rows[row].push(&logits[position], options) {
                keep.push(position);
                next.push(vec![
                    *rows[row].completion.tokens.last().expect("just pushed"),
                ]);
            }
        }
        if keep.is_empty() {
            return;
        }
        if keep.len() < active.len() {
            cache.select_rows(&index_tensor(&keep, device));
            active = keep.iter().map(|&p| active[p]).collect();
            valid = keep.iter().map(|&p| valid[p].clone()).collect();
        }
        for row in &mut valid {
            row.push(true);
        }
        let past = cache.len();
        let hidden = model.hidden(Inputs::new(&next, &valid, past, device), Some(&mut cache)); // [active, 1, hidden]
        logits = last_logits(model, hidden);
    }
}

/// The distinct prompts in order of first appearance, and for each prompt its index among them.
fn distinct(prompts: &[Vec<u32>]) -> (Vec<Vec<u32>>, Vec<usize>) {
    let mut index: std::collections::HashMap<&[u32], usize> = std::collections::HashMap::new();
    let mut unique = Vec::new();
    let owner = prompts
        .iter()
        .map(|prompt| {
            *index.entry(prompt.as_slice()).or_insert_with(|| {
                unique.push(prompt.clone());
                unique.len() - 1
            })
        })
        .collect();
    (unique, owner)
}

fn index_tensor(indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let data: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(data, [indices.len()]), device)
}

/// The reference path: the whole (left-padded) sequence is recomputed at every step.
fn generate_uncached(
    model: &Transformer,
    prompts: &[Vec<u32>],
    options: &GenerateOptions,
    device: &Device,
    rows: &mut [Row],
) {
    let mut sequences: Vec<Vec<u32>> = prompts.to_vec();
    let mut active: Vec<usize> = (0..prompts.len()).collect();
    while !active.is_empty() {
        let batch: Vec<Vec<u32>> = active.iter().map(|&row| sequences[row].clone()).collect();
        let (tokens, valid) = left_pad(&batch, options.pad_token);
        let logits = last_logits(
            model,
            model.hidden(Inputs::full(&tokens, &valid, device), None),
        );
        let mut still = Vec::with_capacity(active.len());
        for (position, &row) in active.iter().enumerate() {
            let finished = rows[row].push(&logits[position], options);
            sequences[row].push(*rows[row].completion.tokens.last().expect("just pushed"));
            if !finished {
                still.push(row);
            }
        }
        active = still;
    }
}

/// The logits of each row's last position, on the host.
///
/// # Shapes
/// hidden: [batch, seq, hidden] → batch rows of [vocab]
fn last_logits(model: &Transformer, hidden: Tensor<3>) -> Vec<Vec<f32>> {
    let [batch, seq, _] = hidden.dims();
    let last = hidden.slice_dim(1, seq - 1..seq); // [batch, 1, hidden]
    let logits = model.logits(last); // [batch, 1, vocab]
    let vocab = model.config().vocab_size;
    let flat = logits.try_into_vec_as::<f32>().expect("f32 logits");
    (0..batch)
        .map(|b| flat[b * vocab..(b + 1) * vocab].to_vec())
        .collect()
}
