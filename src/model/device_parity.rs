//! `repro model parity`: one model on the CPU and on a GPU backend must compute the same thing.
//! The CPU path is held equal to Hugging Face transformers by the committed fixtures
//! (`tests/model_parity.rs`), so agreement with it carries that check over to the GPU path —
//! on a machine with no Python and no fixtures' tooling, only the carried binary.
//!
//! Three comparisons on fixed token rows of unequal lengths, left-padded into one batch: the
//! logits of a full forward (valid positions only), the greedy tokens of a KV-cached generation,
//! and those tokens' log-probabilities up to the first position where the rows part.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use burn::tensor::Device;

use super::batch::{Inputs, left_pad};
use super::checkpoint;
use super::device::{DeviceKind, gpu_adapters};
use super::generate::{Completion, GenerateOptions, generate, pad_token, stop_tokens};
use super::sampling::Sampling;
use super::speed::fixed_token_rows;
use super::tokenizer::Tokenizer;
use super::transformer::Transformer;

/// `repro model parity`.
#[derive(clap::Args, Debug)]
pub struct ParityArgs {
    /// A model folder (config.json, model.safetensors, tokenizer.json) or a .gguf file.
    #[arg(long)]
    pub model: PathBuf,
    /// The backend compared with the CPU.
    #[arg(long)]
    pub device: DeviceKind,
    /// Greedy tokens generated per row.
    #[arg(long, default_value_t = 32)]
    pub new_tokens: usize,
    /// Largest |logit difference| accepted. float32 kernels that sum in another order differ
    /// by a few ulps per operation; 1e-3 is ~100× what a small model's logits show.
    #[arg(long, default_value_t = 1e-3)]
    pub max_logit_diff: f32,
    /// Accept a software Vulkan driver (Mesa's lavapipe) as the GPU: for checking the GPU code
    /// path on a machine without one.
    #[arg(long)]
    pub allow_software: bool,
}

/// Prompt lengths of the compared rows: unequal, so the batch holds left padding.
const PROMPT_LENGTHS: [usize; 4] = [24, 17, 11, 6];

/// Runs the comparison; returns its JSON line and whether every check held.
pub fn parity_command(args: &ParityArgs) -> Result<(String, bool)> {
    let mut adapters = Vec::new();
    if args.device == DeviceKind::Wgpu {
        adapters = gpu_adapters()?;
        if adapters.is_empty() {
            bail!(
                "wgpu found no adapter: is libvulkan.so.1 installed, and does VK_DRIVER_FILES name \
                 the driver's ICD file (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json)?"
            );
        }
        if adapters.iter().all(|a| a.software) && !args.allow_software {
            let names: Vec<&str> = adapters.iter().map(|a| a.name.as_str()).collect();
            bail!(
                "wgpu found only software adapters ({}): no GPU is in use; pass \
                 --allow-software to check the code path on the CPU anyway",
                names.join(", ")
            );
        }
    }
    let cpu = DeviceKind::Cpu.device()?;
    let gpu = args.device.device()?;
    let (tokenizer, on_cpu) = checkpoint::load_with_tokenizer(&args.model, &cpu)?;
    let (_, on_gpu) = checkpoint::load_with_tokenizer(&args.model, &gpu)?;
    let vocab = on_cpu.config().vocab_size;
    let rows: Vec<Vec<u32>> = fixed_token_rows(PROMPT_LENGTHS.len(), PROMPT_LENGTHS[0], vocab, 7)
        .into_iter()
        .zip(PROMPT_LENGTHS)
        .map(|(row, len)| row[..len].to_vec())
        .collect();

    let (logit_diff, logit_scale) = compare_logits(&on_cpu, &on_gpu, &rows, &cpu, &gpu);
    let options = greedy_options(&on_cpu, &tokenizer, args.new_tokens);
    let (cpu_greedy, cpu_seconds) = timed_generate(&on_cpu, &rows, &options, &cpu);
    let (gpu_greedy, gpu_seconds) = timed_generate(&on_gpu, &rows, &options, &gpu);
    let first_divergence: Vec<Option<usize>> = cpu_greedy
        .iter()
        .zip(&gpu_greedy)
        .map(|(a, b)| first_difference(&a.tokens, &b.tokens))
        .collect();
    let logprob_diff = cpu_greedy
        .iter()
        .zip(&gpu_greedy)
        .zip(&first_divergence)
        .flat_map(|((a, b), part)| {
            let shared = part.unwrap_or(a.logprobs.len().min(b.logprobs.len()));
            (0..shared).map(move |i| (a.logprobs[i] - b.logprobs[i]).abs())
        })
        .fold(0f32, f32::max);
    let identical = first_divergence.iter().filter(|d| d.is_none()).count();
    let passed = logit_diff <= args.max_logit_diff && identical == rows.len();
    let json = serde_json::json!({
        "model": args.model.display().to_string(),
        "device": args.device.name(),
        "adapters": adapters,
        "rows": rows.len(),
        "prompt_lengths": PROMPT_LENGTHS,
        "max_abs_logit_diff": logit_diff,
        "max_abs_logit": logit_scale,
        "max_logit_diff_allowed": args.max_logit_diff,
        "greedy_new_tokens": args.new_tokens,
        "greedy_rows_identical": identical,
        "first_divergence": first_divergence,
        "max_abs_logprob_diff": logprob_diff,
        "cpu_generate_seconds": cpu_seconds,
        "device_generate_seconds": gpu_seconds,
        "passed": passed,
    });
    Ok((json.to_string() + "\n", passed))
}

/// max |Δ logit| over the valid positions, and max |logit| on the CPU for scale.
fn compare_logits(
    on_cpu: &Transformer,
    on_gpu: &Transformer,
    rows: &[Vec<u32>],
    cpu: &Device,
    gpu: &Device,
) -> (f32, f32) {
    let (tokens, valid) = left_pad(rows, 0);
    let logits = |model: &Transformer, device: &Device| -> Vec<f32> {
        model
            .forward(Inputs::full(&tokens, &valid, device))
            .try_into_vec_as::<f32>()
            .expect("f32 logits")
    };
    let (a, b) = (logits(on_cpu, cpu), logits(on_gpu, gpu));
    let vocab = on_cpu.config().vocab_size;
    let positions = valid.iter().flatten();
    let mut diff = 0f32;
    let mut scale = 0f32;
    for ((row_a, row_b), &is_valid) in a.chunks(vocab).zip(b.chunks(vocab)).zip(positions) {
        if is_valid {
            for (x, y) in row_a.iter().zip(row_b) {
                // NaN on either side fails the check rather than vanishing in `max`.
                diff = diff.max(if (x - y).is_nan() {
                    f32::INFINITY
                } else {
                    (x - y).abs()
                });
                scale = scale.max(x.abs());
            }
        }
    }
    (diff, scale)
}

fn greedy_options(
    model: &Transformer,
    tokenizer: &Tokenizer,
    new_tokens: usize,
) -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: new_tokens,
        sampling: Sampling::at_temperature(0.0),
        stop_tokens: stop_tokens(model, tokenizer),
        pad_token: pad_token(model, tokenizer),
        seed: 0,
        use_cache: true,
    }
}

fn timed_generate(
    model: &Transformer,
    rows: &[Vec<u32>],
    options: &GenerateOptions,
    device: &Device,
) -> (Vec<Completion>, f64) {
    let started = Instant::now();
    let completions = generate(model, rows, options, device);
    (completions, started.elapsed().as_secs_f64())
}

/// The first index where `a` and `b` differ (a shorter row differs where it ends).
fn first_difference(a: &[u32], b: &[u32]) -> Option<usize> {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => Some(i),
        None if a.len() == b.len() => None,
        None => Some(a.len().min(b.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_finds_where_rows_part() {
        assert_eq!(first_difference(&[1, 2, 3], &[1, 2, 3]), None);
        assert_eq!(first_difference(&[1, 2, 3], &[1, 9, 3]), Some(1));
        assert_eq!(first_difference(&[1, 2], &[1, 2, 3]), Some(2));
        assert_eq!(first_difference(&[], &[]), None);
    }

    #[test]
    fn the_cpu_agrees_with_itself_and_a_gpu_build_is_asked_for() {
        let dir = std::env::temp_dir().join(format!("repro-parity-{}", std::process::id()));
        let tokenizer = dir.join("tokenizer.json");
        std::fs::create_dir_all(&dir).unwrap();
        Tokenizer::train_word_level(["1 + 2 = 3", "4 * 5 = 20"].map(String::from).into_iter())
            .unwrap()
            .save(&tokenizer)
            .unwrap();
        let model = dir.join("model");
        crate::model::commands::init_command("tiny-125k", &tokenizer, &model, 0).unwrap();
        let args = |device| ParityArgs {
            model: model.clone(),
            device,
            new_tokens: 8,
            max_logit_diff: 0.0,
            allow_software: false,
        };
        let (json, passed) = parity_command(&args(DeviceKind::Cpu)).unwrap();
        assert!(passed, "{json}");
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(report["max_abs_logit_diff"], 0.0);
        assert_eq!(report["greedy_rows_identical"], 4);
        if !cfg!(feature = "wgpu") {
            let error = parity_command(&args(DeviceKind::Wgpu))
                .unwrap_err()
                .to_string();
            assert!(error.contains("--features wgpu"), "{error}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
