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
    /// The task's problem shape (`4 numbers`) where cells of the same task were trained on
    /// problems of different shapes (generator parameters); empty where every cell shares one.
    /// A task of another shape is another training task: see [`TrainedCell::training_task`].
    pub shape: String,
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
        let tasks: BTreeSet<String> = self.cells.iter().map(|c| c.training_task()).collect();
        tasks.into_iter().collect()
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
    assign_shapes(&mut cells);
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
        shape: String::new(),
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

impl TrainedCell {
    /// The training task with its shape where shapes differ: `countdown` or
    /// `countdown (4 numbers)`. Tables and claims compare only cells of one training task.
    pub fn training_task(&self) -> String {
        match self.shape.as_str() {
            "" => self.task.clone(),
            shape => format!("{} ({shape})", self.task),
        }
    }
}

/// The parameters of the group's first cell whose value some other cell of the group does not
/// share.
fn differing_params<'a>(group: &'a [&TrainedCell]) -> impl Iterator<Item = String> + 'a {
    let first = &group[0].params;
    first
        .iter()
        .filter(|(name, value)| group.iter().any(|c| c.params.get(*name) != Some(*value)))
        .map(|(name, _)| name.clone())
}

/// Whether a parameter shapes a task's generated problems (`countdown_max_numbers`).
fn is_shape_param(name: &str) -> bool {
    name.starts_with("countdown_") || name.starts_with("logic_")
}

/// `4 numbers`, `3–4 numbers`, `2–3 people`, or `name=value` for the other shape parameters.
fn shape_text(params: &BTreeMap<String, Value>, names: &BTreeSet<&str>) -> String {
    let int = |n: &str| match params.get(n) {
        Some(Value::Int(v)) => Some(*v),
        _ => None,
    };
    let mut parts = Vec::new();
    let mut done = BTreeSet::new();
    for (what, min, max) in [
        ("numbers", "countdown_min_numbers", "countdown_max_numbers"),
        ("people", "logic_min_people", "logic_max_people"),
    ] {
        if !(names.contains(min) || names.contains(max)) {
            continue;
        }
        if let (Some(lo), Some(hi)) = (int(min), int(max)) {
            parts.push(match lo == hi {
                true => format!("{lo} {what}"),
                false => format!("{lo}–{hi} {what}"),
            });
            done.extend([min, max]);
        }
    }
    for name in names.iter().filter(|n| !done.contains(*n)) {
        if let Some(v) = params.get(*name) {
            parts.push(format!("{name}={}", value_text(v)));
        }
    }
    parts.join(", ")
}

/// Labels each cell with its task's shape where cells of one task differ in their generator
/// parameters, and renames its own-task benchmark to match (`countdown (4 numbers)`), so that
/// no table averages problems of different shapes as one task.
fn assign_shapes(cells: &mut [TrainedCell]) {
    let mut varying: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for task in cells
        .iter()
        .map(|c| c.task.clone())
        .collect::<BTreeSet<_>>()
    {
        let of_task: Vec<&TrainedCell> = cells.iter().filter(|c| c.task == task).collect();
        let names = differing_params(&of_task)
            .filter(|n| is_shape_param(n))
            .collect();
        varying.insert(task, names);
    }
    for c in cells.iter_mut() {
        let names: BTreeSet<&str> = varying[&c.task].iter().map(String::as_str).collect();
        if names.is_empty() {
            continue;
        }
        c.shape = shape_text(&c.params, &names);
        if c.fallback {
            let own = names::task_benchmark(&c.task);
            if let Some(evidence) = c.benchmarks.remove(&own) {
                c.benchmarks
                    .insert(format!("{own} ({})", c.shape), evidence);
            }
        }
    }
}

/// The parameters that differ between cells of one model, method and training task: the
/// variant axes.
fn variant_axes(cells: &[TrainedCell]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut groups: BTreeMap<(&str, &str, String), Vec<&TrainedCell>> = BTreeMap::new();
    for c in cells {
        groups
            .entry((&c.model, &c.method, c.training_task()))
            .or_default()
            .push(c);
    }
    let mut axes: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ((model, method, _), group) in groups {
        let entry = axes.entry((model.into(), method.into())).or_default();
        entry.extend(differing_params(&group));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(method: &str, numbers: i64) -> TrainedCell {
        let params = BTreeMap::from([
            ("countdown_min_numbers".to_string(), Value::Int(numbers)),
            ("countdown_max_numbers".to_string(), Value::Int(numbers)),
            ("countdown_max_value".to_string(), Value::Int(9)),
            ("lr".to_string(), Value::Float(3e-4)),
        ]);
        TrainedCell {
            id: format!("{method}-{numbers}"),
            model: "tiny-500k".into(),
            method: method.into(),
            task: "countdown".into(),
            shape: String::new(),
            variant: String::new(),
            params,
            benchmarks: BTreeMap::from([("countdown".to_string(), Evidence::new())]),
            in_domain: Evidence::new(),
            fallback: true,
        }
    }

    #[test]
    fn cells_of_one_task_with_other_generator_parameters_get_a_shape() {
        let mut cells = vec![cell("rft", 3), cell("sft", 3), cell("rft", 4)];
        assign_shapes(&mut cells);
        assign_variants(&mut cells);
        let tasks: Vec<String> = cells.iter().map(TrainedCell::training_task).collect();
        assert_eq!(
            tasks,
            [
                "countdown (3 numbers)",
                "countdown (3 numbers)",
                "countdown (4 numbers)"
            ]
        );
        // The own-task benchmark follows, and the two RFT cells are not variants of each other.
        assert!(cells[2].benchmarks.contains_key("countdown (4 numbers)"));
        assert!(cells.iter().all(|c| c.variant.is_empty()));

        // One shape for all: nothing changes.
        let mut same = vec![cell("rft", 3), cell("sft", 3)];
        assign_shapes(&mut same);
        assert!(
            same.iter()
                .all(|c| c.shape.is_empty() && c.training_task() == "countdown")
        );
        assert!(same[0].benchmarks.contains_key("countdown"));
    }

    #[test]
    fn a_shape_reads_as_words() {
        let c = cell("rft", 4);
        let names = |list: &[&'static str]| list.iter().copied().collect::<BTreeSet<&str>>();
        assert_eq!(
            shape_text(&c.params, &names(&["countdown_max_numbers"])),
            "4 numbers"
        );
        let mut range = c.params.clone();
        range.insert("countdown_min_numbers".into(), Value::Int(3));
        let both = names(&["countdown_min_numbers", "countdown_max_value"]);
        assert_eq!(
            shape_text(&range, &both),
            "3–4 numbers, countdown_max_value=9"
        );
    }
}
