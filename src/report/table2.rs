//! Table 2 analogue (specification §2.2): rows (model, method), one column per benchmark, each
//! cell the mean over the models trained on the different training tasks of their accuracy on
//! that column's benchmark. Per seed s,
//!
//! value_s = (1/k) Σ_t acc(t, s, benchmark),
//!
//! over the k training tasks whose model is present (k < n is marked partial). So a Countdown
//! column mixes the in-domain Countdown model with the cross-task ones, as in the paper. The
//! same grid, over the §8 suite's benchmarks, makes the §8 table.

use std::collections::BTreeSet;

use super::data::TrainedCell;
use super::estimate::{Estimate, Evidence, estimate};
use super::format::{Table, pct, pct_estimate};
use super::names;

/// A row of the table: a model, a method, and the variant (empty unless a parameter tells apart
/// cells of the same model, method and task).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowKey {
    pub model: String,
    pub method: String,
    pub variant: String,
}

impl RowKey {
    /// `UFT` or `UFT [beta=0.0]`.
    pub fn method_label(&self) -> String {
        let method = names::method_label(&self.method);
        if self.variant.is_empty() {
            method
        } else {
            format!("{method} [{}]", self.variant)
        }
    }
}

/// One cell of the grid: the estimate over the `tasks` training tasks present (`None`: missing).
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub estimate: Option<Estimate>,
    pub tasks: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GridRow {
    pub key: RowKey,
    /// One cell per benchmark column.
    pub cells: Vec<GridCell>,
    /// The plain mean of the columns, when none is missing.
    pub avg: GridCell,
    /// The paper's Avg. for this model and method, in %, where it reports one.
    pub reported_avg: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The n training tasks a complete cell averages over.
    pub tasks: Vec<String>,
    pub benchmarks: Vec<String>,
    pub rows: Vec<GridRow>,
}

/// The grid of the given cells over the given benchmark columns. Rows are every model present
/// times every method present (missing ones included), models by size, methods in Table 2's
/// order. `reported_avg(model, method)` gives the paper's Avg. where it has one.
pub fn build(
    cells: &[&TrainedCell],
    benchmarks: &[String],
    reported_avg: &dyn Fn(&str, &str) -> Option<f64>,
) -> Grid {
    let tasks: BTreeSet<String> = cells.iter().map(|c| c.training_task()).collect();
    let rows = row_keys(cells)
        .into_iter()
        .map(|key| {
            let of_row: Vec<&TrainedCell> = cells
                .iter()
                .copied()
                .filter(|c| c.model == key.model && c.method == key.method)
                .filter(|c| c.variant == key.variant)
                .collect();
            let columns: Vec<GridCell> = benchmarks
                .iter()
                .map(|b| cross_task_mean(&of_row, &[b.as_str()]))
                .collect();
            let complete = columns.iter().all(|c| c.estimate.is_some());
            let all: Vec<&str> = benchmarks.iter().map(String::as_str).collect();
            let avg = if complete {
                cross_task_mean(&of_row, &all)
            } else {
                GridCell {
                    estimate: None,
                    tasks: 0,
                }
            };
            let reported_avg = reported_avg(&key.model, &key.method);
            GridRow {
                key,
                cells: columns,
                avg,
                reported_avg,
            }
        })
        .collect();
    Grid {
        tasks: tasks.into_iter().collect(),
        benchmarks: benchmarks.to_vec(),
        rows,
    }
}

/// Every (model, method) pair of the models and methods present, with the variants each has.
fn row_keys(cells: &[&TrainedCell]) -> Vec<RowKey> {
    let mut models: Vec<&str> = cells.iter().map(|c| c.model.as_str()).collect();
    let mut methods: Vec<&str> = cells.iter().map(|c| c.method.as_str()).collect();
    models.sort_by_key(|m| names::model_key(m));
    models.dedup();
    methods.sort_by_key(|m| names::method_key(m));
    methods.dedup();
    let mut keys = Vec::new();
    for model in &models {
        for method in &methods {
            let variants: BTreeSet<&str> = cells
                .iter()
                .filter(|c| c.model == *model && c.method == *method)
                .map(|c| c.variant.as_str())
                .collect();
            let variants = if variants.is_empty() {
                BTreeSet::from([""])
            } else {
                variants
            };
            keys.extend(variants.into_iter().map(|v| RowKey {
                model: model.to_string(),
                method: method.to_string(),
                variant: v.to_string(),
            }));
        }
    }
    keys
}

/// The mean over benchmarks of the mean over training tasks of the row's accuracy:
/// θ = (1/B) Σ_b (1/k_b) Σ_{t has b} acc(t, b). One benchmark is a Table 2 cell; all of them is
/// the Avg. column. `tasks` is the smallest k_b.
pub fn cross_task_mean(row: &[&TrainedCell], benchmarks: &[&str]) -> GridCell {
    let mut terms: Vec<(f64, &Evidence)> = Vec::new();
    let mut tasks = usize::MAX;
    for b in benchmarks {
        let present: Vec<&Evidence> = row.iter().filter_map(|c| c.benchmarks.get(*b)).collect();
        tasks = tasks.min(present.len());
        let weight = 1.0 / (benchmarks.len() * present.len().max(1)) as f64;
        terms.extend(present.into_iter().map(|e| (weight, e)));
    }
    if tasks == 0 || tasks == usize::MAX {
        return GridCell {
            estimate: None,
            tasks: 0,
        };
    }
    GridCell {
        estimate: estimate(&terms),
        tasks,
    }
}

/// `12.34 [10.10, 14.50]`, with ` (partial: k of n tasks)` when k < n; `missing` when absent.
pub fn cell_text(cell: &GridCell, n: usize) -> String {
    match &cell.estimate {
        None => "missing".into(),
        Some(e) if cell.tasks < n => {
            format!("{} (partial: {} of {n} tasks)", pct_estimate(e), cell.tasks)
        }
        Some(e) => pct_estimate(e),
    }
}

/// The table as printed: `Model | Method | <benchmarks> | Avg. | Avg. (paper)`.
pub fn display(grid: &Grid) -> Table {
    let mut header = vec!["Model".to_string(), "Method".to_string()];
    header.extend(grid.benchmarks.iter().map(|b| names::benchmark_label(b)));
    header.push("Avg.".into());
    let with_paper = grid.rows.iter().any(|r| r.reported_avg.is_some());
    if with_paper {
        header.push("Avg. (paper)".into());
    }
    let mut table = Table {
        header,
        rows: Vec::new(),
        text_columns: 2,
    };
    let n = grid.tasks.len();
    for row in &grid.rows {
        let mut line = vec![names::model_label(&row.key.model), row.key.method_label()];
        line.extend(row.cells.iter().map(|c| cell_text(c, n)));
        line.push(cell_text(&row.avg, n));
        if with_paper {
            line.push(row.reported_avg.map_or("–".into(), |v| format!("{v:.2}")));
        }
        table.push(line);
    }
    table
}

/// The table in long form for CSV: one line per (row, column), numbers in %.
pub fn long(grid: &Grid) -> Table {
    let mut table = Table::new(
        &[
            "model",
            "method",
            "variant",
            "benchmark",
            "mean_pct",
            "lo_pct",
            "hi_pct",
            "interval_over",
            "tasks_present",
            "tasks_total",
            "status",
        ],
        4,
    );
    let n = grid.tasks.len();
    for row in &grid.rows {
        let columns = grid.benchmarks.iter().map(String::as_str).zip(&row.cells);
        for (benchmark, cell) in columns.chain([("avg", &row.avg)]) {
            table.push(long_line(&row.key, benchmark, cell, n));
        }
        if let Some(v) = row.reported_avg {
            let mut line = vec![String::new(); 11];
            line[..4].clone_from_slice(&key_columns(&row.key, "avg_paper"));
            line[4] = format!("{v:.2}");
            line[10] = "reported".into();
            table.push(line);
        }
    }
    table
}

fn key_columns(key: &RowKey, benchmark: &str) -> [String; 4] {
    [
        key.model.clone(),
        key.method.clone(),
        key.variant.clone(),
        benchmark.to_string(),
    ]
}

fn long_line(key: &RowKey, benchmark: &str, cell: &GridCell, n: usize) -> Vec<String> {
    let mut line = key_columns(key, benchmark).to_vec();
    let Some(e) = &cell.estimate else {
        line.extend(["", "", "", "", "0"].map(String::from));
        line.extend([n.to_string(), "missing".into()]);
        return line;
    };
    let (lo, hi) = e
        .interval
        .map_or((String::new(), String::new()), |i| (pct(i.lo), pct(i.hi)));
    let status = if cell.tasks < n {
        "partial"
    } else {
        "complete"
    };
    line.extend([
        pct(e.mean),
        lo,
        hi,
        e.basis.describe(),
        cell.tasks.to_string(),
    ]);
    line.extend([n.to_string(), status.into()]);
    line
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::estimate::SeedScore;

    /// A cell whose per-seed accuracies on each benchmark are given.
    fn cell(model: &str, method: &str, task: &str, scores: &[(&str, [f64; 2])]) -> TrainedCell {
        let evidence = |values: [f64; 2]| -> Evidence {
            (0..2)
                .map(|s| {
                    let score = SeedScore {
                        accuracy: values[s],
                        problems: None,
                    };
                    (s as u64, score)
                })
                .collect()
        };
        TrainedCell {
            id: format!("{model}-{method}-{task}"),
            model: model.into(),
            method: method.into(),
            task: task.into(),
            shape: String::new(),
            variant: String::new(),
            params: BTreeMap::new(),
            benchmarks: scores
                .iter()
                .map(|(b, v)| (b.to_string(), evidence(*v)))
                .collect(),
            in_domain: evidence(scores[0].1),
            fallback: false,
        }
    }

    fn fixture() -> Vec<TrainedCell> {
        vec![
            // UFT on tiny-1m: trained on Countdown and on Logic, both evaluated on both.
            cell(
                "tiny-1m",
                "uft",
                "countdown",
                &[("countdown", [0.6, 0.8]), ("logic", [0.1, 0.1])],
            ),
            cell(
                "tiny-1m",
                "uft",
                "logic",
                &[("countdown", [0.2, 0.0]), ("logic", [0.5, 0.7])],
            ),
            // SFT on tiny-1m: only the Countdown-trained model.
            cell(
                "tiny-1m",
                "sft",
                "countdown",
                &[("countdown", [0.3, 0.3]), ("logic", [0.0, 0.0])],
            ),
            // Base on tiny-4m only.
            cell(
                "tiny-4m",
                "base",
                "countdown",
                &[("countdown", [0.0, 0.0]), ("logic", [0.0, 0.0])],
            ),
            cell(
                "tiny-4m",
                "base",
                "logic",
                &[("countdown", [0.0, 0.0]), ("logic", [0.0, 0.0])],
            ),
        ]
    }

    fn grid(cells: &[TrainedCell]) -> Grid {
        let refs: Vec<&TrainedCell> = cells.iter().collect();
        build(&refs, &["countdown".into(), "logic".into()], &|_, _| None)
    }

    fn row<'a>(g: &'a Grid, model: &str, method: &str) -> &'a GridRow {
        g.rows
            .iter()
            .find(|r| r.key.model == model && r.key.method == method)
            .unwrap()
    }

    /// UFT Countdown column: seed 0 → (0.6 + 0.2)/2 = 0.4, seed 1 → (0.8 + 0.0)/2 = 0.4: 40 %.
    /// Logic column: (0.1 + 0.5)/2 = 0.3 and (0.1 + 0.7)/2 = 0.4: 35 %. Avg. = 37.5 %.
    #[test]
    fn a_cell_is_the_mean_over_the_training_tasks() {
        let cells = fixture();
        let g = grid(&cells);
        let uft = row(&g, "tiny-1m", "uft");
        let means: Vec<f64> = uft.cells.iter().map(|c| c.estimate.unwrap().mean).collect();
        assert!((means[0] - 0.40).abs() < 1e-12 && (means[1] - 0.35).abs() < 1e-12);
        assert!((uft.avg.estimate.unwrap().mean - 0.375).abs() < 1e-12);
        let countdown = uft.cells[0].estimate.unwrap().interval.unwrap();
        assert!((countdown.lo - 0.4).abs() < 1e-12 && (countdown.hi - 0.4).abs() < 1e-12);
        assert_eq!(cell_text(&uft.cells[1], 2), "35.00 [30.00, 40.00]");
    }

    #[test]
    fn missing_and_partial_cells_are_shown_never_dropped() {
        let cells = fixture();
        let g = grid(&cells);
        // 2 models × 3 methods, rows ordered by size then Table 2's method order.
        let keys: Vec<(&str, &str)> = g
            .rows
            .iter()
            .map(|r| (r.key.model.as_str(), r.key.method.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("tiny-1m", "base"),
                ("tiny-1m", "sft"),
                ("tiny-1m", "uft"),
                ("tiny-4m", "base"),
                ("tiny-4m", "sft"),
                ("tiny-4m", "uft")
            ]
        );
        let t = display(&g);
        assert_eq!(t.rows[0][2..], ["missing", "missing", "missing"]);
        assert_eq!(t.rows[1][2], "30.00 [30.00, 30.00] (partial: 1 of 2 tasks)");
        assert_eq!(t.rows[3][2], "0.00 [0.00, 0.00]");
        let csv = long(&g).csv().unwrap();
        assert!(
            csv.contains("tiny-4m,uft,,countdown,,,,,0,2,missing"),
            "{csv}"
        );
        assert!(csv.contains("tiny-1m,sft,,countdown,30.00,30.00,30.00,2 seeds,1,2,partial"));
    }
}
