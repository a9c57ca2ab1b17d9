//! The results folder of a `fine_tune` experiment, read for tables: each complete cell's model,
//! method and training task, and its final accuracy per benchmark and per seed.
//!
//! A cell's accuracy on benchmark b is the metric `bench_<b>_accuracy` at each seed's last step,
//! with per-problem scores from `models/seed-<N>/bench_<b>_samples.parquet`. A cell without any
//! `bench_*` metric has only its own task: `test_accuracy` at the last step and
//! `test_samples.parquet`. A problem's score is the fraction of its samples whose reward is at
//! least 1 − 10⁻⁶ (greedy decoding: 0 or 1).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use polars::prelude::*;

use super::estimate::{Evidence, SeedScore};
use super::format::value_text;
use super::names;
use crate::experiment::Value;
use crate::metrics::{self, CellMetrics};
use crate::runner::record::{self, ExperimentRecord};
use crate::runner::summary::{Status, Summary};
use crate::train::run::metric::{bench_accuracy, bench_samples_file, benchmark_of};

/// Tolerance used when the results folder has no `experiment.toml` (accuracy units, 0–1).
pub const DEFAULT_TOLERANCE: f64 = 0.05;

/// The metric holding the final greedy accuracy on the training task's own test split.
const TEST_ACCURACY: &str = crate::train::run::metric::TEST_ACCURACY;

/// A reward counts as correct from this value on (|reward − 1| < 10⁻⁶, specification §5.4).
const CORRECT: f64 = 1.0 - 1e-6;

/// One complete `fine_tune` cell.
#[derive(Clone, Debug)]
pub struct TrainedCell {
    pub id: String,
    pub model: String,
    pub method: String,
    pub task: String,
    /// The parameters that tell apart cells of the same model, method and task (`beta=0.0`),
    /// empty when there is one such cell.
    pub variant: String,
    pub params: BTreeMap<String, Value>,
    /// Final accuracy per benchmark.
    pub benchmarks: BTreeMap<String, Evidence>,
    /// Final accuracy on the training task's own test split.
    pub in_domain: Evidence,
    /// Whether `benchmarks` fell back to the own-task test accuracy (no `bench_*` metric).
    pub fallback: bool,
}

/// An experiment's results, as tables need them.
#[derive(Clone, Debug)]
pub struct Results {
    pub dir: PathBuf,
    /// The experiment folder's name.
    pub name: String,
    /// `experiment.toml`, when the folder has one.
    pub record: Option<ExperimentRecord>,
    pub cells: Vec<TrainedCell>,
    /// The `summary.toml` of every complete cell, in cell order.
    pub summaries: Vec<Summary>,
    /// Ids of cells with a `metrics.parquet` whose summary says they are not complete.
    pub incomplete: Vec<String>,
}

impl Results {
    /// Largest |reproduced − reported| accepted as agreement (0–1 accuracy units).
    pub fn tolerance(&self) -> f64 {
        self.record
            .as_ref()
            .map_or(DEFAULT_TOLERANCE, |r| r.tolerance)
    }

    /// Where the tolerance came from, as a sentence.
    pub fn tolerance_source(&self) -> String {
        match &self.record {
            Some(r) => format!(
                "τ = {} from {} (declared by {})",
                self.tolerance(),
                record::FILE_NAME,
                r.file
            ),
            None => format!(
                "τ = {DEFAULT_TOLERANCE} (default: {} is absent from {})",
                record::FILE_NAME,
                self.dir.display()
            ),
        }
    }

    /// The training tasks of the cells, sorted.
    pub fn tasks(&self) -> Vec<String> {
        let tasks: BTreeSet<&String> = self.cells.iter().map(|c| &c.task).collect();
        tasks.into_iter().cloned().collect()
    }
}

/// Reads a `fine_tune` results folder; fails clearly when it is missing, empty, damaged or of
/// another kind.
pub fn load(dir: &Path) -> Result<Results> {
    if !dir.is_dir() {
        bail!("results folder {} does not exist", dir.display());
    }
    let mut cells = Vec::new();
    let mut summaries = Vec::new();
    let mut incomplete = Vec::new();
    for metrics in metrics::read_experiment(dir)? {
        if metrics.kind != "fine_tune" {
            bail!(
                "{} holds `{}` results: tables and reports apply to fine_tune results \
                 (draw these with `repro plot`)",
                dir.display(),
                metrics.kind
            );
        }
        let cell_dir = dir.join(&metrics.cell);
        match Summary::read(&cell_dir.join("summary.toml")) {
            Ok(s) if s.status != Status::Complete => incomplete.push(metrics.cell.clone()),
            summary => {
                summaries.extend(summary.ok());
                cells.push(trained_cell(&metrics, &cell_dir)?);
            }
        }
    }
    if cells.is_empty() {
        bail!(
            "{} holds no complete cell (no */metrics.parquet of a finished cell); \
             run `repro run <experiment file>` first",
            dir.display()
        );
    }
    assign_variants(&mut cells);
    let record = dir
        .join(record::FILE_NAME)
        .is_file()
        .then(|| ExperimentRecord::read(dir))
        .transpose()?;
    let name = dir
        .file_name()
        .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
    Ok(Results {
        dir: dir.to_path_buf(),
        name,
        record,
        cells,
        summaries,
        incomplete,
    })
}

fn text_param(metrics: &CellMetrics, name: &str) -> Result<String> {
    match metrics.param(name)? {
        Value::Str(s) => Ok(s.clone()),
        other => bail!("cell {}: `{name}` is {other}, not a name", metrics.cell),
    }
}

fn trained_cell(metrics: &CellMetrics, dir: &Path) -> Result<TrainedCell> {
    let task = text_param(metrics, "task")?;
    let models = dir.join("models");
    let in_domain = evidence(metrics, TEST_ACCURACY, &models, "test_samples.parquet")?;
    let bench: BTreeSet<&str> = metrics
        .rows
        .iter()
        .filter_map(|r| benchmark_of(&r.metric))
        .collect();
    let fallback = bench.is_empty();
    let benchmarks = if fallback {
        BTreeMap::from([(names::task_benchmark(&task), in_domain.clone())])
    } else {
        bench
            .into_iter()
            .map(|b| {
                let accuracy = bench_accuracy(b);
                let file = bench_samples_file(b);
                Ok((b.to_string(), evidence(metrics, &accuracy, &models, &file)?))
            })
            .collect::<Result<_>>()?
    };
    Ok(TrainedCell {
        id: metrics.cell.clone(),
        model: text_param(metrics, "model")?,
        method: text_param(metrics, "method")?,
        task,
        variant: String::new(),
        params: metrics.params.clone(),
        benchmarks,
        in_domain,
        fallback,
    })
}

/// The metric at each seed's last step, with the seed's per-problem file when it exists.
fn evidence(metrics: &CellMetrics, metric: &str, models: &Path, file: &str) -> Result<Evidence> {
    metrics
        .last_per_seed(metric)
        .into_iter()
        .map(|(seed, accuracy)| {
            let path = models.join(format!("seed-{seed}")).join(file);
            let problems = path.is_file().then(|| problem_scores(&path)).transpose()?;
            Ok((seed, SeedScore { accuracy, problems }))
        })
        .collect()
}

/// Each problem's fraction of correct samples, from a samples file (columns `problem`, `reward`).
pub fn problem_scores(path: &Path) -> Result<Vec<(u64, f64)>> {
    let unreadable = |e: &dyn std::fmt::Display| {
        anyhow!("{} is not a readable samples file: {e}", path.display())
    };
    let file = File::open(path).map_err(|e| unreadable(&e))?;
    let df = crate::store::read_guarded(path, || {
        ParquetReader::new(file)
            .with_columns(Some(vec!["problem".into(), "reward".into()]))
            .finish()
            .map_err(|e| unreadable(&e))
    })?;
    let problem = df
        .column("problem")
        .and_then(|c| c.u64())
        .map_err(|e| unreadable(&e))?;
    let reward = df
        .column("reward")
        .and_then(|c| c.f64())
        .map_err(|e| unreadable(&e))?;
    let mut tally: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(p), Some(r)) = (problem.get(i), reward.get(i)) else {
            bail!("{}: a row has no problem or reward", path.display());
        };
        let (correct, samples) = tally.entry(p).or_default();
        *correct += f64::from(u8::from(r >= CORRECT));
        *samples += 1.0;
    }
    Ok(tally
        .into_iter()
        .map(|(p, (correct, samples))| (p, correct / samples))
        .collect())
}

/// The parameters that differ between cells of one model, method and task: the variant axes.
fn variant_axes(cells: &[TrainedCell]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&TrainedCell>> = BTreeMap::new();
    for c in cells {
        groups
            .entry((&c.model, &c.method, &c.task))
            .or_default()
            .push(c);
    }
    let mut axes: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ((model, method, _), group) in groups {
        let entry = axes.entry((model.into(), method.into())).or_default();
        let first = &group[0].params;
        for (name, value) in first {
            if group.iter().any(|c| c.params.get(name) != Some(value)) {
                entry.insert(name.clone());
            }
        }
    }
    axes
}

/// Labels each cell with its values of the parameters that vary within its (model, method,
/// task) group, so that a row of Table 2 averages like with like across tasks.
fn assign_variants(cells: &mut [TrainedCell]) {
    let axes = variant_axes(cells);
    for c in cells.iter_mut() {
        let names = &axes[&(c.model.clone(), c.method.clone())];
        let parts: Vec<String> = names
            .iter()
            .filter_map(|n| c.params.get(n).map(|v| format!("{n}={}", value_text(v))))
            .collect();
        c.variant = parts.join(" ");
    }
}
