//! Figures of the `fine_tune` kind, in the style of the paper's Figures 1, 2, 7 and 8: test
//! accuracy against RL step for each method (Base and SFT as flat dashed lines, SFT→RFT
//! starting from its SFT model), and the annotation each method consumes over training.
//! Lines are means over seeds; bands span the seeds' minimum and maximum.
//!
//! Per model: `accuracy_<model>` (with the paper's step-500 values as hollow markers when the
//! model is one the paper draws, see `training_reported`), `format_accuracy_<model>`,
//! `annotation_usage_<model>` and `accuracy_vs_annotation_<model>` (`training_annotation`).
//! With several models, `accuracy_mean_over_models` (Figure 2's averaging, `training_mean`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::training_reported::{endpoints, paper_figure, paper_task};
use super::training_style::{LegendEntry, frame, marker, segments, style};
use super::{PlotArgs, drawing, save_png_and_svg, training_annotation, training_mean};
use crate::metrics::CellMetrics;
use crate::reported::FigureEndpoint;
// Legend order: the methods in the order `fine_tune` lists them.
use crate::train::config::METHODS as ORDER;

/// One method's curve: step → (mean, min, max) over seeds (or over models).
pub(super) type Curve = BTreeMap<u64, (f64, f64, f64)>;

/// One seed's values of `metric`, step → value.
pub(super) fn seed_values(cell: &CellMetrics, seed: u64, metric: &str) -> BTreeMap<u64, f64> {
    cell.rows
        .iter()
        .filter(|r| r.seed == seed && r.metric == metric)
        .map(|r| (r.step, r.value))
        .collect()
}

/// Mean, minimum and maximum of some values.
pub(super) fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}

/// `metric` over seeds, step by step.
pub(super) fn curve(cell: &CellMetrics, metric: &str) -> Curve {
    let mut by_step: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for row in cell.rows.iter().filter(|r| r.metric == metric) {
        by_step.entry(row.step).or_default().push(row.value);
    }
    by_step
        .into_iter()
        .map(|(step, values)| (step, spread(&values)))
        .collect()
}

pub(super) fn text(cell: &CellMetrics, name: &str) -> String {
    cell.param(name)
        .map(|v| v.as_str().to_string())
        .unwrap_or_default()
}

/// The tasks of some cells, in the paper's panel order (Countdown, MATH, Logic), others after.
pub(super) fn tasks_of(cells: &[&CellMetrics]) -> Vec<String> {
    let tasks: BTreeSet<String> = cells.iter().map(|c| text(c, "task")).collect();
    let mut tasks: Vec<String> = tasks.into_iter().collect();
    let rank = |t: &str| ["countdown", "math", "logic"].iter().position(|&p| p == t);
    tasks.sort_by_key(|t| (rank(t).unwrap_or(usize::MAX), t.clone()));
    tasks
}

/// One method's line in a panel; a flat line is drawn at its curve's last value.
pub(super) struct Line {
    pub method: &'static str,
    pub curve: Curve,
    pub flat: bool,
}

/// One task's panel: its lines and the paper's step-500 values to overlay (method, value).
pub(super) struct Panel {
    pub task: String,
    pub lines: Vec<Line>,
    pub reported: Vec<(&'static str, f64)>,
}

/// A figure of panels against RL step.
pub(super) struct StepFigure {
    pub title: String,
    pub subtitle: String,
    pub y_label: &'static str,
    pub panels: Vec<Panel>,
    /// Opacity of the bands: lighter where bands are wide and overlap (the spread over models).
    pub band_opacity: f64,
}

/// The last RL step drawn in a panel: the end of its longest non-flat curve.
fn last_step(panel: &Panel) -> u64 {
    let last = panel.lines.iter().filter(|l| !l.flat);
    last.filter_map(|l| l.curve.keys().last().copied())
        .max()
        .unwrap_or(1)
        .max(1)
}

/// The subtitle's sentence about the paper's values, or nothing when none are overlaid.
pub(super) fn reported_note(figure: Option<u32>, panels: &[Panel]) -> String {
    let Some(figure) = figure.filter(|_| panels.iter().any(|p| !p.reported.is_empty())) else {
        return String::new();
    };
    let lasts: BTreeSet<u64> = panels.iter().map(last_step).collect();
    let at = match lasts.iter().collect::<Vec<_>>().as_slice() {
        [500] => String::new(),
        [one] => format!(", here step {one}"),
        _ => ", here shorter".to_string(),
    };
    format!(
        " Hollow markers: the paper's Figure {figure} values at step 500 (read off the image, \
         ±0.02), drawn at the run's last step{at}."
    )
}

pub fn plot(cells: &[CellMetrics], args: &PlotArgs) -> Result<Vec<PathBuf>> {
    let reported = crate::reported::figure_endpoints()?;
    let mut written = Vec::new();
    let models: BTreeSet<String> = cells.iter().map(|c| text(c, "model")).collect();
    for model in &models {
        let of_model: Vec<&CellMetrics> = cells
            .iter()
            .filter(|c| &text(c, "model") == model)
            .collect();
        let tasks = tasks_of(&of_model);
        for (stem, what, metric, y_label) in [
            (
                "accuracy",
                "greedy test accuracy during training",
                "test_accuracy",
                "test accuracy",
            ),
            (
                "format_accuracy",
                "greedy test format accuracy (reward ≥ 0.1) during training",
                "test_format_accuracy",
                "test format accuracy",
            ),
            (
                "annotation_usage",
                "share of the solution shown as a hint (Figure 1's annotation usage)",
                "hint_fraction_mean",
                "hint fraction",
            ),
            (
                "rollout_accuracy",
                "accuracy of the training rollouts (prompts with their hints)",
                "accuracy",
                "rollout accuracy",
            ),
        ] {
            let figure = (metric == "test_accuracy")
                .then(|| paper_figure(&[model.as_str()]))
                .flatten();
            let panels = model_panels(&of_model, &tasks, metric, figure, &reported);
            let band = match metric {
                m if m.starts_with("test_") => format!(
                    "Lines: mean over seeds; bands: min–max over seeds.{}",
                    flat_note(&panels)
                ),
                "accuracy" => {
                    "Lines: mean over seeds; bands: min–max over seeds. RL methods only; \
                               each rollout's prompt carries its hint."
                        .to_string()
                }
                _ => "Lines: mean over seeds; bands: min–max over seeds. SFT shows the whole \
                      solution."
                    .to_string(),
            };
            let figure = StepFigure {
                title: format!("{model}: {what}"),
                subtitle: format!("{band}{}", reported_note(figure, &panels)),
                y_label,
                panels,
                band_opacity: 0.15,
            };
            written.extend(save_step_figure(
                &args.out_dir(),
                &format!("{stem}_{model}"),
                &figure,
            )?);
        }
        written.extend(training_annotation::plot(
            &of_model,
            model,
            &tasks,
            &args.out_dir(),
        )?);
    }
    if models.len() > 1 {
        let models: Vec<String> = models.into_iter().collect();
        written.extend(training_mean::plot(
            cells,
            &models,
            &reported,
            &args.out_dir(),
        )?);
    }
    Ok(written)
}

/// One model's panels of `metric`, one per task.
fn model_panels(
    cells: &[&CellMetrics],
    tasks: &[String],
    metric: &str,
    figure: Option<u32>,
    reported: &[FigureEndpoint],
) -> Vec<Panel> {
    tasks
        .iter()
        .map(|task| {
            let lines: Vec<Line> = ORDER
                .iter()
                .filter_map(|&method| {
                    let cell = cells
                        .iter()
                        .find(|c| &text(c, "task") == task && text(c, "method") == method)?;
                    let mut curve = curve(cell, metric);
                    if metric == "hint_fraction_mean" && method == "sft" {
                        curve = BTreeMap::from([(0, (1.0, 1.0, 1.0))]); // SFT uses the whole solution
                    }
                    let flat = method == "sft" || method == "base" && metric.starts_with("test_");
                    (!curve.is_empty()).then_some(Line {
                        method,
                        curve,
                        flat,
                    })
                })
                .collect();
            let methods: Vec<&'static str> = lines.iter().map(|l| l.method).collect();
            Panel {
                task: panel_caption(task, cells),
                reported: endpoints(reported, figure, task, &methods),
                lines,
            }
        })
        .collect()
}

/// A panel's caption: the paper's name of the task, and the count of Countdown numbers when
/// every cell of the panel fixes it (so a study's 4-number cells never pass for its 3-number
/// ones).
fn panel_caption(task: &str, cells: &[&CellMetrics]) -> String {
    let name = paper_task(task).unwrap_or(task);
    let horizons: BTreeSet<Option<i64>> = cells
        .iter()
        .filter(|c| text(c, "task") == task)
        .map(|c| super::horizon::horizon_of(c))
        .collect();
    match horizons.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(h)] => format!("{name} ({} numbers)", h + 1),
        _ => name.to_string(),
    }
}

/// The subtitle's sentence on the flat lines: " Base and SFT: final values, flat." for those
/// the panels hold, or nothing.
pub(super) fn flat_note(panels: &[Panel]) -> String {
    let flat: BTreeSet<&'static str> = panels
        .iter()
        .flat_map(|p| p.lines.iter().filter(|l| l.flat).map(|l| l.method))
        .collect();
    let labels: Vec<&str> = ORDER
        .iter()
        .filter(|m| flat.contains(*m))
        .map(|&m| style(m).label)
        .collect();
    match labels.as_slice() {
        [] => String::new(),
        [one] => format!(" {one}: final value, flat."),
        [rest @ .., last] => format!(" {} and {last}: final values, flat.", rest.join(", ")),
    }
}

/// Writes `<stem>.png` and `<stem>.svg` of a figure against RL step.
pub(super) fn save_step_figure(
    out: &Path,
    stem: &str,
    figure: &StepFigure,
) -> Result<Vec<PathBuf>> {
    let size = ((520 * figure.panels.len() as u32 + 60).max(1000), 620);
    save_png_and_svg(
        out,
        stem,
        size,
        |root| draw_step_figure(root, figure),
        |root| draw_step_figure(root, figure),
    )
}

/// Which of a curve's points get a marker: all of up to 8, else every k-th (every 100 steps
/// for the paper's 500 steps evaluated every 25) and the last.
pub(super) fn marked(steps: &[u64]) -> Vec<u64> {
    let n = steps.len();
    let k = if n <= 8 { 1 } else { (n - 1).div_ceil(5) };
    let every = steps
        .iter()
        .enumerate()
        .filter(|(i, _)| i % k == 0 || i + 1 == n);
    every.map(|(_, &s)| s).collect()
}

/// A sentence naming the lines of a panel that lie exactly on one another (only the last drawn
/// would be visible), or `None`.
pub(super) fn overlap_note(panel: &Panel) -> Option<String> {
    identical_lines_note(panel.lines.iter().map(|line| {
        let drawn = match line.flat {
            true => Drawn::Level(line.curve.values().last().map_or(0, |v| v.0.to_bits())),
            false => Drawn::Curve(
                line.curve
                    .iter()
                    .map(|(&x, v)| (x, v.0.to_bits()))
                    .collect(),
            ),
        };
        (drawn, style(line.method).label.to_string())
    }))
}

/// What a line puts on the chart, bit for bit: a curve's points, or a flat line's level.
#[derive(Debug)]
enum Drawn {
    Curve(Vec<(u64, u64)>),
    Level(u64),
}

impl PartialEq for Drawn {
    /// A curve lies on a flat line when every one of its points is at the line's level.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Drawn::Curve(a), Drawn::Curve(b)) => a == b,
            (Drawn::Level(a), Drawn::Level(b)) => a == b,
            (Drawn::Level(level), Drawn::Curve(points))
            | (Drawn::Curve(points), Drawn::Level(level)) => {
                points.iter().all(|(_, value)| value == level)
            }
        }
    }
}

/// "identical, drawn over one another: a, b; c, d" for the labels whose keys (their curves,
/// bit for bit) are equal, or `None` when every curve is its own.
pub(super) fn identical_lines_note<K: PartialEq>(
    lines: impl IntoIterator<Item = (K, String)>,
) -> Option<String> {
    let mut groups: Vec<(K, Vec<String>)> = Vec::new();
    for (key, label) in lines {
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(group) => group.1.push(label),
            None => groups.push((key, vec![label])),
        }
    }
    let shared: Vec<String> = groups
        .into_iter()
        .filter(|g| g.1.len() > 1)
        .map(|g| g.1.join(", "))
        .collect();
    (!shared.is_empty())
        .then(|| format!("identical, drawn over one another: {}", shared.join("; ")))
}

/// Writes `note` on a light box in a top corner of a chart's plotting area (`plot` is its pixel
/// range): the left one, or the right one where the legend takes the left.
pub(super) fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: (std::ops::Range<i32>, std::ops::Range<i32>),
    note: &str,
    right: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let style = ("sans-serif", 15).into_text_style(area).color(&BLACK);
    let (xs, ys) = plot;
    let (w, h) = drawing(area.estimate_text_size(note, &style))?;
    let (w, h) = (w as i32, h as i32);
    let at = if right {
        (xs.end - 8 - w, ys.start + 6)
    } else {
        (xs.start + 8, ys.start + 6)
    };
    let area_origin = area.get_base_pixel();
    let (x, y) = (at.0 - area_origin.0, at.1 - area_origin.1);
    drawing(area.draw(&Rectangle::new(
        [(x - 4, y - 3), (x + w + 4, y + h + 3)],
        WHITE.mix(0.9).filled(),
    )))?;
    drawing(area.draw_text(note, &style, (x, y)))?;
    Ok(())
}

/// The legend of some panels: their methods in `ORDER`, then the paper's hollow marker if drawn.
pub(super) fn legend_of(panels: &[Panel]) -> Vec<LegendEntry> {
    let present: BTreeSet<&str> = panels
        .iter()
        .flat_map(|p| p.lines.iter().map(|l| l.method))
        .collect();
    let mut legend: Vec<LegendEntry> = ORDER
        .iter()
        .filter(|m| present.contains(*m))
        .map(|&m| LegendEntry::Method(m))
        .collect();
    if panels.iter().any(|p| !p.reported.is_empty()) {
        legend.push(LegendEntry::Paper);
    }
    legend
}

fn draw_step_figure<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &StepFigure,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(
        &root,
        &figure.title,
        &figure.subtitle,
        &legend_of(&figure.panels),
    )?;
    let areas = body.split_evenly((1, figure.panels.len().max(1)));
    for (area, panel) in areas.iter().zip(&figure.panels) {
        let x_max = last_step(panel) as f64;
        let y_max = panel
            .lines
            .iter()
            .flat_map(|l| l.curve.values().map(|v| v.2))
            .chain(panel.reported.iter().map(|r| r.1))
            .fold(0.05, f64::max)
            * 1.1;
        let pad = 0.03 * x_max; // room for the markers at both ends
        let mut chart = drawing(
            ChartBuilder::on(area)
                .caption(
                    paper_task(&panel.task).unwrap_or(&panel.task),
                    ("sans-serif", 19),
                )
                .margin(10)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(-pad..x_max + pad, 0f64..y_max.min(1.05)),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc("RL step")
                // Integer steps only: at most 10 labels, none repeated on short runs.
                .x_labels((x_max as usize + 1).min(10))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.2}"))
                .y_desc(figure.y_label)
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(WHITE)
                .draw(),
        )?;
        let longest: Vec<u64> = panel
            .lines
            .iter()
            .filter(|l| !l.flat)
            .map(|l| l.curve.keys().copied().collect::<Vec<_>>())
            .max_by_key(|s| s.len())
            .unwrap_or_else(|| vec![0, x_max as u64]);
        for line in &panel.lines {
            let s = style(line.method);
            let (points, marks): (Vec<(f64, f64)>, Vec<(f64, f64)>) = if line.flat {
                let value = line.curve.values().last().map_or(0.0, |v| v.0);
                let marks = marked(&longest).into_iter().map(|x| (x as f64, value));
                (vec![(0.0, value), (x_max, value)], marks.collect())
            } else {
                let steps: Vec<u64> = line.curve.keys().copied().collect();
                let at = |step: &u64| (*step as f64, line.curve[step].0);
                (
                    steps.iter().map(at).collect(),
                    marked(&steps).iter().map(at).collect(),
                )
            };
            if !line.flat && line.curve.values().any(|v| v.2 > v.1) {
                let upper = line.curve.iter().map(|(&x, v)| (x as f64, v.2));
                let lower = line.curve.iter().rev().map(|(&x, v)| (x as f64, v.1));
                let band = Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    s.color.mix(figure.band_opacity),
                );
                drawing(chart.draw_series(std::iter::once(band)))?;
            }
            let stroke = s.color.stroke_width(2);
            if s.dashed {
                drawing(chart.draw_series(DashedLineSeries::new(points, 8, 5, stroke)))?;
            } else {
                drawing(chart.draw_series(segments(&points, stroke)))?;
            }
            drawing(
                chart.draw_series(
                    marks
                        .into_iter()
                        .map(|p| marker(p, line.method, 4.5, false)),
                ),
            )?;
        }
        let hollow = panel
            .reported
            .iter()
            .map(|&(m, v)| marker((x_max, v), m, 7.0, true));
        drawing(chart.draw_series(hollow))?;
        if let Some(note) = overlap_note(panel) {
            draw_note(area, chart.plotting_area().get_pixel_range(), &note, false)?;
        }
    }
    drawing(root.present())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Value;
    use crate::metrics::SeedRow;

    #[test]
    fn identical_curves_are_named_together() {
        let lines = [
            (vec![0, 0], "pass@1".to_string()),
            (vec![0, 1], "pass@2".to_string()),
            (vec![0, 0], "pass@4".to_string()),
        ];
        assert_eq!(
            identical_lines_note(lines).as_deref(),
            Some("identical, drawn over one another: pass@1, pass@4")
        );
        assert_eq!(
            identical_lines_note([(1, "a".to_string()), (2, "b".to_string())]),
            None
        );
    }

    /// A countdown cell of `model` and `method` evaluated at steps 0 and 4 (accuracy 0 → `end`),
    /// with RL annotation counts for the RL methods.
    fn cell(model: &str, method: &str, end: f64) -> CellMetrics {
        let params = [("model", model), ("method", method), ("task", "countdown")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        let mut rows = vec![
            SeedRow::new(0, 0, "test_accuracy", 0.0),
            SeedRow::new(0, 4, "test_accuracy", end),
        ];
        if method != "base" {
            rows.push(SeedRow::new(0, 4, "annotation_tokens", 40.0));
        }
        CellMetrics {
            cell: format!("{model}-{method}"),
            kind: "fine_tune".into(),
            params,
            rows,
        }
    }

    /// Every figure is written, and the paper's values appear only on the figure of a model the
    /// paper draws (Figure 7 for Qwen2.5-0.5B), never on the tiny model's.
    #[test]
    fn plot_writes_every_figure_and_overlays_the_paper_only_where_it_applies() {
        let out = std::env::temp_dir().join(format!("repro-training-plot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let cells: Vec<CellMetrics> = ["tiny-1m", "qwen2.5-0.5b"]
            .iter()
            .flat_map(|m| {
                [
                    cell(m, "base", 0.0),
                    cell(m, "sft", 0.2),
                    cell(m, "uft", 0.4),
                ]
            })
            .collect();
        let args = PlotArgs {
            results: out.clone(),
            out: Some(out.clone()),
            height: 10,
            branching: 3,
        };
        plot(&cells, &args).unwrap();
        let svg = |stem: &str| std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        for model in ["tiny-1m", "qwen2.5-0.5b"] {
            for stem in [
                "accuracy",
                "format_accuracy",
                "annotation_usage",
                "rollout_accuracy",
                "accuracy_vs_annotation",
            ] {
                assert!(
                    out.join(format!("{stem}_{model}.png")).is_file(),
                    "{stem} {model}"
                );
            }
        }
        let tiny = svg("accuracy_tiny-1m");
        assert!(!tiny.contains("paper") && !tiny.contains("Figure"));
        let qwen = svg("accuracy_qwen2.5-0.5b");
        assert!(qwen.contains("paper (approx.)") && qwen.contains("Figure 7"));
        assert!(qwen.contains("here step 4"));
        // Two models, but not the paper's three: the mean is drawn, with nothing overlaid.
        let mean = svg("accuracy_mean_over_models");
        assert!(mean.contains("averaged over 2 models") && !mean.contains("paper"));
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn markers_fall_every_hundred_steps_on_the_papers_grid() {
        let paper: Vec<u64> = (0..=500).step_by(25).collect();
        assert_eq!(marked(&paper), [0, 100, 200, 300, 400, 500]);
        assert_eq!(marked(&[0, 3, 6]), [0, 3, 6]);
    }

    #[test]
    fn a_curve_on_a_flat_line_is_named_with_it_and_the_subtitle_names_the_flat_lines() {
        let line = |method, values: &[f64], flat| Line {
            method,
            curve: values
                .iter()
                .enumerate()
                .map(|(i, &v)| (32 * i as u64, (v, v, v)))
                .collect(),
            flat,
        };
        let panel = |lines| Panel {
            task: "countdown".into(),
            lines,
            reported: vec![],
        };
        let at_zero = panel(vec![
            line("base", &[0.0], true),
            line("rft", &[0.0, 0.0, 0.0], false),
        ]);
        assert_eq!(
            overlap_note(&at_zero).as_deref(),
            Some("identical, drawn over one another: Base, RFT")
        );
        assert_eq!(flat_note(&[at_zero]), " Base: final value, flat.");
        let apart = panel(vec![
            line("base", &[0.0], true),
            line("sft", &[0.3], true),
            line("rft", &[0.0, 0.1, 0.2], false),
        ]);
        assert_eq!(overlap_note(&apart), None);
        assert_eq!(flat_note(&[apart]), " Base and SFT: final values, flat.");
        assert_eq!(flat_note(&[]), "");
    }

    #[test]
    fn the_reported_note_names_the_figure_and_the_step_it_is_drawn_at() {
        let panel = |last: u64, reported: Vec<(&'static str, f64)>| Panel {
            task: "countdown".into(),
            lines: vec![Line {
                method: "uft",
                curve: BTreeMap::from([(0, (0.0, 0.0, 0.0)), (last, (0.1, 0.1, 0.1))]),
                flat: false,
            }],
            reported,
        };
        assert_eq!(reported_note(None, &[panel(6, vec![])]), "");
        assert_eq!(reported_note(Some(7), &[panel(6, vec![])]), "");
        let note = reported_note(Some(7), &[panel(6, vec![("uft", 0.505)])]);
        assert!(
            note.contains("Figure 7") && note.contains("here step 6"),
            "{note}"
        );
        let note = reported_note(Some(8), &[panel(500, vec![("uft", 0.755)])]);
        assert!(!note.contains("here"), "{note}");
    }
}
