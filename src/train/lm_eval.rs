//! An evaluation written in the layout of EleutherAI's lm-evaluation-harness (v0.4
//! `EvaluationTracker`), so that its users can put `repro`'s numbers beside their own:
//!
//! ```text
//! DIR/<model name, '/' → '__'>/results_<date>.json         task → "metric,filter" → value
//! DIR/<model name, '/' → '__'>/samples_<task>_<date>.jsonl one line per problem
//! ```
//!
//! The task is the examples' `data_source` (one results entry and one samples file each). The
//! metrics, under the filter `none`: `acc` — the fraction of completions the task's official rule
//! scores 1 (greedy: pass@1; sampled: mean@k), with `acc_stderr` its standard error
//! (√(s²/n), s² with n − 1, as lm-eval's `mean_stderr`); `format_acc` — completions with the
//! answer format right (reward ≥ 0.1); `reward` — the mean official reward; and `pass@k` for
//! k = 1, 2, 4, … when several samples were drawn. The `configs` entry records the generation
//! settings (`generation_kwargs`) and the `config` entry the model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::eval::{EvalOptions, EvalResult, pass_at_k};
use crate::runner::integrity::hash_text;
use crate::runner::provenance::{Provenance, utc_timestamp};
use crate::tasks::example::{Example, GroundTruth};

/// What was evaluated, and how.
pub struct LmEvalRun<'a> {
    /// The model's name (its folder name); the results go to a folder named after it.
    pub model_name: &'a str,
    pub model_path: &'a Path,
    pub examples: &'a [Example],
    pub result: &'a EvalResult,
    pub options: &'a EvalOptions,
    pub started: SystemTime,
    pub finished: SystemTime,
}

/// Writes the results file and one samples file per task into `dir`; returns their paths.
pub fn write(dir: &Path, run: &LmEvalRun) -> Result<Vec<PathBuf>> {
    let folder = dir.join(run.model_name.replace('/', "__"));
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    // lm-eval's file date: ISO 8601 with ':' replaced by '-'.
    let date = utc_timestamp(run.finished)
        .trim_end_matches('Z')
        .replace(':', "-");
    let k = run.options.samples.max(1);
    let mut by_task: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, example) in run.examples.iter().enumerate() {
        by_task.entry(&example.data_source).or_default().push(i);
    }
    let mut results = serde_json::Map::new();
    let mut configs = serde_json::Map::new();
    let mut written = Vec::new();
    for (task, problems) in &by_task {
        let mut lines = String::new();
        let mut rewards = Vec::new();
        let mut correct_per_problem = Vec::new();
        for &i in problems {
            let example = &run.examples[i];
            let samples = &run.result.samples[i * k..(i + 1) * k];
            let completions: Vec<&str> = samples.iter().map(|s| s.completion.as_str()).collect();
            let correct = samples.iter().filter(|s| s.reward >= 1.0).count();
            correct_per_problem.push(correct);
            rewards.extend(samples.iter().map(|s| s.reward));
            let doc = json!({
                "prompt": example.question,
                "ground_truth": ground_truth(&example.ground_truth),
                "data_source": example.data_source,
            });
            let target = serde_json::to_string(&doc["ground_truth"])?;
            let line = json!({
                "doc_id": i,
                "doc": doc,
                "target": target,
                "arguments": {"gen_args_0": {"arg_0": example.question, "arg_1": generation_kwargs(run.options)}},
                "resps": [completions],
                "filtered_resps": completions,
                "filter": "none",
                "metrics": ["acc", "format_acc", "reward"],
                "doc_hash": hash_text(&serde_json::to_string(&doc)?),
                "prompt_hash": hash_text(&example.question),
                "target_hash": hash_text(&target),
                "acc": correct as f64 / k as f64,
                "format_acc": samples.iter().filter(|s| s.reward >= 0.1).count() as f64 / k as f64,
                "reward": samples.iter().map(|s| s.reward).sum::<f64>() / k as f64,
                "answers": samples.iter().map(|s| s.answer.clone()).collect::<Vec<_>>(),
            });
            lines.push_str(&serde_json::to_string(&line)?);
            lines.push('\n');
        }
        let samples_path = folder.join(format!("samples_{task}_{date}.jsonl"));
        crate::store::write_text(&samples_path, &lines)?;
        written.push(samples_path);

        let solved: Vec<f64> = rewards
            .iter()
            .map(|&r| f64::from(u8::from(r >= 1.0)))
            .collect();
        let formatted: Vec<f64> = rewards
            .iter()
            .map(|&r| f64::from(u8::from(r >= 0.1)))
            .collect();
        let mut entry = serde_json::Map::new();
        entry.insert("alias".into(), json!(task));
        for (metric, values) in [
            ("acc", &solved),
            ("format_acc", &formatted),
            ("reward", &rewards),
        ] {
            entry.insert(format!("{metric},none"), json!(mean(values)));
            entry.insert(format!("{metric}_stderr,none"), json!(stderr(values)));
        }
        if k > 1 {
            let mut j = 1;
            while j <= k {
                let value = correct_per_problem
                    .iter()
                    .map(|&c| pass_at_k(k, c, j))
                    .sum::<f64>()
                    / correct_per_problem.len() as f64;
                entry.insert(format!("pass@{j},none"), json!(value));
                j *= 2;
            }
        }
        results.insert(task.to_string(), Value::Object(entry));
        configs.insert(
            task.to_string(),
            json!({
                "task": task,
                "output_type": "generate_until",
                "num_fewshot": 0,
                "repeats": k,
                "generation_kwargs": generation_kwargs(run.options),
                "metric_list": [
                    {"metric": "acc", "aggregation": "mean", "higher_is_better": true},
                    {"metric": "format_acc", "aggregation": "mean", "higher_is_better": true},
                    {"metric": "reward", "aggregation": "mean", "higher_is_better": true}
                ],
                "metadata": {"scorer": "the task's official reward rule, as reproduced by repro (repro score)"},
            }),
        );
    }
    let tasks: Vec<&str> = by_task.keys().copied().collect();
    let provenance = Provenance::collect();
    let document = json!({
        "results": results,
        "group_subtasks": tasks.iter().map(|t| (t.to_string(), json!([]))).collect::<serde_json::Map<_, _>>(),
        "configs": configs,
        "versions": tasks.iter().map(|t| (t.to_string(), json!(1.0))).collect::<serde_json::Map<_, _>>(),
        "n-shot": tasks.iter().map(|t| (t.to_string(), json!(0))).collect::<serde_json::Map<_, _>>(),
        "higher_is_better": tasks.iter().map(|t| (t.to_string(), json!({"acc": true, "format_acc": true, "reward": true}))).collect::<serde_json::Map<_, _>>(),
        "n-samples": by_task.iter().map(|(t, p)| (t.to_string(), json!({"original": p.len(), "effective": p.len()}))).collect::<serde_json::Map<_, _>>(),
        "config": {
            "model": "repro",
            "model_args": format!("pretrained={}", run.model_path.display()),
            "batch_size": run.options.batch_size,
            "device": "cpu",
            "gen_kwargs": generation_kwargs(run.options),
            "random_seed": run.options.seed,
        },
        "git_hash": provenance.git_commit,
        "date": run.finished.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()),
        "model_name": run.model_name,
        "model_name_sanitized": run.model_name.replace('/', "__"),
        "start_time": utc_timestamp(run.started),
        "end_time": utc_timestamp(run.finished),
        "total_evaluation_time_seconds": run.finished.duration_since(run.started).map_or(0.0, |d| d.as_secs_f64()).to_string(),
        "repro_version": provenance.repro_version,
    });
    let results_path = folder.join(format!("results_{date}.json"));
    crate::store::write_text(&results_path, &serde_json::to_string_pretty(&document)?)?;
    written.insert(0, results_path);
    Ok(written)
}

fn generation_kwargs(options: &EvalOptions) -> Value {
    json!({
        "max_gen_toks": options.max_new_tokens,
        "do_sample": !options.sampling.is_greedy(),
        "temperature": options.sampling.temperature,
        "top_p": options.sampling.top_p,
    })
}

/// The ground truth as JSON (lm-eval's `doc` and `target`).
fn ground_truth(truth: &GroundTruth) -> Value {
    match truth {
        GroundTruth::Countdown { numbers, target } => json!({"numbers": numbers, "target": target}),
        GroundTruth::Logic {
            solution_text_format,
            ..
        } => json!(solution_text_format),
        GroundTruth::Math { target }
        | GroundTruth::Numeric { target }
        | GroundTruth::Boxed { target } => json!(target),
        GroundTruth::Choice { label } => json!(label.to_string()),
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// √(s² / n) with the sample variance s² (n − 1), lm-eval's `mean_stderr`; 0 below two values.
fn stderr(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let m = mean(values);
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    (variance / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_as_lm_eval_computes_it() {
        // (1, 0, 0, 1): mean 0.5, s² = (4 · 0.25)/3 = 1/3, √(1/12) = 0.288675.
        assert!((stderr(&[1.0, 0.0, 0.0, 1.0]) - 0.288_675_13).abs() < 1e-8);
        assert_eq!(stderr(&[1.0]), 0.0);
    }
}
