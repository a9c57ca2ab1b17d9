//! Figure 2's averaging: test accuracy averaged over models (the paper averages Qwen2.5-0.5B,
//! 1.5B and 3B). Each model's curve is first the mean over its seeds; the figure's line is the
//! mean of those per-model means and its band their minimum and maximum, so the band shows how
//! much the models differ, not the seeds.
//!
//! A method is drawn for a task only when every model has it, and only at the steps every model
//! evaluated; Base and SFT average each model's final value. Besides the mean over all models,
//! when the results hold the three Qwen2.5 sizes and other models too, the mean over the Qwen
//! sizes alone is drawn as well, since that is the one the paper's Figure 2 shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::training::{
    Curve, Line, Panel, StepFigure, curve, flat_note, reported_note, save_step_figure, spread,
    tasks_of, text,
};
use super::training_reported::{FIGURE_2_MODELS, endpoints, paper_figure};
use crate::metrics::CellMetrics;
use crate::reported::FigureEndpoint;
use crate::train::config::METHODS as ORDER;

const METRIC: &str = "test_accuracy";

/// The mean over `models` of each model's seed-mean curve of `metric` for `task` and `method`,
/// with the models' minimum and maximum; `None` if a model lacks the method or they share no
/// step. With `last_only`, each model contributes its final value (at step 0 of the result).
pub(super) fn mean_over_models(
    cells: &[CellMetrics],
    models: &[String],
    task: &str,
    method: &str,
    last_only: bool,
) -> Option<Curve> {
    let mut per_model: Vec<Curve> = Vec::new();
    for model in models {
        let cell = cells.iter().find(|c| {
            &text(c, "model") == model && text(c, "task") == task && text(c, "method") == method
        })?;
        let mut c = curve(cell, METRIC);
        if last_only {
            let (_, &last) = c.iter().next_back()?;
            c = BTreeMap::from([(0, last)]);
        }
        per_model.push(c);
    }
    let (first, rest) = per_model.split_first()?;
    let mean: Curve = first
        .keys()
        .filter(|step| rest.iter().all(|c| c.contains_key(step)))
        .map(|&step| {
            let means: Vec<f64> = per_model.iter().map(|c| c[&step].0).collect();
            (step, spread(&means))
        })
        .collect();
    (!mean.is_empty()).then_some(mean)
}

/// `accuracy_mean_over_models` (and `accuracy_mean_over_qwen2.5` where that differs).
pub(super) fn plot(
    cells: &[CellMetrics],
    models: &[String],
    reported: &[FigureEndpoint],
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let mut sets = vec![("accuracy_mean_over_models", models.to_vec())];
    let qwen: Vec<String> = FIGURE_2_MODELS.iter().map(|m| m.to_string()).collect();
    if models.len() > qwen.len() && qwen.iter().all(|m| models.contains(m)) {
        sets.push(("accuracy_mean_over_qwen2.5", qwen));
    }
    let mut written = Vec::new();
    for (stem, set) in sets {
        let of_set: Vec<&CellMetrics> = cells
            .iter()
            .filter(|c| set.contains(&text(c, "model")))
            .collect();
        let names: Vec<&str> = set.iter().map(String::as_str).collect();
        let figure = paper_figure(&names);
        let panels: Vec<Panel> = tasks_of(&of_set)
            .into_iter()
            .map(|task| {
                let lines: Vec<Line> = ORDER
                    .iter()
                    .filter_map(|&method| {
                        let flat = method == "base" || method == "sft";
                        let curve = mean_over_models(cells, &set, &task, method, flat)?;
                        Some(Line {
                            method,
                            curve,
                            flat,
                        })
                    })
                    .collect();
                let methods: Vec<&'static str> = lines.iter().map(|l| l.method).collect();
                Panel {
                    reported: endpoints(reported, figure, &task, &methods),
                    task,
                    lines,
                }
            })
            .collect();
        let subtitle = format!(
            "Mean over the models of each model's seed mean; bands: min–max over the models.{}{}",
            flat_note(&panels),
            reported_note(figure, &panels)
        );
        let figure = StepFigure {
            title: format!(
                "greedy test accuracy, averaged over {} models ({})",
                set.len(),
                names.join(", ")
            ),
            subtitle,
            y_label: "test accuracy",
            panels,
            band_opacity: 0.08,
        };
        written.extend(save_step_figure(out, stem, &figure)?);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Value;
    use crate::metrics::SeedRow;

    /// A cell of `model` and `method` on countdown with test accuracy rows (seed, step, value).
    fn cell(model: &str, method: &str, rows: &[(u64, u64, f64)]) -> CellMetrics {
        let params = [("model", model), ("method", method), ("task", "countdown")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        CellMetrics {
            cell: format!("{model}-{method}"),
            kind: "fine_tune".into(),
            params,
            rows: rows
                .iter()
                .map(|&(seed, step, value)| SeedRow::new(seed, step, METRIC, value))
                .collect(),
        }
    }

    #[test]
    fn the_mean_over_models_averages_seed_means_and_spans_the_models() {
        // Model a: seeds 0 and 1 → means 0.2 (step 0) and 0.5 (step 10).
        // Model b: one seed → 0.4 (step 0), 0.9 (step 10); step 5 only in b, so dropped.
        // Mean over models: step 0 (0.2 + 0.4)/2 = 0.3, band [0.2, 0.4];
        //                   step 10 (0.5 + 0.9)/2 = 0.7, band [0.5, 0.9].
        let cells = vec![
            cell(
                "a",
                "uft",
                &[(0, 0, 0.1), (1, 0, 0.3), (0, 10, 0.4), (1, 10, 0.6)],
            ),
            cell("b", "uft", &[(0, 0, 0.4), (0, 5, 0.8), (0, 10, 0.9)]),
        ];
        let models = vec!["a".to_string(), "b".to_string()];
        let mean = mean_over_models(&cells, &models, "countdown", "uft", false).unwrap();
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert_eq!(mean.keys().copied().collect::<Vec<_>>(), [0, 10]);
        let (m0, lo0, hi0) = mean[&0];
        let (m10, lo10, hi10) = mean[&10];
        assert!(
            close(m0, 0.3) && close(lo0, 0.2) && close(hi0, 0.4),
            "{:?}",
            mean[&0]
        );
        assert!(
            close(m10, 0.7) && close(lo10, 0.5) && close(hi10, 0.9),
            "{:?}",
            mean[&10]
        );
    }

    #[test]
    fn flat_methods_average_final_values_and_a_missing_model_drops_the_method() {
        // SFT evaluated at step 0 (the base model) and at its last SFT step, which differs.
        let cells = vec![
            cell("a", "sft", &[(0, 0, 0.0), (0, 8, 0.2)]),
            cell("b", "sft", &[(0, 0, 0.0), (0, 12, 0.6)]),
            cell("a", "rft", &[(0, 0, 0.0), (0, 8, 0.2)]),
        ];
        let models = vec!["a".to_string(), "b".to_string()];
        let sft = mean_over_models(&cells, &models, "countdown", "sft", true).unwrap();
        assert_eq!(sft.len(), 1);
        let (m, lo, hi) = sft[&0];
        assert!((m - 0.4).abs() < 1e-12 && lo == 0.2 && hi == 0.6);
        assert!(mean_over_models(&cells, &models, "countdown", "rft", false).is_none());
    }
}
