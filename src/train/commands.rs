//! `repro eval`: any model folder (repro's or a Hugging Face Qwen2/Llama checkpoint) on a task
//! file or on generated problems, greedy as the paper evaluates, or sampled for mean@k and
//! pass@k.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};

use super::eval::{EvalOptions, evaluate};
use crate::model::sampling::Sampling;
use crate::model::{DeviceKind, checkpoint};
use crate::tasks::commands::GeneratedTask;
use crate::tasks::example::Example;
use crate::tasks::generate::{generate_countdown, generate_logic};

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A model folder (config.json, model.safetensors or shards, tokenizer.json), or a
    /// llama.cpp .gguf file (imported once into ~/.cache/repro/imported/).
    #[arg(long)]
    pub model: PathBuf,
    /// A task file (official UFT or LUFFY Parquet, generated Parquet, or JSON lines).
    #[arg(long, conflicts_with = "task")]
    pub data: Option<PathBuf>,
    /// Or generated test problems of this task (the `fine_tune` test split: generator seed 1).
    #[arg(long)]
    pub task: Option<GeneratedTask>,
    /// Generated problems (with --task).
    #[arg(long, default_value_t = 1024)]
    pub n: usize,
    /// Evaluate only the first N problems.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Completions per problem; above 1, sampled at --temperature (mean@k and pass@k).
    #[arg(long, default_value_t = 1)]
    pub samples: usize,
    /// Sampling temperature; 0 is greedy (the paper's protocol).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens whose probabilities sum to this (1 keeps
    /// all; used only when sampling).
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Longest completion, in tokens; a completion stops earlier at an end-of-text token.
    #[arg(long, default_value_t = 1024)]
    pub max_new_tokens: usize,
    /// Prompts decoded together (memory against speed; the results do not depend on it).
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Seed of the sampling (the same seed gives the same completions).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to run: cpu, or a GPU backend repro was built with.
    #[arg(long, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
    /// Write every completion and its reward to this Parquet file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the results in lm-evaluation-harness's layout into this folder:
    /// `<model>/results_<date>.json` (task → metric → value, the configuration) and
    /// `<model>/samples_<task>_<date>.jsonl` (one line per problem).
    #[arg(long, value_name = "DIR")]
    pub lm_eval: Option<PathBuf>,
}

pub fn eval_command(args: &EvalArgs) -> Result<String> {
    if args.samples == 0 {
        bail!("--samples must be at least 1");
    }
    if args.samples > 1 && args.temperature == 0.0 {
        bail!(
            "--samples {} needs a sampling --temperature above 0 (greedy decoding gives one answer)",
            args.samples
        );
    }
    let mut examples: Vec<Example> = match (&args.data, args.task) {
        (Some(path), _) => crate::tasks::data::load(path)?,
        (None, Some(GeneratedTask::Countdown)) => generate_countdown(1, args.n)
            .into_iter()
            .map(Example::from)
            .collect(),
        (None, Some(GeneratedTask::Logic)) => generate_logic(1, args.n)
            .into_iter()
            .map(Example::from)
            .collect(),
        (None, None) => bail!("say what to evaluate on: --data FILE or --task countdown|logic"),
    };
    if let Some(limit) = args.limit {
        examples.truncate(limit);
    }
    let device = args.device.device()?;
    let (tokenizer, model) = checkpoint::load_with_tokenizer(&args.model, &device)?;
    let options = EvalOptions {
        max_new_tokens: args.max_new_tokens,
        batch_size: args.batch,
        samples: args.samples,
        sampling: Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            top_k: 0,
        },
        seed: args.seed,
    };
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let result = evaluate(&model, &tokenizer, &examples, &options, &device)?;
    let mut out = String::new();
    let protocol = if args.samples == 1 && args.temperature == 0.0 {
        "greedy".to_string()
    } else {
        format!(
            "{} samples at temperature {}",
            args.samples, args.temperature
        )
    };
    writeln!(
        out,
        "{} problems, {protocol}, {:.1}s on {}",
        examples.len(),
        started.elapsed().as_secs_f64(),
        args.device
    )?;
    let label = if args.samples == 1 {
        "accuracy (pass@1)"
    } else {
        "mean@k accuracy"
    };
    writeln!(out, "{label:<20} {:.4}", result.accuracy)?;
    writeln!(
        out,
        "{:<20} {:.4}",
        "format accuracy", result.format_accuracy
    )?;
    writeln!(out, "{:<20} {:.4}", "mean reward", result.mean_reward)?;
    if args.samples > 1 {
        for (k, value) in &result.pass_at {
            writeln!(out, "{:<20} {value:.4}", format!("pass@{k}"))?;
        }
    }
    if let Some(path) = &args.out {
        crate::metrics::write_samples(path, &result.samples)?;
        writeln!(out, "completions written to {}", path.display())?;
    }
    if let Some(dir) = &args.lm_eval {
        let model_name = std::fs::canonicalize(&args.model)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".into());
        let run = super::lm_eval::LmEvalRun {
            model_name: &model_name,
            model_path: &args.model,
            examples: &examples,
            result: &result,
            options: &options,
            started: started_at,
            finished: std::time::SystemTime::now(),
        };
        for path in super::lm_eval::write(dir, &run)? {
            writeln!(out, "lm-evaluation-harness file {}", path.display())?;
        }
    }
    Ok(out)
}
