//! Every table of a results folder, built once: Table 1, the Table 2 analogue and its comparison
//! with the paper, the §8 suite table, and the claims; printed as Markdown and written as
//! Markdown, CSV and LaTeX files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::bootstrap::{RESAMPLES, SEED};
use super::claims::{self, Claim};
use super::compare::{self, Comparison};
use super::data::{Results, TrainedCell};
use super::names::{self, SUITE_ONLY};
use super::table1::{self, Table1};
use super::table2::{self, Grid};
use crate::store::write_text;

pub struct Tables {
    pub table1: Table1,
    /// The Table 2 analogue, unless every cell is a §8 suite result: the cells of the most
    /// common task shape (every cell, where all share one).
    pub table2: Option<Grid>,
    /// The same table for each other task shape (`countdown (4 numbers)`), apart so that no
    /// row averages problems of different shapes.
    pub other_shapes: Vec<Grid>,
    pub comparison: Vec<Comparison>,
    /// The §8 table, when cells carry the suite's benchmarks.
    pub suite: Option<Grid>,
    pub suite_comparison: Vec<Comparison>,
    /// The claims, or why they do not apply.
    pub claims: Result<Vec<Claim>, String>,
    pub tolerance: f64,
    cells: usize,
    fallback: usize,
    models: Vec<String>,
}

/// Whether a cell is a §8 suite result (it carries a benchmark only the suite has).
fn is_suite(cell: &TrainedCell) -> bool {
    SUITE_ONLY.iter().any(|b| cell.benchmarks.contains_key(*b))
}

/// The cells of the most common task shape (ties: the first in order), and those of each other
/// shape.
fn split_by_shape(cells: Vec<&TrainedCell>) -> (Vec<&TrainedCell>, Vec<Vec<&TrainedCell>>) {
    let mut by_shape: BTreeMap<&str, Vec<&TrainedCell>> = BTreeMap::new();
    for c in cells {
        by_shape.entry(c.shape.as_str()).or_default().push(c);
    }
    let main = by_shape
        .iter()
        .max_by_key(|(shape, cells)| (cells.len(), std::cmp::Reverse(**shape)))
        .map(|(shape, _)| *shape);
    let main = main.and_then(|m| by_shape.remove(m)).unwrap_or_default();
    (main, by_shape.into_values().collect())
}

/// The benchmarks the cells carry, in column order.
fn benchmarks(cells: &[&TrainedCell]) -> Vec<String> {
    let set: BTreeSet<&String> = cells.iter().flat_map(|c| c.benchmarks.keys()).collect();
    let mut list: Vec<String> = set.into_iter().cloned().collect();
    list.sort_by_key(|b| names::benchmark_key(b));
    list
}

impl Tables {
    pub fn build(results: &Results) -> Result<Tables> {
        let tolerance = results.tolerance();
        let (suite, plain): (Vec<&TrainedCell>, Vec<&TrainedCell>) =
            results.cells.iter().partition(|c| is_suite(c));
        let avg = compare::table2_avg_lookup()?;
        let (plain, others) = split_by_shape(plain);
        let table2 = (!plain.is_empty()).then(|| table2::build(&plain, &benchmarks(&plain), &avg));
        let other_shapes = others
            .iter()
            .map(|cells| table2::build(cells, &benchmarks(cells), &|_, _| None))
            .collect();
        let comparison = match &table2 {
            Some(grid) => compare::compare(grid, &*compare::table2_lookup()?, tolerance),
            None => Vec::new(),
        };
        let suite =
            (!suite.is_empty()).then(|| table2::build(&suite, &benchmarks(&suite), &|_, _| None));
        let suite_comparison = match &suite {
            Some(grid) => compare::compare(grid, &*compare::suite_lookup()?, tolerance),
            None => Vec::new(),
        };
        let mut models: Vec<String> = results.cells.iter().map(|c| c.model.clone()).collect();
        models.sort_by_key(|m| names::model_key(m));
        models.dedup();
        Ok(Tables {
            table1: table1::build(results),
            table2,
            other_shapes,
            comparison,
            suite,
            suite_comparison,
            claims: claims::evaluate(results),
            tolerance,
            cells: results.cells.len(),
            fallback: results.cells.iter().filter(|c| c.fallback).count(),
            models,
        })
    }

    /// All sections, each under a `##` heading.
    pub fn markdown(&self) -> String {
        [
            self.scope_markdown(),
            format!(
                "## Table 1: hyperparameters\n\n{}",
                table1::markdown(&self.table1, self.cells)
            ),
            format!(
                "## Table 2: accuracy by benchmark (%)\n\n{}",
                self.table2_markdown()
            ),
            self.other_shapes_markdown(),
            format!(
                "## Comparison with the paper's Table 2\n\n{}",
                self.comparison_markdown()
            ),
            format!("## §8 benchmark suite\n\n{}", self.suite_markdown()),
            format!("## Claims (§7)\n\n{}", self.claims_markdown()),
        ]
        .into_iter()
        .filter(|section| !section.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
    }

    /// One sentence on what a reader may conclude when neither the paper's numbers nor its
    /// claims can be compared (a single model size of tiny models: the `quick` profile); empty
    /// otherwise.
    fn scope_markdown(&self) -> String {
        if self.claims.is_ok() || !self.comparison.is_empty() || !self.suite_comparison.is_empty() {
            return String::new();
        }
        format!(
            "## What these results can say\n\nThey show that the pipeline ran end to end (each \
             method trained and its models were scored), not whether any of the paper's results \
             hold: there are no reported values for {} and the §7 claims compare at least two \
             model sizes. The `cpu` profile of `experiments/table1.toml` (three sizes, five \
             seeds; `repro run experiments/table1.toml`) tests them at laptop scale.\n",
            self.models.join(", ")
        )
    }

    fn grid_note(&self, grid: &Grid) -> String {
        let trained_on = match grid.tasks.as_slice() {
            [one] => format!("the models trained on {one} (the results' one training task)"),
            tasks => format!(
                "the models trained on the {} training tasks ({})",
                tasks.len(),
                tasks.join(", ")
            ),
        };
        let mut note = format!(
            "Each cell is the accuracy on the column's benchmark averaged over {trained_on}, as \
             in the paper's Table 2 (specification §2.2); in brackets the 95 % percentile bootstrap interval ({RESAMPLES} resamples, seed {SEED}) \
             over seeds, or over test problems when there is one seed. \"partial\": only k of the \
             n tasks' models are present. Avg.: the plain mean of the columns shown."
        );
        if grid.rows.iter().any(|r| r.reported_avg.is_some()) {
            note.push_str(
                " Avg. (paper): the paper's Avg. as printed, over its nine benchmarks; it is not \
                 their plain mean (specification §2.2).",
            );
        }
        if self.fallback > 0 {
            note.push_str(&format!(
                " {} of {} cells have no bench_* metrics: they contribute only their own task's \
                 final test accuracy (in-domain).",
                self.fallback, self.cells
            ));
        }
        note
    }

    fn table2_markdown(&self) -> String {
        match &self.table2 {
            Some(grid) => format!(
                "{}\n\n{}",
                self.grid_note(grid),
                table2::display(grid).markdown()
            ),
            None => "Every cell is a §8 suite result; see below.\n".into(),
        }
    }

    /// Table 2 for the task shapes beyond the main one, under one heading; empty when none.
    fn other_shapes_markdown(&self) -> String {
        if self.other_shapes.is_empty() {
            return String::new();
        }
        let grids: Vec<String> = self
            .other_shapes
            .iter()
            .map(|grid| {
                format!(
                    "### Trained on {}\n\n{}\n\n{}",
                    grid.tasks.join(", "),
                    self.grid_note(grid),
                    table2::display(grid).markdown()
                )
            })
            .collect();
        format!(
            "## Table 2 on other task shapes (%)\n\nCells trained and scored on problems of \
             another shape than Table 2's, kept apart so that no row averages the two.\n\n{}",
            grids.join("\n")
        )
    }

    fn comparison_markdown(&self) -> String {
        if self.comparison.is_empty() {
            return format!(
                "No reported values to compare with: the paper's Table 2 has Qwen2.5-0.5B/1.5B/3B \
                 and Llama-3.2-1B/3B trained with Base, SFT, RFT, SFT-RFT, R3 and UFT; these \
                 results have {}.\n",
                self.models.join(", ")
            );
        }
        let tasks = self
            .table2
            .as_ref()
            .map_or(String::new(), |g| g.tasks.join(", "));
        format!(
            "The paper's cells average the models trained on Countdown, MATH(3,4,5) and Logic; \
             these average the models trained on {tasks}. {}",
            comparison_text(&self.comparison, self.tolerance)
        )
    }

    fn suite_markdown(&self) -> String {
        let Some(grid) = &self.suite else {
            return "No §8 results are present (no cell carries aime25, arc_c, gpqa or mmlu_pro).\n".into();
        };
        let mut out = format!(
            "{}\n\n{}",
            self.grid_note(grid),
            table2::display(grid).markdown()
        );
        out.push_str(
            "\nCompared with the suite's rows (UFT; SFT and GRPO for sft and rft), which are for \
             Qwen2.5-Math-7B (specification §8):\n\n",
        );
        if self.suite_comparison.is_empty() {
            out.push_str(
                "No cell has a reported suite value (the suite reports UFT, SFT and GRPO).\n",
            );
        } else {
            out.push_str(&comparison_text(&self.suite_comparison, self.tolerance));
        }
        out
    }

    fn claims_markdown(&self) -> String {
        match &self.claims {
            Ok(claims) => claims::markdown(claims, self.tolerance),
            Err(why) => format!("{why}\n"),
        }
    }

    /// Writes the files that apply into `out`; returns their paths.
    pub fn write(&self, out: &Path) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        let mut put = |name: &str, text: &str| -> Result<()> {
            let path = out.join(name);
            write_text(&path, text)?;
            written.push(path);
            Ok(())
        };
        let t1 = table1::combined(&self.table1);
        put("table1.md", &table1::markdown(&self.table1, self.cells))?;
        put("table1.csv", &t1.csv()?)?;
        put(
            "table1.tex",
            &t1.latex("Hyperparameters of the runs.", "tab:hyperparameters"),
        )?;
        for (stem, grid, caption) in [
            (
                "table2",
                &self.table2,
                "Accuracy (\\%) averaged over the models trained on each training task, with 95\\% bootstrap intervals.",
            ),
            (
                "suite",
                &self.suite,
                "Accuracy (\\%) on the \\S8 benchmark suite, with 95\\% bootstrap intervals.",
            ),
        ] {
            let Some(grid) = grid else { continue };
            let display = table2::display(grid);
            put(
                &format!("{stem}.md"),
                &format!("{}\n\n{}", self.grid_note(grid), display.markdown()),
            )?;
            put(&format!("{stem}.csv"), &table2::long(grid).csv()?)?;
            put(
                &format!("{stem}.tex"),
                &display.latex(caption, &format!("tab:{stem}")),
            )?;
        }
        if !self.other_shapes.is_empty() {
            put("table2_other_shapes.md", &self.other_shapes_markdown())?;
            let mut long = table2::long(&self.other_shapes[0]);
            for grid in &self.other_shapes[1..] {
                long.rows.extend(table2::long(grid).rows);
            }
            put("table2_other_shapes.csv", &long.csv()?)?;
        }
        let mut comparison = compare::long(&self.comparison, "table2");
        comparison
            .rows
            .extend(compare::long(&self.suite_comparison, "suite").rows);
        if !comparison.rows.is_empty() {
            put("comparison.csv", &comparison.csv()?)?;
        }
        if let Ok(claims) = &self.claims {
            put("claims.md", &claims::markdown(claims, self.tolerance))?;
            put("claims.csv", &claims::long(claims).csv()?)?;
        }
        Ok(written)
    }
}

/// The comparison's Markdown: τ, the tally of verdicts and the long table.
fn comparison_text(rows: &[Comparison], tolerance: f64) -> String {
    format!(
        "Verdicts with τ = {:.2} points: PASS if the whole 95 % interval lies within reported ± τ, \
         FAIL if it lies entirely outside, INCONCLUSIVE otherwise (and for missing or partial \
         cells). {}.\n\n{}",
        100.0 * tolerance,
        compare::tally(rows),
        compare::display(rows).markdown()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::estimate::Evidence;

    fn cell(id: &str, shape: &str) -> TrainedCell {
        TrainedCell {
            id: id.into(),
            model: "tiny-500k".into(),
            method: "rft".into(),
            task: "countdown".into(),
            shape: shape.into(),
            variant: String::new(),
            params: Default::default(),
            benchmarks: Default::default(),
            in_domain: Evidence::new(),
            fallback: true,
        }
    }

    #[test]
    fn table2_holds_the_most_common_shape_and_the_others_stand_apart() {
        let cells = [
            cell("a", "4 numbers"),
            cell("b", "3 numbers"),
            cell("c", "3 numbers"),
        ];
        let (main, others) = split_by_shape(cells.iter().collect());
        let ids = |list: &[&TrainedCell]| list.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&main), ["b", "c"]);
        assert_eq!(others.len(), 1);
        assert_eq!(ids(&others[0]), ["a"]);
        let (main, others) = split_by_shape(cells[..1].iter().collect());
        assert_eq!((ids(&main), others.len()), (vec!["a".to_string()], 0));
    }
}
