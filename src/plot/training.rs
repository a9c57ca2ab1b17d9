//! Figures of the `fine_tune` kind, in the style of the paper's Figures 1, 2, 7 and 8: test
//! accuracy against RL step for each method (Base and SFT as flat dashed lines, SFT→RFT
//! starting from its SFT model), and the annotation each method consumes over training.
//! Lines are means over seeds; bands span the seeds' minimum and maximum.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PlotArgs, drawing, save_png_and_svg};
use crate::metrics::CellMetrics;
// Legend order: the methods in the order `fine_tune` lists them.
use crate::train::config::METHODS as ORDER;

/// The paper's colours and line styles (§3 of the specification): Base brown dashed, SFT green
/// dashed, RFT orange, SFT-RFT dark blue, R³ red, UFT purple; the methods the paper does not
/// draw in these figures in grey and pink.
fn style(method: &str) -> (RGBColor, bool, &'static str) {
    match method {
        "base" => (RGBColor(140, 86, 75), true, "Base"),
        "sft" => (RGBColor(44, 160, 44), true, "SFT"),
        "rft" => (RGBColor(255, 127, 14), false, "RFT"),
        "sft_rft" => (RGBColor(31, 40, 120), false, "SFT-RFT"),
        "r3" => (RGBColor(214, 39, 40), false, "R³"),
        "uft" => (RGBColor(148, 103, 189), false, "UFT"),
        "stage" => (RGBColor(127, 127, 127), false, "Stage"),
        _ => (RGBColor(227, 119, 194), false, "RFT (cosine)"),
    }
}

/// One method's curve: step → (mean, min, max) over seeds.
type Curve = BTreeMap<u64, (f64, f64, f64)>;

fn curve(cell: &CellMetrics, metric: &str) -> Curve {
    let mut by_step: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for row in cell.rows.iter().filter(|r| r.metric == metric) {
        by_step.entry(row.step).or_default().push(row.value);
    }
    by_step
        .into_iter()
        .map(|(step, values)| {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (step, (mean, min, max))
        })
        .collect()
}

fn text(cell: &CellMetrics, name: &str) -> String {
    cell.param(name)
        .map(|v| v.as_str().to_string())
        .unwrap_or_default()
}

pub fn plot(cells: &[CellMetrics], args: &PlotArgs) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let models: BTreeSet<String> = cells.iter().map(|c| text(c, "model")).collect();
    for model in &models {
        let of_model: Vec<&CellMetrics> = cells
            .iter()
            .filter(|c| &text(c, "model") == model)
            .collect();
        let tasks: Vec<String> = of_model
            .iter()
            .map(|c| text(c, "task"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let size = ((560 * tasks.len() as u32 + 40).max(1000), 540);
        for (stem, title, metric, y_label) in [
            (
                "accuracy",
                "greedy test accuracy during training (mean over seeds, band = min–max)",
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
        ] {
            let title = format!("{model}: {title}");
            let flat = metric.starts_with("test_");
            written.extend(save_png_and_svg(
                &args.out,
                &format!("{stem}_{model}"),
                size,
                |root| draw_panels(root, &of_model, &tasks, &title, metric, y_label, flat),
                |root| draw_panels(root, &of_model, &tasks, &title, metric, y_label, flat),
            )?);
        }
    }
    Ok(written)
}

fn draw_panels<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    cells: &[&CellMetrics],
    tasks: &[String],
    title: &str,
    metric: &str,
    y_label: &str,
    flat_references: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    drawing(root.fill(&WHITE))?;
    let root = drawing(root.titled(title, ("sans-serif", 20)))?;
    let panels = root.split_evenly((1, tasks.len()));
    for (panel, task) in panels.iter().zip(tasks) {
        let of_task: Vec<&&CellMetrics> =
            cells.iter().filter(|c| &text(c, "task") == task).collect();
        let curves: Vec<(&str, Curve)> = ORDER
            .iter()
            .filter_map(|&method| {
                let cell = of_task.iter().find(|c| text(c, "method") == method)?;
                let mut curve = curve(cell, metric);
                if metric == "hint_fraction_mean" && method == "sft" {
                    curve = BTreeMap::from([(0, (1.0, 1.0, 1.0))]); // SFT uses the whole solution
                }
                (!curve.is_empty()).then_some((method, curve))
            })
            .collect();
        let last_step = curves
            .iter()
            .flat_map(|(m, c)| {
                if *m == "sft" || *m == "base" {
                    None
                } else {
                    c.keys().last()
                }
            })
            .max();
        let x_max = last_step.copied().unwrap_or(1).max(1) as f64;
        let y_max = curves
            .iter()
            .flat_map(|(_, c)| c.values().map(|v| v.2))
            .fold(0.05, f64::max)
            * 1.1;
        let mut chart = drawing(
            ChartBuilder::on(panel)
                .caption(task.as_str(), ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(0f64..x_max, 0f64..y_max.min(1.05)),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc("RL step")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.2}"))
                .y_desc(y_label)
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 15))
                .draw(),
        )?;
        for (method, curve) in &curves {
            let (color, dashed, label) = style(method);
            let flat = flat_references && (*method == "base" || *method == "sft")
                || *method == "sft" && !metric.starts_with("test_");
            let points: Vec<(f64, f64)> = if flat {
                let value = curve.values().last().map_or(0.0, |v| v.0);
                vec![(0.0, value), (x_max, value)]
            } else {
                curve.iter().map(|(&s, v)| (s as f64, v.0)).collect()
            };
            if !flat && curve.values().any(|v| v.2 > v.1) {
                let mut band: Vec<(f64, f64)> =
                    curve.iter().map(|(&s, v)| (s as f64, v.2)).collect();
                band.extend(curve.iter().rev().map(|(&s, v)| (s as f64, v.1)));
                drawing(chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15)))))?;
            }
            let line = color.stroke_width(2);
            let series = if dashed {
                drawing(chart.draw_series(DashedLineSeries::new(points.clone(), 8, 5, line)))?
            } else {
                drawing(chart.draw_series(LineSeries::new(points.clone(), line)))?
            };
            series
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
            if !flat {
                drawing(
                    chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))),
                )?;
            }
        }
        drawing(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw(),
        )?;
    }
    drawing(root.present())?;
    Ok(())
}
