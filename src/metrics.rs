//! Metrics as tidy Parquet tables.
//!
//! A cell's `metrics.parquet` has one row per (seed, step, metric):
//! `experiment, kind, cell, seed, step, metric, value`, followed by one column per parameter
//! of the cell (so a plot needs nothing but the Parquet files). While a cell runs, each finished
//! seed is kept as its own part file `seeds/<seed>.parquet` with the first four columns only.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;

use crate::experiment::{Cell, Value};
use crate::store::write_atomic;

/// One metric value of one seed at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub seed: u64,
    pub step: u64,
    pub metric: String,
    pub value: f64,
}

impl SeedRow {
    pub fn new(seed: u64, step: u64, metric: &str, value: f64) -> SeedRow {
        SeedRow {
            seed,
            step,
            metric: metric.to_string(),
            value,
        }
    }
}

/// The rows of one cell, with the cell's parameters as read back from Parquet.
#[derive(Debug, Clone)]
pub struct CellMetrics {
    pub cell: String,
    /// The experiment kind that produced the cell (`tree_search`, ...).
    pub kind: String,
    pub params: BTreeMap<String, Value>,
    pub rows: Vec<SeedRow>,
}

impl CellMetrics {
    /// Each seed's value of `metric` at the last step it was recorded, seed → value.
    pub fn last_per_seed(&self, metric: &str) -> BTreeMap<u64, f64> {
        let mut last: BTreeMap<u64, (u64, f64)> = BTreeMap::new();
        for row in self.rows.iter().filter(|r| r.metric == metric) {
            let entry = last.entry(row.seed).or_insert((row.step, row.value));
            if row.step >= entry.0 {
                *entry = (row.step, row.value);
            }
        }
        last.into_iter().map(|(seed, (_, v))| (seed, v)).collect()
    }

    pub fn param(&self, name: &str) -> Result<&Value> {
        self.params
            .get(name)
            .ok_or_else(|| anyhow!("cell {} has no column `{name}`", self.cell))
    }
}

const CORE_COLUMNS: [&str; 7] = [
    "experiment",
    "kind",
    "cell",
    "seed",
    "step",
    "metric",
    "value",
];

fn seed_frame(rows: &[SeedRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Column::new(
            "seed".into(),
            rows.iter().map(|r| r.seed).collect::<Vec<_>>(),
        ),
        Column::new(
            "step".into(),
            rows.iter().map(|r| r.step).collect::<Vec<_>>(),
        ),
        Column::new(
            "metric".into(),
            rows.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "value".into(),
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        ),
    ])
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)?;
        Ok(())
    })
}

/// Writes per-completion evaluation records (atomically): problem, sample, hint length (0:
/// evaluation prompts carry no hint), completion, parsed answer (null when none), reward.
pub fn write_samples(path: &Path, samples: &[crate::train::eval::SampleRecord]) -> Result<()> {
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "problem".into(),
            samples.iter().map(|s| s.index as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "sample".into(),
            samples.iter().map(|s| s.sample as u64).collect::<Vec<_>>(),
        ),
        Column::new("hint_tokens".into(), vec![0u64; samples.len()]),
        Column::new(
            "completion".into(),
            samples
                .iter()
                .map(|s| s.completion.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "answer".into(),
            samples
                .iter()
                .map(|s| s.answer.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "reward".into(),
            samples.iter().map(|s| s.reward).collect::<Vec<_>>(),
        ),
    ])?;
    write_parquet(path, &mut df)
}

/// Writes `repro score --out`'s records (atomically): index, data_source, score, verdict, rule,
/// answer (null when none), completion.
pub fn write_scores(path: &Path, scores: &[crate::tasks::commands::CompletionScore]) -> Result<()> {
    let text = |f: fn(&crate::tasks::commands::CompletionScore) -> &str| -> Vec<&str> {
        scores.iter().map(f).collect()
    };
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "index".into(),
            scores.iter().map(|s| s.index as u64).collect::<Vec<_>>(),
        ),
        Column::new("data_source".into(), text(|s| s.data_source.as_str())),
        Column::new(
            "score".into(),
            scores.iter().map(|s| s.score).collect::<Vec<_>>(),
        ),
        Column::new("verdict".into(), text(|s| s.verdict)),
        Column::new("rule".into(), text(|s| s.rule)),
        Column::new(
            "answer".into(),
            scores
                .iter()
                .map(|s| s.answer.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new("completion".into(), text(|s| s.completion.as_str())),
    ])?;
    write_parquet(path, &mut df)
}

/// Writes one seed's rows (atomically).
pub fn write_seed_part(path: &Path, rows: &[SeedRow]) -> Result<()> {
    write_parquet(path, &mut seed_frame(rows)?)
}

/// Reads a Parquet file, saying which file is unreadable.
fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    crate::store::read_guarded(path, || {
        ParquetReader::new(file).finish().map_err(|e| {
            anyhow!(
                "{} is not a readable Parquet file ({e}); delete it to recompute",
                path.display()
            )
        })
    })
}

fn column<'a>(df: &'a DataFrame, path: &Path, name: &str) -> Result<&'a Column> {
    df.column(name)
        .map_err(|_| anyhow!("{}: missing column `{name}`", path.display()))
}

fn rows_of(df: &DataFrame, path: &Path) -> Result<Vec<SeedRow>> {
    let bad = |name: &str, e: PolarsError| {
        anyhow!(
            "{}: column `{name}` has the wrong type ({e})",
            path.display()
        )
    };
    let seed = column(df, path, "seed")?
        .u64()
        .map_err(|e| bad("seed", e))?;
    let step = column(df, path, "step")?
        .u64()
        .map_err(|e| bad("step", e))?;
    let metric = column(df, path, "metric")?
        .str()
        .map_err(|e| bad("metric", e))?;
    let value = column(df, path, "value")?
        .f64()
        .map_err(|e| bad("value", e))?;
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        match (seed.get(i), step.get(i), metric.get(i), value.get(i)) {
            (Some(seed), Some(step), Some(metric), Some(value)) => rows.push(SeedRow {
                seed,
                step,
                metric: metric.to_string(),
                value,
            }),
            _ => bail!("{}: row {i} has a missing value", path.display()),
        }
    }
    Ok(rows)
}

/// Reads one seed part back.
pub fn read_seed_part(path: &Path) -> Result<Vec<SeedRow>> {
    crate::store::read_guarded(path, || rows_of(&read_parquet(path)?, path))
}

/// Writes a cell's complete table (atomically).
pub fn write_cell_metrics(
    path: &Path,
    experiment: &str,
    kind: &str,
    cell: &Cell,
    rows: &[SeedRow],
) -> Result<()> {
    let n = rows.len();
    let seed_columns = seed_frame(rows)?.into_columns();
    let mut columns = vec![
        Column::new("experiment".into(), vec![experiment; n]),
        Column::new("kind".into(), vec![kind; n]),
        Column::new("cell".into(), vec![cell.id.as_str(); n]),
    ];
    columns.extend(seed_columns);
    for (name, value) in &cell.params {
        let name: PlSmallStr = (*name).into();
        columns.push(match value {
            Value::Int(v) => Column::new(name, vec![*v; n]),
            Value::Float(v) => Column::new(name, vec![*v; n]),
            Value::Bool(v) => Column::new(name, vec![*v; n]),
            Value::Str(v) => Column::new(name, vec![v.as_str(); n]),
        });
    }
    write_parquet(path, &mut DataFrame::new(n, columns)?)
}

/// Reads a cell's `metrics.parquet`.
pub fn read_cell_metrics(path: &Path) -> Result<CellMetrics> {
    crate::store::read_guarded(path, || cell_metrics_of(path))
}

fn cell_metrics_of(path: &Path) -> Result<CellMetrics> {
    let df = read_parquet(path)?;
    let rows = rows_of(&df, path)?;
    let first_string = |name: &str| -> Result<String> {
        Ok(column(&df, path, name)?
            .str()
            .ok()
            .and_then(|c| c.get(0).map(str::to_string))
            .unwrap_or_default())
    };
    let (cell, kind) = (first_string("cell")?, first_string("kind")?);
    let mut params = BTreeMap::new();
    if df.height() > 0 {
        for col in df.columns() {
            let name = col.name().as_str();
            if CORE_COLUMNS.contains(&name) {
                continue;
            }
            let value = match col.dtype() {
                DataType::Int64 => col.i64().ok().and_then(|c| c.get(0)).map(Value::Int),
                DataType::Float64 => col.f64().ok().and_then(|c| c.get(0)).map(Value::Float),
                DataType::Boolean => col.bool().ok().and_then(|c| c.get(0)).map(Value::Bool),
                DataType::String => col
                    .str()
                    .ok()
                    .and_then(|c| c.get(0))
                    .map(|s| Value::Str(s.to_string())),
                other => bail!(
                    "{}: column `{name}` has unsupported type {other}",
                    path.display()
                ),
            };
            if let Some(value) = value {
                params.insert(name.to_string(), value);
            }
        }
    }
    Ok(CellMetrics {
        cell,
        kind,
        params,
        rows,
    })
}

/// Every `*/metrics.parquet` below an experiment's results folder, sorted by cell id.
pub fn read_experiment(dir: &Path) -> Result<Vec<CellMetrics>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read results folder {}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("metrics.parquet"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.iter().map(|p| read_recorded_metrics(p)).collect()
}

/// A cell's metrics, refused when they differ from the SHA-256 its `summary.toml` recorded (a
/// flipped byte in a data page can still decode, to a wrong number).
fn read_recorded_metrics(path: &Path) -> Result<CellMetrics> {
    let cell = path
        .parent()
        .expect("a metrics file is in its cell's folder");
    if let Ok(summary) = crate::runner::summary::Summary::read(&cell.join("summary.toml")) {
        let recorded = summary
            .files
            .iter()
            .filter(|(key, _)| key.as_str() == "metrics.parquet")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(damaged) = crate::runner::integrity::check(cell, &recorded).first() {
            bail!(
                "{}; `repro run` on the experiment rebuilds it",
                damaged.describe()
            );
        }
    }
    read_cell_metrics(path)
}

/// Writes competence curves (atomically), one row per model, hint fraction and k: model, task,
/// problems (their sizes), hint_fraction, mean_sentences_given, k, pass_at_k, mean_accuracy.
pub fn write_competence(
    path: &Path,
    curves: &[(
        crate::train::probe_command::CurveLabel,
        Vec<crate::train::probe::CurvePoint>,
    )],
) -> Result<()> {
    type Row<'a> = (
        &'a crate::train::probe_command::CurveLabel,
        &'a crate::train::probe::CurvePoint,
        usize,
        f64,
    );
    let rows: Vec<Row> = curves
        .iter()
        .flat_map(|(label, curve)| {
            curve
                .iter()
                .flat_map(move |p| p.pass_at.iter().map(move |&(k, v)| (label, p, k, v)))
        })
        .collect();
    let text = |f: fn(&crate::train::probe_command::CurveLabel) -> &str| {
        rows.iter().map(|r| f(r.0).to_string()).collect::<Vec<_>>()
    };
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("model".into(), text(|l| &l.model)),
        Column::new("task".into(), text(|l| &l.task)),
        Column::new("problems".into(), text(|l| &l.problems)),
        Column::new(
            "hint_fraction".into(),
            rows.iter().map(|r| r.1.hint_fraction).collect::<Vec<_>>(),
        ),
        Column::new(
            "mean_sentences_given".into(),
            rows.iter()
                .map(|r| r.1.mean_sentences_given)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "k".into(),
            rows.iter().map(|r| r.2 as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "pass_at_k".into(),
            rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        ),
        Column::new(
            "mean_accuracy".into(),
            rows.iter().map(|r| r.1.mean_accuracy).collect::<Vec<_>>(),
        ),
    ])?;
    write_parquet(path, &mut df)
}

/// Reads the curves of a competence file written by [`write_competence`] (one per model and
/// task, in the file's order).
pub fn read_competence(
    path: &Path,
) -> Result<
    Vec<(
        crate::train::probe_command::CurveLabel,
        Vec<crate::train::probe::CurvePoint>,
    )>,
> {
    use crate::train::probe::CurvePoint;
    use crate::train::probe_command::CurveLabel;
    let df = read_parquet(path)?;
    let strings = |name: &str| -> Result<Vec<String>> {
        let c = column(&df, path, name)?;
        let c = c.str().map_err(|_| {
            anyhow!(
                "{}: column `{name}` is not text: not a competence file",
                path.display()
            )
        })?;
        Ok((0..c.len())
            .map(|i| c.get(i).unwrap_or_default().to_string())
            .collect())
    };
    let floats = |name: &str| -> Result<Vec<f64>> {
        let c = column(&df, path, name)?.cast(&DataType::Float64)?;
        let c = c.f64()?;
        Ok((0..c.len()).map(|i| c.get(i).unwrap_or(f64::NAN)).collect())
    };
    let (models, tasks, problems) = (strings("model")?, strings("task")?, strings("problems")?);
    let (fractions, given) = (floats("hint_fraction")?, floats("mean_sentences_given")?);
    let (ks, passes, means) = (floats("k")?, floats("pass_at_k")?, floats("mean_accuracy")?);
    let mut curves: Vec<(CurveLabel, Vec<CurvePoint>)> = Vec::new();
    for i in 0..models.len() {
        let same = |(l, _): &&mut (CurveLabel, Vec<CurvePoint>)| {
            l.model == models[i] && l.task == tasks[i] && l.problems == problems[i]
        };
        if !curves.iter_mut().any(|c| same(&c)) {
            let label = CurveLabel {
                model: models[i].clone(),
                task: tasks[i].clone(),
                problems: problems[i].clone(),
            };
            curves.push((label, Vec::new()));
        }
        let curve = &mut curves.iter_mut().find(same).expect("just added").1;
        if curve.last().map(|p| p.hint_fraction) != Some(fractions[i]) {
            curve.push(CurvePoint {
                hint_fraction: fractions[i],
                mean_sentences_given: given[i],
                mean_accuracy: means[i],
                pass_at: Vec::new(),
            });
        }
        let point = curve.last_mut().expect("just added");
        point.pass_at.push((ks[i] as usize, passes[i]));
    }
    if curves.is_empty() {
        bail!("{} holds no competence curve", path.display());
    }
    Ok(curves)
}
