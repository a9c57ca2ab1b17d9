//! One seed of a `fine_tune` cell: read or generate the task data, take the starting model
//! (random weights with a tokenizer trained on the task, a pretrained tiny base model, or a
//! Hugging Face folder), then run the method's stages (SFT, RL, or SFT followed by RL),
//! evaluating before training, every `test_freq` RL steps and at the end, and finally on the
//! cell's benchmark set. Returns tidy metric rows.
//!
//! The final model goes to the seed's model folder with its tokenizer and the completion of every
//! test problem (`test_samples.parquet`, `bench_<benchmark>_samples.parquet`).
//!
//! Generated data are the same for every seed (generator seeds 0 for train and 1 for test); the
//! run seed drives the initialisation, the data order, the hints and the sampling.

use std::path::PathBuf;

use anyhow::{Context, Result};
use burn::module::Module;

use super::checkpoint::{self, Position, Stage};
use super::config::{Benchmarks, FineTuneConfig, Init};
use super::eval::{EvalOptions, EvalResult, evaluate};
use super::first_success::FirstSuccess;
use super::optimizer::AdamW;
use super::rl::{RlState, StepMetrics, rl_step};
use super::sft::sft_step;
use super::sft_stage::{SFT_ANNOTATION_TOKENS, SharedStage};
use super::{benchmarks, pretrain};
use crate::experiment::Cell;
use crate::metrics::SeedRow;
use crate::model::sampling::Sampling;
use crate::model::tokenizer::Tokenizer;
use crate::model::weights::{RandomInit, SaveDtype};
use crate::model::{Transformer, presets};
use crate::rng::{combined_key, label_key};
use crate::tasks::example::Example;

/// Metric names written by `fine_tune` cells.
pub mod metric {
    pub const TEST_ACCURACY: &str = "test_accuracy";
    pub const TEST_FORMAT_ACCURACY: &str = "test_format_accuracy";
    pub const TEST_REWARD: &str = "test_reward";
    /// Fraction correct over `eval_samples` sampled completions per problem (final model only).
    pub const TEST_MEAN_AT_K: &str = "test_mean_at_k";
    /// Fraction of training problems answered correctly without a hint at least once so far.
    pub const SOLVED_PROBLEMS: &str = "solved_problems";
    /// Rollouts spent per first unhinted success (`train::first_success`).
    pub const ROLLOUTS_PER_FIRST_SUCCESS: &str = "rollouts_per_first_success";
    /// 1 when no training problem has been solved yet (the rate is then a lower bound).
    pub const FIRST_SUCCESS_CENSORED: &str = "first_success_censored";
    /// Annotation (solution) tokens consumed so far: hint tokens in RL, target tokens in SFT.
    pub const ANNOTATION_TOKENS: &str = "annotation_tokens";

    /// The final model's accuracy on a benchmark: `bench_<name>_accuracy`.
    pub fn bench_accuracy(benchmark: &str) -> String {
        format!("bench_{benchmark}_accuracy")
    }

    /// The benchmark a `bench_<name>_accuracy` metric is about.
    pub fn benchmark_of(metric: &str) -> Option<&str> {
        metric.strip_prefix("bench_")?.strip_suffix("_accuracy")
    }

    /// The per-completion file of a benchmark, in the seed's model folder.
    pub fn bench_samples_file(benchmark: &str) -> String {
        format!("bench_{benchmark}_samples.parquet")
    }
}

/// The part of a seed's progress bar that pretraining its base model fills (when it does).
const PRETRAIN_PROGRESS_SHARE: f64 = 0.5;

/// Evaluation batch size (prompts decoded together).
const EVAL_BATCH: usize = 32;

/// Where a seed keeps its checkpoints while it runs, and its final model.
pub struct SeedDirs {
    pub work: PathBuf,
    pub model: PathBuf,
    /// The cache of pretrained tiny base models, shared by the results root.
    pub base_models: PathBuf,
    /// The end state of this seed's SFT stage, when another cell of the experiment shares it.
    pub sft_stage: Option<SharedStage>,
}

pub fn run_seed(
    cell: &Cell,
    seed: u64,
    dirs: &SeedDirs,
    progress: &mut dyn FnMut(f64),
) -> Result<Vec<SeedRow>> {
    let config = FineTuneConfig::from_cell(cell, seed);
    let plain = config.device.device()?;
    let device = plain.clone().autodiff();
    let (train, test) = task_data(&config, &config.task)?;
    // The starting point: where its weights come from, and the tokenizer that goes with them.
    // A base model pretrained by this seed fills the first part of its progress bar.
    let mut pretrained_here = false;
    let base_dir = match &config.init {
        Init::Random => None,
        Init::Pretrained(recipe) => Some(pretrain::base_model(
            recipe,
            &dirs.base_models,
            &plain,
            &mut |f| {
                pretrained_here = true;
                progress(f * PRETRAIN_PROGRESS_SHARE);
            },
        )?),
        Init::Checkpoint(path) => {
            super::config::check_model_folder(&config.model, path)?;
            Some(if super::config::is_gguf(path) {
                crate::model::gguf::import::cached(path, &dirs.base_models)?
            } else {
                path.clone()
            })
        }
    };
    let mut progress = |f: f64| match pretrained_here {
        true => progress(PRETRAIN_PROGRESS_SHARE + (1.0 - PRETRAIN_PROGRESS_SHARE) * f),
        false => progress(f),
    };
    let tokenizer = match &base_dir {
        None => train_tokenizer(&train, config.vocab)?,
        Some(dir) => Tokenizer::from_model_dir(dir)?,
    };
    let initial_model = || -> Result<Transformer> {
        match &base_dir {
            None => {
                let eos = tokenizer
                    .end_of_text()
                    .context("the trained tokenizer has no end-of-text token")?;
                let shape =
                    presets::by_name(&config.model)?.with_vocab(tokenizer.vocab_size(), eos);
                Transformer::build(&shape, &mut RandomInit::new(seed), &device)
            }
            Some(dir) => crate::model::checkpoint::load(dir, &device),
        }
    };
    let evaluate_at =
        |model: &Transformer, step: u64, rows: &mut Vec<SeedRow>| -> Result<EvalResult> {
            let result = evaluate(
                &model.valid(),
                &tokenizer,
                &test,
                &EvalOptions::greedy(config.rl.max_new_tokens, EVAL_BATCH),
                &plain,
            )?;
            rows.push(SeedRow::new(
                seed,
                step,
                metric::TEST_ACCURACY,
                result.accuracy,
            ));
            rows.push(SeedRow::new(
                seed,
                step,
                metric::TEST_FORMAT_ACCURACY,
                result.format_accuracy,
            ));
            rows.push(SeedRow::new(
                seed,
                step,
                metric::TEST_REWARD,
                result.mean_reward,
            ));
            Ok(result)
        };
    let sft_steps = if config.runs_sft() {
        config.sft.total_steps(train.len())
    } else {
        0
    };
    let rl_steps = if config.runs_rl() { config.rl.steps } else { 0 };
    let total_work = (sft_steps + rl_steps).max(1) as f64;
    let mut last_eval = None;
    let due = |step: u64, last: u64| step % config.save_freq == 0 && step < last;

    // Continue from the latest checkpoint, or start: initialise and evaluate the base model.
    let optimizer_config = |stage| {
        if stage == Stage::Sft {
            config.sft.optimizer
        } else {
            config.rl.optimizer
        }
    };
    // SFT→RFT numbers its RL steps from 1 again; the SFT stage's rows keep an `sft_` name.
    let annotation_name = if config.runs_rl() {
        SFT_ANNOTATION_TOKENS
    } else {
        metric::ANNOTATION_TOKENS
    };
    let mut resumed = checkpoint::load_latest(&dirs.work, &device, &plain, optimizer_config)?;
    // A seed that has not started may take its SFT stage from a cell that has finished it.
    let shared_sft_stage = resumed.is_none() && config.runs_sft() && {
        resumed = dirs
            .sft_stage
            .as_ref()
            .and_then(|stage| stage.load(&device, &plain, optimizer_config, annotation_name));
        resumed.is_some()
    };
    let (mut position, mut model, mut reference, mut optimizer) = match resumed {
        Some(r) => (r.position, r.model, r.reference, Some(r.optimizer)),
        None => {
            let model = initial_model()?;
            let mut rows = Vec::new();
            last_eval = Some(evaluate_at(&model, 0, &mut rows)?);
            let stage = if config.runs_sft() {
                Stage::Sft
            } else {
                Stage::Rl
            };
            (
                Position {
                    stage,
                    step: 0,
                    annotation_tokens: 0.0,
                    rows,
                    first_success: FirstSuccess::new(train.len()),
                },
                model,
                None,
                None,
            )
        }
    };

    if position.stage == Stage::Sft {
        let mut sft_optimizer = optimizer
            .take()
            .unwrap_or_else(|| AdamW::new(config.sft.optimizer));
        for step in position.step..sft_steps {
            let m = sft_step(
                &mut model,
                &mut sft_optimizer,
                &config.sft,
                &tokenizer,
                &train,
                step,
                &device,
            )?;
            position.annotation_tokens += m.target_tokens;
            for (name, value) in [
                ("sft_loss", m.loss),
                ("sft_grad_norm", m.grad_norm),
                ("sft_lr", m.lr),
                ("sft_tokens_per_second", m.tokens_per_second),
                ("sft_seconds", m.seconds),
                (annotation_name, position.annotation_tokens),
            ] {
                position.rows.push(SeedRow::new(seed, m.step, name, value));
            }
            position.step = m.step;
            if due(m.step, sft_steps) {
                checkpoint::save(&dirs.work, &position, &model, None, &sft_optimizer)?;
            }
            progress(m.step as f64 / total_work);
        }
        if let Some(stage) = dirs.sft_stage.as_ref().filter(|_| !shared_sft_stage) {
            stage.save(&position, &model, &sft_optimizer)?;
        }
        // The SFT model's accuracy, at step 0 of the RL stage for SFT→RFT (as Figures 2/7/8 draw it).
        let step = if config.runs_rl() { 0 } else { sft_steps };
        position
            .rows
            .retain(|r| !(r.step == step && r.metric.starts_with("test_")));
        last_eval = Some(evaluate_at(&model, step, &mut position.rows)?);
        position.stage = Stage::Rl;
        position.step = 0;
    }

    if config.runs_rl() {
        let reference = reference.take().unwrap_or_else(|| model.valid());
        let optimizer = optimizer
            .take()
            .unwrap_or_else(|| AdamW::new(config.rl.optimizer));
        let mut state = RlState {
            model,
            reference,
            optimizer,
        };
        if position.first_success.spent.len() != train.len() {
            position.first_success = FirstSuccess::new(train.len());
        }
        for step in position.step..rl_steps {
            let m = rl_step(&mut state, &config.rl, &tokenizer, &train, step, &device)?;
            position.annotation_tokens += m.hint_tokens;
            position.first_success.record(&m.outcomes);
            position
                .rows
                .extend(step_rows(seed, &m, position.annotation_tokens));
            if m.step % config.test_freq == 0 || m.step == rl_steps {
                last_eval = Some(evaluate_at(&state.model, m.step, &mut position.rows)?);
                position
                    .rows
                    .extend(first_success_rows(seed, m.step, &position.first_success));
            }
            position.step = m.step;
            if due(m.step, rl_steps) {
                checkpoint::save(
                    &dirs.work,
                    &position,
                    &state.model,
                    Some(&state.reference),
                    &state.optimizer,
                )?;
            }
            progress((sft_steps + m.step) as f64 / total_work);
        }
        model = state.model;
    }
    let last = match last_eval {
        Some(result) => result,
        None => evaluate(
            &model.valid(),
            &tokenizer,
            &test,
            &EvalOptions::greedy(config.rl.max_new_tokens, EVAL_BATCH),
            &plain,
        )?,
    };
    crate::metrics::write_samples(&dirs.model.join("test_samples.parquet"), &last.samples)?;
    let final_step = position.rows.iter().map(|r| r.step).max().unwrap_or(0);
    let greedy = EvalOptions::greedy(config.rl.max_new_tokens, EVAL_BATCH);
    for benchmark in benchmarks::names(config.benchmarks) {
        let result = match config.benchmarks {
            Benchmarks::Generated if benchmark == config.task => last.clone(),
            Benchmarks::Generated => {
                let (_, problems) = task_data(&config, benchmark)?;
                evaluate(&model.valid(), &tokenizer, &problems, &greedy, &plain)?
            }
            set => {
                let data_dir = config.data_dir.as_deref().expect("checked by check_cell");
                let problems = benchmarks::problems(set, benchmark, data_dir)?;
                // Table 2: greedy (§5.4); the §8 suite: one sample per row at 0.6.
                let options = if set == Benchmarks::Suite {
                    EvalOptions {
                        sampling: Sampling::at_temperature(config.eval_temperature),
                        seed: combined_key(&[seed, label_key(benchmark)]),
                        ..greedy
                    }
                } else {
                    greedy
                };
                evaluate(&model.valid(), &tokenizer, &problems, &options, &plain)?
            }
        };
        let name = metric::bench_accuracy(benchmark);
        position
            .rows
            .push(SeedRow::new(seed, final_step, &name, result.accuracy));
        crate::metrics::write_samples(
            &dirs.model.join(metric::bench_samples_file(benchmark)),
            &result.samples,
        )?;
    }
    if config.eval_samples > 0 {
        let sampled = evaluate(
            &model.valid(),
            &tokenizer,
            &test,
            &EvalOptions {
                max_new_tokens: config.rl.max_new_tokens,
                batch_size: EVAL_BATCH,
                samples: config.eval_samples,
                sampling: Sampling::at_temperature(config.eval_temperature),
                seed: combined_key(&[seed, label_key("eval/sampled")]),
            },
            &plain,
        )?;
        let step = position.rows.iter().map(|r| r.step).max().unwrap_or(0);
        position.rows.push(SeedRow::new(
            seed,
            step,
            metric::TEST_MEAN_AT_K,
            sampled.accuracy,
        ));
        for (k, value) in &sampled.pass_at {
            let name = format!("test_pass_at_{k}");
            position.rows.push(SeedRow::new(seed, step, &name, *value));
        }
        crate::metrics::write_samples(
            &dirs.model.join("test_samples_sampled.parquet"),
            &sampled.samples,
        )?;
    }
    crate::model::checkpoint::save(&model, &dirs.model, SaveDtype::F32)?;
    tokenizer.save(&dirs.model.join("tokenizer.json"))?;
    if let Some(base) = &base_dir {
        crate::model::checkpoint::copy_companions(base, &dirs.model)?;
    }
    Ok(position.rows)
}

fn step_rows(seed: u64, m: &StepMetrics, annotation_tokens: f64) -> Vec<SeedRow> {
    [
        ("reward_mean", m.reward_mean),
        ("accuracy", m.accuracy),
        ("format_accuracy", m.format_accuracy),
        ("policy_loss", m.policy_loss),
        ("clip_fraction", m.clip_fraction),
        ("approx_kl", m.approx_kl),
        ("kl", m.kl),
        ("entropy", m.entropy),
        ("hint_nll", m.hint_nll),
        ("hint_fraction_mean", m.hint_fraction_mean),
        ("hint_fraction_min", m.hint_fraction_min),
        ("hint_fraction_max", m.hint_fraction_max),
        ("hint_tokens", m.hint_tokens),
        (metric::ANNOTATION_TOKENS, annotation_tokens),
        ("response_length", m.response_length),
        ("equal_reward_groups", m.equal_reward_groups),
        ("solved_groups", m.solved_groups),
        ("grad_norm", m.grad_norm),
        ("lr", m.lr),
        ("tokens_per_second", m.tokens_per_second),
        ("seconds", m.seconds),
        ("generation_seconds", m.generation_seconds),
        ("scoring_seconds", m.scoring_seconds),
        ("update_seconds", m.update_seconds),
    ]
    .into_iter()
    .map(|(name, value)| SeedRow::new(seed, m.step, name, value))
    .collect()
}

/// The first-success summary at `step` (`train::first_success`); the median only where more
/// than half of the problems are solved.
fn first_success_rows(seed: u64, step: u64, tracker: &FirstSuccess) -> Vec<SeedRow> {
    let s = tracker.summary();
    let mut rows: Vec<SeedRow> = [
        (metric::SOLVED_PROBLEMS, s.solved),
        ("solved_problems_any", s.solved_any),
        (metric::ROLLOUTS_PER_FIRST_SUCCESS, s.rollouts_per_success),
        (
            metric::FIRST_SUCCESS_CENSORED,
            f64::from(u8::from(s.censored)),
        ),
        ("first_success_exposure", s.exposure),
        ("first_success_events", s.events),
    ]
    .into_iter()
    .map(|(name, value)| SeedRow::new(seed, step, name, value))
    .collect();
    if s.median.is_finite() {
        rows.push(SeedRow::new(seed, step, "first_success_median", s.median));
    }
    rows
}

/// Training and test problems of `task`: the official files in `data_dir`, or generated ones
/// (generator seed 0 for training, 1 for test, 2 for validation).
fn task_data(config: &FineTuneConfig, task: &str) -> Result<(Vec<Example>, Vec<Example>)> {
    if let Some(dir) = &config.data_dir {
        let file = |split: &str| -> Result<Vec<Example>> {
            let name = match task {
                "logic" => format!("kk_logic_{split}.parquet"),
                other => format!("{other}_{split}.parquet"),
            };
            crate::tasks::data::load(&dir.join(name))
        };
        let test: Vec<Example> = file("test")?.into_iter().take(config.test_size).collect();
        let train = if task == config.task {
            file("train")?
        } else {
            Vec::new()
        };
        return Ok((train, test));
    }
    let generate = |seed, n| -> Vec<Example> {
        let generated = config.tasks.generate(task, seed, n);
        generated.into_iter().map(Example::from).collect()
    };
    Ok((
        generate(0, config.train_size),
        generate(config.test_seed, config.test_size),
    ))
}

/// A BPE tokenizer on the training prompts and reference responses (deterministic).
fn train_tokenizer(train: &[Example], vocab: usize) -> Result<Tokenizer> {
    let text: Vec<String> = train
        .iter()
        .flat_map(|e| {
            [
                e.question.clone(),
                e.answer.clone().unwrap_or_else(|| e.hint.concat()),
            ]
        })
        .collect();
    Tokenizer::train_bpe(text.into_iter(), vocab)
}

/// A one-line account of a finished cell for the console.
pub fn summarize(rows: &[SeedRow]) -> String {
    let last_step = rows
        .iter()
        .filter(|r| r.metric == metric::TEST_ACCURACY)
        .map(|r| r.step)
        .max()
        .unwrap_or(0);
    let finals: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == metric::TEST_ACCURACY && r.step == last_step)
        .map(|r| r.value)
        .collect();
    let formats: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == metric::TEST_FORMAT_ACCURACY && r.step == last_step)
        .map(|r| r.value)
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    format!(
        "final test accuracy {:.3}, format {:.3} (mean over {} seeds, step {last_step})",
        mean(&finals),
        mean(&formats),
        finals.len()
    )
}
