//! Reproduced cells against the values the paper reports (Table 2, or the §8 suite), in long
//! form, each with a verdict against the tolerance τ declared by the experiment.

use anyhow::Result;

use super::bootstrap::Interval;
use super::format::{Table, pct, pct_interval, points};
use super::names;
use super::table2::Grid;
use crate::reported::{self, TABLE2_BENCHMARKS};

/// The outcome of comparing a reproduced interval with a reported value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval lies within [reported − τ, reported + τ].
    Pass,
    /// The whole interval lies outside [reported − τ, reported + τ].
    Fail,
    /// Neither: the interval straddles a bound, or there is no interval.
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// With [lo, hi] the reproduced 95 % interval, r the reported value and τ the tolerance (same
/// units): PASS if r − τ ≤ lo and hi ≤ r + τ; FAIL if hi < r − τ or lo > r + τ; INCONCLUSIVE
/// otherwise, and when there is no interval.
pub fn verdict(interval: Option<Interval>, reported: f64, tolerance: f64) -> Verdict {
    let (a, b) = (reported - tolerance, reported + tolerance);
    match interval {
        Some(i) if i.within(a, b) => Verdict::Pass,
        Some(i) if i.outside(a, b) => Verdict::Fail,
        _ => Verdict::Inconclusive,
    }
}

/// A source of reported values: `(model preset, method, benchmark) → value in %`.
pub type Reported = dyn Fn(&str, &str, &str) -> Option<f64>;

/// Table 2's value for a preset, method and benchmark, in %.
pub fn table2_lookup() -> Result<Box<Reported>> {
    let rows = reported::table2()?;
    Ok(Box::new(move |model, method, benchmark| {
        let (model, method) = (names::paper_model(model)?, names::paper_method(method)?);
        let row = rows
            .iter()
            .find(|r| r.model == model && r.algorithm == method)?;
        let column = TABLE2_BENCHMARKS
            .iter()
            .position(|(b, _)| *b == benchmark)?;
        Some(row.values()[column])
    }))
}

/// Table 2's Avg. as printed for a preset and method, in %.
pub fn table2_avg_lookup() -> Result<impl Fn(&str, &str) -> Option<f64>> {
    let rows = reported::table2()?;
    Ok(move |model: &str, method: &str| {
        let (model, method) = (names::paper_model(model)?, names::paper_method(method)?);
        rows.iter()
            .find(|r| r.model == model && r.algorithm == method)
            .map(|r| r.avg_reported)
    })
}

/// The §8 suite's value for a method and benchmark, in % (its rows are Qwen2.5-Math-7B; the
/// model is not matched).
pub fn suite_lookup() -> Result<Box<Reported>> {
    let rows = reported::suite()?;
    Ok(Box::new(move |_model, method, benchmark| {
        let method = names::suite_method(method)?;
        let row = rows.iter().find(|r| r.method == method)?;
        match benchmark {
            "aime24" => Some(row.aime24),
            "aime25" => Some(row.aime25),
            "amc" => Some(row.amc),
            "math500" => Some(row.math500),
            "minerva" => Some(row.minerva),
            "olympiad" => Some(row.olympiad),
            "arc_c" => row.arc_c,
            "gpqa" => row.gpqa,
            "mmlu_pro" => row.mmlu_pro,
            _ => None,
        }
    }))
}

/// One compared cell (accuracies 0–1).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub model: String,
    pub method: String,
    pub variant: String,
    pub benchmark: String,
    pub reported: f64,
    pub mean: Option<f64>,
    pub interval: Option<Interval>,
    /// Training tasks present, of the grid's n.
    pub tasks: (usize, usize),
    pub verdict: Verdict,
    pub note: String,
}

/// Every grid cell with a reported value. A partial cell (k < n training tasks) is not the
/// quantity the paper averaged, so it is INCONCLUSIVE whatever its interval; so is a missing one.
pub fn compare(grid: &Grid, reported: &Reported, tolerance: f64) -> Vec<Comparison> {
    let n = grid.tasks.len();
    let mut out = Vec::new();
    for row in &grid.rows {
        for (benchmark, cell) in grid.benchmarks.iter().zip(&row.cells) {
            let Some(value) = reported(&row.key.model, &row.key.method, benchmark) else {
                continue;
            };
            let r = value / 100.0;
            let (v, note) = match (&cell.estimate, cell.tasks < n) {
                (None, _) => (Verdict::Inconclusive, "missing".to_string()),
                (Some(_), true) => (
                    Verdict::Inconclusive,
                    format!("partial: {} of {n} tasks", cell.tasks),
                ),
                (Some(e), false) if e.interval.is_none() => {
                    (Verdict::Inconclusive, "no interval".into())
                }
                (Some(e), false) => (verdict(e.interval, r, tolerance), String::new()),
            };
            out.push(Comparison {
                model: row.key.model.clone(),
                method: row.key.method.clone(),
                variant: row.key.variant.clone(),
                benchmark: benchmark.clone(),
                reported: r,
                mean: cell.estimate.map(|e| e.mean),
                interval: cell.estimate.and_then(|e| e.interval),
                tasks: (cell.tasks, n),
                verdict: v,
                note,
            });
        }
    }
    out
}

/// The comparison as printed (in % and percentage points).
pub fn display(rows: &[Comparison]) -> Table {
    let mut t = Table::new(
        &[
            "Model",
            "Method",
            "Benchmark",
            "Reported",
            "Reproduced",
            "95% interval",
            "Difference",
            "Verdict",
        ],
        3,
    );
    for c in rows {
        let method = names::method_label(&c.method);
        let method = if c.variant.is_empty() {
            method
        } else {
            format!("{method} [{}]", c.variant)
        };
        let verdict = if c.note.is_empty() {
            c.verdict.as_str().to_string()
        } else {
            format!("{} ({})", c.verdict.as_str(), c.note)
        };
        t.push(vec![
            names::model_label(&c.model),
            method,
            names::benchmark_label(&c.benchmark),
            pct(c.reported),
            c.mean.map_or("missing".into(), pct),
            c.interval.map_or("–".into(), pct_interval),
            c.mean.map_or("–".into(), |m| points(m - c.reported)),
            verdict,
        ]);
    }
    t
}

/// The comparison for `comparison.csv`: numbers in %, empty where absent.
pub fn long(rows: &[Comparison], source: &str) -> Table {
    let mut t = Table::new(
        &[
            "source",
            "model",
            "method",
            "variant",
            "benchmark",
            "reported_pct",
            "reproduced_pct",
            "lo_pct",
            "hi_pct",
            "difference_pts",
            "tasks_present",
            "tasks_total",
            "verdict",
            "note",
        ],
        5,
    );
    for c in rows {
        let blank = String::new;
        t.push(vec![
            source.into(),
            c.model.clone(),
            c.method.clone(),
            c.variant.clone(),
            c.benchmark.clone(),
            pct(c.reported),
            c.mean.map_or_else(blank, pct),
            c.interval.map_or_else(blank, |i| pct(i.lo)),
            c.interval.map_or_else(blank, |i| pct(i.hi)),
            c.mean.map_or_else(blank, |m| points(m - c.reported)),
            c.tasks.0.to_string(),
            c.tasks.1.to_string(),
            c.verdict.as_str().into(),
            c.note.clone(),
        ]);
    }
    t
}

/// `12 PASS, 3 FAIL, 5 INCONCLUSIVE`.
pub fn tally(rows: &[Comparison]) -> String {
    let count = |v: Verdict| rows.iter().filter(|c| c.verdict == v).count();
    format!(
        "{} PASS, {} FAIL, {} INCONCLUSIVE",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_rule_on_its_three_cases() {
        let i = |lo, hi| Some(Interval { lo, hi });
        // reported 0.30, τ = 0.05: the band is [0.25, 0.35].
        assert_eq!(verdict(i(0.26, 0.34), 0.30, 0.05), Verdict::Pass);
        assert_eq!(verdict(i(0.10, 0.24), 0.30, 0.05), Verdict::Fail);
        assert_eq!(verdict(i(0.36, 0.50), 0.30, 0.05), Verdict::Fail);
        assert_eq!(verdict(i(0.20, 0.30), 0.30, 0.05), Verdict::Inconclusive);
        assert_eq!(verdict(i(0.10, 0.50), 0.30, 0.05), Verdict::Inconclusive);
        assert_eq!(verdict(None, 0.30, 0.05), Verdict::Inconclusive);
    }

    #[test]
    fn presets_and_methods_map_to_the_papers_rows() {
        let lookup = table2_lookup().unwrap();
        // Qwen2.5-0.5B SFT: AMC 1.61, Countdown 11.20 (specification §2.2).
        assert_eq!(lookup("qwen2.5-0.5b", "sft", "countdown"), Some(11.20));
        assert_eq!(lookup("llama-3.2-3b", "sft_rft", "logic"), Some(8.87));
        assert_eq!(lookup("tiny-1m", "sft", "countdown"), None);
        assert_eq!(lookup("qwen2.5-0.5b", "stage", "countdown"), None);
        assert_eq!(
            table2_avg_lookup().unwrap()("qwen2.5-0.5b", "uft"),
            Some(9.45)
        );
        let suite = suite_lookup().unwrap();
        assert_eq!(suite("qwen2.5-math-7b", "uft", "aime24"), Some(24.8));
        assert_eq!(suite("qwen2.5-math-7b", "rft", "gpqa"), None);
    }
}
