//! The numbers the paper (and the §8 suite's source) reported, as data: what `repro table`
//! and `repro plot` put next to reproduced values. The files live in `experiments/reported/`
//! and are compiled in, so the binary carries them:
//!
//! - `table2.csv` — Table 2 (Appendix B.3): accuracy in % of each (model, algorithm), the mean
//!   over the three models trained on Countdown, MATH(3,4,5) and Logic, on nine benchmarks, and
//!   the paper's "Avg." column (not the plain mean of the nine; see the specification §2.2);
//! - `figure_endpoints.csv` — step-500 values of Figures 2, 7 and 8, read off the images
//!   (approximate, ±0.01–0.02), with the SFT→RFT starting value where the figure shows one;
//! - `suite.csv` — the §8 benchmark table on Qwen2.5-Math-7B (EchoRL, arXiv 2605.31228, as
//!   published in a third-party note), blanks where that table has none.

use anyhow::{Context, Result};
use serde::Deserialize;

pub const TABLE2_CSV: &str = include_str!("../experiments/reported/table2.csv");
pub const FIGURE_ENDPOINTS_CSV: &str = include_str!("../experiments/reported/figure_endpoints.csv");
pub const SUITE_CSV: &str = include_str!("../experiments/reported/suite.csv");

/// Table 2's benchmark columns, in the paper's order, with their number of problems.
pub const TABLE2_BENCHMARKS: [(&str, usize); 9] = [
    ("math345", 1024),
    ("aime24", 30),
    ("amc", 83),
    ("countdown", 1024),
    ("logic", 500),
    ("math500", 500),
    ("minerva", 272),
    ("olympiad", 675),
    ("gsm8k", 1319),
];

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Table2Row {
    pub model: String,
    pub algorithm: String,
    pub math345: f64,
    pub aime24: f64,
    pub amc: f64,
    pub countdown: f64,
    pub logic: f64,
    pub math500: f64,
    pub minerva: f64,
    pub olympiad: f64,
    pub gsm8k: f64,
    /// The paper's "Avg." as printed.
    pub avg_reported: f64,
}

impl Table2Row {
    /// The nine benchmark values in `TABLE2_BENCHMARKS` order.
    pub fn values(&self) -> [f64; 9] {
        [
            self.math345,
            self.aime24,
            self.amc,
            self.countdown,
            self.logic,
            self.math500,
            self.minerva,
            self.olympiad,
            self.gsm8k,
        ]
    }

    /// The plain mean of the nine columns (the paper's "Avg." is not this).
    pub fn plain_mean(&self) -> f64 {
        self.values().iter().sum::<f64>() / 9.0
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct FigureEndpoint {
    pub figure: u32,
    pub models: String,
    pub task: String,
    pub method: String,
    /// Test accuracy at step 500 (fraction), read off the figure.
    pub value: f64,
    /// Where the SFT→RFT curve starts, when noted.
    pub start: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SuiteRow {
    pub method: String,
    pub aime24: f64,
    pub aime25: f64,
    pub amc: f64,
    pub math500: f64,
    pub minerva: f64,
    pub olympiad: f64,
    pub id_avg: f64,
    pub arc_c: Option<f64>,
    pub gpqa: Option<f64>,
    pub mmlu_pro: Option<f64>,
    pub ood_avg: Option<f64>,
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str, name: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.with_context(|| format!("experiments/reported/{name}, row {}", i + 2)))
        .collect()
}

pub fn table2() -> Result<Vec<Table2Row>> {
    parse(TABLE2_CSV, "table2.csv")
}

pub fn figure_endpoints() -> Result<Vec<FigureEndpoint>> {
    parse(FIGURE_ENDPOINTS_CSV, "figure_endpoints.csv")
}

pub fn suite() -> Result<Vec<SuiteRow>> {
    parse(SUITE_CSV, "suite.csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn table2_has_every_model_and_algorithm_once() {
        let rows = table2().unwrap();
        assert_eq!(rows.len(), 30);
        for model in [
            "Qwen2.5-0.5B",
            "Qwen2.5-1.5B",
            "Qwen2.5-3B",
            "Llama-3.2-1B",
            "Llama-3.2-3B",
        ] {
            for algorithm in ["Base", "SFT", "RFT", "SFT-RFT", "R3", "UFT"] {
                let n = rows
                    .iter()
                    .filter(|r| r.model == model && r.algorithm == algorithm)
                    .count();
                assert_eq!(n, 1, "{model} {algorithm}");
            }
        }
    }

    /// Each cell is a mean over three models of a count of correct answers: cell × 3 × size / 100
    /// is an integer up to the rounding of the printed two decimals (specification §2.2).
    #[test]
    fn every_table2_cell_is_a_whole_number_of_correct_answers() {
        for row in table2().unwrap() {
            for (value, (name, size)) in row.values().iter().zip(TABLE2_BENCHMARKS) {
                let count = value / 100.0 * 3.0 * size as f64;
                let slack = 0.005 / 100.0 * 3.0 * size as f64 + 1e-9;
                assert!(
                    (count - count.round()).abs() <= slack,
                    "{} {} {name}: {value}",
                    row.model,
                    row.algorithm
                );
            }
        }
    }

    /// The Base rows averaged over the three Qwen sizes are Figure 2's flat Base lines.
    #[test]
    fn qwen_base_rows_match_figure_2() {
        let rows = table2().unwrap();
        let base: Vec<&Table2Row> = rows
            .iter()
            .filter(|r| r.model.starts_with("Qwen") && r.algorithm == "Base")
            .collect();
        let mean = |f: fn(&Table2Row) -> f64| base.iter().map(|r| f(r)).sum::<f64>() / 3.0 / 100.0;
        let endpoints = figure_endpoints().unwrap();
        let figure = |task: &str| {
            endpoints
                .iter()
                .find(|e| e.figure == 2 && e.task == task && e.method == "Base")
                .unwrap()
                .value
        };
        assert!((mean(|r| r.countdown) - figure("Countdown")).abs() < 0.001);
        assert!((mean(|r| r.math345) - figure("MATH(3,4,5)")).abs() < 0.001);
        assert!((mean(|r| r.logic) - figure("Logic")).abs() < 0.001);
    }

    #[test]
    fn figures_and_suite_are_complete() {
        let endpoints = figure_endpoints().unwrap();
        assert_eq!(endpoints.len(), 3 * 3 * 6);
        assert!(endpoints.iter().all(|e| (0.0..=1.0).contains(&e.value)));
        let suite = suite().unwrap();
        let uft = suite.iter().find(|r| r.method == "UFT").unwrap();
        assert_eq!((uft.aime24, uft.mmlu_pro), (24.8, Some(49.6)));
        assert_eq!(
            suite.iter().find(|r| r.method == "GRPO").unwrap().arc_c,
            None
        );
    }

    /// Against the specification's own table, number by number, when it is beside the repository.
    #[test]
    fn table2_matches_the_specification() {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/docs/uft-paper.md");
        let Ok(text) = std::fs::read_to_string(&spec) else {
            println!("skipping: {} not present", spec.display());
            return;
        };
        let section =
            &text[text.find("### 2.2 Table 2").unwrap()..text.find("Notes on Table 2").unwrap()];
        let rows = table2().unwrap();
        let mut checked = 0;
        for line in section
            .lines()
            .filter(|l| l.starts_with("| Qwen2.5-") || l.starts_with("| Llama-3.2-"))
        {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let row = rows
                .iter()
                .find(|r| r.model == cells[0] && r.algorithm == cells[1])
                .unwrap();
            let printed: Vec<f64> = cells[2..13].iter().map(|c| c.parse().unwrap()).collect();
            assert_eq!(&printed[..9], &row.values(), "{line}");
            assert_eq!(printed[9], row.avg_reported, "{line}");
            assert!(
                (printed[10] - row.plain_mean()).abs() < 0.006,
                "{line}: plain mean {}",
                row.plain_mean()
            );
            checked += 1;
        }
        assert_eq!(checked, 30);
    }
}
