//! The model-side subcommands: `repro generate`, `repro model init|info` and
//! `repro tokenizer train`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::checkpoint;
use super::device::DeviceKind;
use super::generate::{GenerateOptions, generate, pad_token, stop_tokens};
use super::presets;
use super::sampling::Sampling;
use super::tokenizer::Tokenizer;
use super::transformer::Transformer;
use super::weights::{RandomInit, SaveDtype};

/// `repro generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// A model folder (config.json, model.safetensors or shards, tokenizer.json), or a
    /// llama.cpp .gguf file (imported once into ~/.cache/repro/imported/).
    #[arg(long)]
    pub model: PathBuf,
    /// The prompt, used verbatim (no chat template is applied).
    #[arg(long)]
    pub prompt: String,
    /// Completions to draw.
    #[arg(long, short, default_value_t = 1)]
    pub n: usize,
    /// Sampling temperature; 0 is greedy decoding.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens whose probabilities sum to this (1 keeps
    /// all).
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Keep only the k most likely tokens; 0 keeps every token.
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Longest completion, in tokens; a completion stops earlier at an end-of-text token.
    #[arg(long, default_value_t = 128)]
    pub max_new_tokens: usize,
    /// Seed of the sampling (the same seed gives the same completions).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to run: cpu, or a GPU backend repro was built with.
    #[arg(long, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
}

pub fn generate_command(args: &GenerateArgs) -> Result<String> {
    if args.n == 0 {
        bail!("--n must be at least 1");
    }
    if !(args.temperature >= 0.0) || !(args.top_p > 0.0 && args.top_p <= 1.0) {
        bail!("--temperature must be ≥ 0 and --top-p in (0, 1]");
    }
    let device = args.device.device()?;
    let (tokenizer, model) = checkpoint::load_with_tokenizer(&args.model, &device)?;
    let prompt = tokenizer.encode(&args.prompt)?;
    if prompt.is_empty() {
        bail!("the prompt is empty after tokenization");
    }
    let options = GenerateOptions {
        max_new_tokens: args.max_new_tokens,
        sampling: Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            top_k: args.top_k,
        },
        stop_tokens: stop_tokens(&model, &tokenizer),
        pad_token: pad_token(&model, &tokenizer),
        seed: args.seed,
        use_cache: true,
    };
    let started = Instant::now();
    let completions = generate(&model, &vec![prompt.clone(); args.n], &options, &device);
    let seconds = started.elapsed().as_secs_f64();
    let mut out = String::new();
    let mut generated = 0;
    for (i, completion) in completions.iter().enumerate() {
        generated += completion.tokens.len();
        let mean_logprob =
            completion.logprobs.iter().sum::<f32>() / completion.logprobs.len().max(1) as f32;
        let end = if completion.stopped {
            "stop token"
        } else {
            "max tokens"
        };
        writeln!(
            out,
            "--- completion {} ({} tokens, ended by {end}, mean log-prob {mean_logprob:.3})",
            i + 1,
            completion.tokens.len()
        )?;
        writeln!(out, "{}", tokenizer.decode(&completion.tokens)?)?;
    }
    writeln!(
        out,
        "--- {} prompt tokens, {generated} generated in {seconds:.2}s ({:.1} tokens/s on {})",
        prompt.len(),
        generated as f64 / seconds,
        args.device
    )?;
    Ok(out)
}

/// `repro model init`: a randomly initialised model folder for a preset, paired with a
/// tokenizer whose vocabulary it takes (tiny presets) or must match (the paper's models).
pub fn init_command(preset: &str, tokenizer_path: &Path, out: &Path, seed: u64) -> Result<String> {
    let tokenizer = Tokenizer::from_file(tokenizer_path)?;
    let mut config = presets::by_name(preset)?;
    if preset.starts_with("tiny") {
        let eos = tokenizer
            .end_of_text()
            .with_context(|| format!("{} has no end-of-text token", tokenizer_path.display()))?;
        config = config.with_vocab(tokenizer.vocab_size(), eos);
    } else if tokenizer.vocab_size() > config.vocab_size {
        bail!(
            "the tokenizer has {} tokens but {preset} has an embedding for {}",
            tokenizer.vocab_size(),
            config.vocab_size
        );
    }
    let model = Transformer::build(
        &config,
        &mut RandomInit::new(seed),
        &DeviceKind::Cpu.device()?,
    )?;
    checkpoint::save(&model, out, SaveDtype::F32)?;
    tokenizer.save(&out.join("tokenizer.json"))?;
    Ok(format!(
        "wrote a random {preset} ({:.2}M parameters, vocab {}) to {}\n",
        config.num_parameters() as f64 / 1e6,
        config.vocab_size,
        out.display()
    ))
}

/// `repro model info`: the architecture of a model folder or preset.
pub fn info_command(model: &str) -> Result<String> {
    let path = &checkpoint::model_folder(Path::new(model))?;
    let config = if path.is_dir() {
        super::ModelConfig::from_dir(path)?
    } else {
        presets::by_name(model)?
    };
    let mut out = String::new();
    writeln!(out, "architecture      {:?}", config.architecture)?;
    writeln!(
        out,
        "parameters        {} ({:.2}M)",
        config.num_parameters(),
        config.num_parameters() as f64 / 1e6
    )?;
    writeln!(out, "layers            {}", config.num_layers)?;
    writeln!(
        out,
        "hidden / MLP      {} / {}",
        config.hidden_size, config.intermediate_size
    )?;
    writeln!(
        out,
        "heads (kv) × dim  {} ({}) × {}",
        config.num_heads, config.num_kv_heads, config.head_dim
    )?;
    writeln!(out, "vocabulary        {}", config.vocab_size)?;
    writeln!(
        out,
        "rope θ            {}{}",
        config.rope_theta,
        if config.rope_scaling.is_some() {
            " (llama3 scaling)"
        } else {
            ""
        }
    )?;
    writeln!(out, "tied embeddings   {}", config.tie_word_embeddings)?;
    writeln!(
        out,
        "FLOPs per token   {:.4e} (forward, 2 × the weights a token touches)",
        config.flops_per_token()
    )?;
    Ok(out)
}

/// `repro tokenizer train`.
pub fn train_tokenizer_command(data: &Path, vocab: usize, out: &Path) -> Result<String> {
    let started = Instant::now();
    let tokenizer = Tokenizer::train_from_file(data, vocab)?;
    tokenizer.save(out)?;
    Ok(format!(
        "trained a byte-level BPE tokenizer with {} tokens on {} in {:.2}s; wrote {}\n",
        tokenizer.vocab_size(),
        data.display(),
        started.elapsed().as_secs_f64(),
        out.display()
    ))
}
