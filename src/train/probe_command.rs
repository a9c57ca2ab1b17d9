//! `repro probe`: the competence curve (`probe.rs`) of any model folder on generated training
//! problems, printed as a table and written as `competence.parquet` and `competence.png`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};

use super::probe::{CurvePoint, FRACTIONS, ProbeOptions, competence_curve};
use crate::model::{DeviceKind, checkpoint};
use crate::tasks::commands::GeneratedTask;
use crate::tasks::example::Example;
use crate::tasks::generate::{CountdownOptions, LogicOptions, TaskOptions};
use crate::tasks::prompt::Template;

#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// A model folder (config.json, model.safetensors or shards, tokenizer.json) or a .gguf
    /// file. Repeat the flag to probe several models on the same problems (one curve and panel
    /// each).
    #[arg(long, required = true)]
    pub model: Vec<PathBuf>,
    /// The task whose generated training problems (generator seed 0, as `fine_tune` trains
    /// on) are probed.
    #[arg(long, default_value = "countdown")]
    pub task: GeneratedTask,
    /// Problems probed (the first N training problems).
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Countdown: numbers per problem (official: 3–4).
    #[arg(long, default_value_t = 3)]
    pub numbers: usize,
    /// Countdown: numbers are drawn from 1..=this (official: 99).
    #[arg(long, default_value_t = 99)]
    pub max_value: i64,
    /// Countdown: targets are drawn from 10..=this (official: 100).
    #[arg(long, default_value_t = 100)]
    pub max_target: i64,
    /// Countdown: the prompt frame the model was trained with (short: the CPU study's).
    #[arg(long, value_enum, default_value_t = TemplateArg::Official)]
    pub template: TemplateArg,
    /// Logic: inhabitants per puzzle (official: 3–7).
    #[arg(long, default_value_t = 3)]
    pub people: usize,
    /// Sampled completions per problem and hint fraction: pass@k for k = 1, 2, 4, … up to it.
    #[arg(long, default_value_t = 16)]
    pub samples: usize,
    /// Sampling temperature (the RL rollouts': 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f32,
    /// Response length cap.
    #[arg(long, default_value_t = 96)]
    pub max_new_tokens: usize,
    /// Prompts decoded together.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Seed of the sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
    /// Folder for competence.parquet and competence.png (nothing written without it).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `--template`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateArg {
    Official,
    Short,
}

pub fn probe_command(args: &ProbeArgs) -> Result<String> {
    if args.n == 0 {
        bail!("--n must be at least 1");
    }
    let tasks = TaskOptions {
        countdown: CountdownOptions {
            min_numbers: args.numbers,
            max_numbers: args.numbers,
            number_range: (1, args.max_value),
            target_range: (10, args.max_target),
            template: match args.template {
                TemplateArg::Official => Template::Official,
                TemplateArg::Short => Template::Short,
            },
            ..CountdownOptions::default()
        },
        logic: LogicOptions::with_people(args.people, args.people),
    };
    if let Err(why) = tasks.countdown.check_solvable() {
        bail!("--max-target: {why}");
    }
    let task = match args.task {
        GeneratedTask::Countdown => "countdown",
        GeneratedTask::Logic => "logic",
    };
    let examples: Vec<Example> = tasks
        .generate(task, 0, args.n)
        .into_iter()
        .map(Example::from)
        .collect();
    let device = args.device.device()?;
    let options = ProbeOptions {
        samples: args.samples,
        temperature: args.temperature,
        max_new_tokens: args.max_new_tokens,
        batch_size: args.batch,
        seed: args.seed,
    };
    let mut out = String::new();
    let mut curves = Vec::new();
    let problems = describe_problems(args);
    for dir in &args.model {
        let started = Instant::now();
        let (tokenizer, model) = checkpoint::load_with_tokenizer(dir, &device)?;
        let curve = competence_curve(&model, &tokenizer, &examples, &FRACTIONS, &options, &device)?;
        let label = CurveLabel {
            model: model_name(dir),
            task: task.to_string(),
            problems: problems.clone(),
        };
        writeln!(
            out,
            "competence curve of {} on {} {task} training problems ({}), {} samples at \
             temperature {}, {:.1}s",
            label.model,
            examples.len(),
            label.problems,
            args.samples,
            args.temperature,
            started.elapsed().as_secs_f64()
        )?;
        out.push_str(&table(&curve));
        curves.push((label, curve));
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let parquet = dir.join("competence.parquet");
        crate::metrics::write_competence(&parquet, &curves)?;
        let figures = crate::plot::competence::plot_curves(&curves, dir, "competence")?;
        writeln!(out, "wrote {}", parquet.display())?;
        for figure in figures {
            writeln!(out, "wrote {}", figure.display())?;
        }
    }
    Ok(out)
}

/// What a curve is of, for its figure.
#[derive(Clone, Debug)]
pub struct CurveLabel {
    pub model: String,
    pub task: String,
    pub problems: String,
}

fn describe_problems(args: &ProbeArgs) -> String {
    match args.task {
        GeneratedTask::Countdown => format!(
            "{} numbers in 1–{}, targets 10–{}",
            args.numbers, args.max_value, args.max_target
        ),
        GeneratedTask::Logic => format!("{} inhabitants", args.people),
    }
}

/// The model's folder name (`tiny-500k-1a2b3c4d`), or its path when it has none.
fn model_name(dir: &std::path::Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// `hint fraction  sentences  pass@1  pass@4  pass@16  mean@k`.
fn table(curve: &[CurvePoint]) -> String {
    let ks: Vec<usize> = curve
        .first()
        .map(|p| p.pass_at.iter().map(|(k, _)| *k).collect())
        .unwrap_or_default();
    let mut out = format!("{:<14}{:>10}", "hint fraction", "sentences");
    for k in &ks {
        out.push_str(&format!("{:>9}", format!("pass@{k}")));
    }
    out.push_str(&format!("{:>9}\n", "mean@k"));
    for point in curve {
        out.push_str(&format!(
            "{:<14.1}{:>10.2}",
            point.hint_fraction, point.mean_sentences_given
        ));
        for (_, value) in &point.pass_at {
            out.push_str(&format!("{value:>9.3}"));
        }
        out.push_str(&format!("{:>9.3}\n", point.mean_accuracy));
    }
    out
}
