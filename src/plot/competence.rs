//! The competence-curve figure of `repro probe`: pass@k (k = 1, 4, 16) against the hint
//! fraction, one panel per model. A curve that starts above 0 at fraction 0 says RFT can find
//! rewards; its rise says how much a hint helps.

use std::path::{Path, PathBuf};

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{drawing, save_png_and_svg};
use crate::train::probe::CurvePoint;
use crate::train::probe_command::CurveLabel;

/// The k drawn, and their colours (light to dark: more samples, higher curve).
const KS: [(usize, RGBColor); 3] = [
    (1, RGBColor(158, 202, 225)),
    (4, RGBColor(66, 146, 198)),
    (16, RGBColor(8, 69, 148)),
];

/// Draws `curves` side by side as `<stem>.png` and `<stem>.svg` in `out`.
pub fn plot_curves(
    curves: &[(CurveLabel, Vec<CurvePoint>)],
    out: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>> {
    // At least wide enough for the title, which names the problems.
    let width = (120 + 520 * curves.len().max(1) as u32).max(1000);
    save_png_and_svg(
        out,
        stem,
        (width, 560),
        |root| draw(root, curves),
        |root| draw(root, curves),
    )
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    curves: &[(CurveLabel, Vec<CurvePoint>)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    drawing(root.fill(&WHITE))?;
    let problems = curves
        .first()
        .map(|(l, _)| l.problems.as_str())
        .unwrap_or("");
    let task = curves.first().map(|(l, _)| l.task.as_str()).unwrap_or("");
    let root = drawing(root.titled(
        &format!("Competence curve on {task} training problems ({problems})"),
        ("sans-serif", 20),
    ))?;
    let panels = root.split_evenly((1, curves.len().max(1)));
    for (i, (panel, (label, curve))) in panels.iter().zip(curves).enumerate() {
        let mut chart = drawing(
            ChartBuilder::on(panel)
                .caption(&label.model, ("sans-serif", 18))
                .margin(14)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(-0.03f64..1.03, 0f64..1.02),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc("hint fraction (share of solution sentences in the prompt)")
                .y_desc(if i == 0 { "pass@k" } else { "" })
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|x| format!("{x:.1}"))
                .y_label_formatter(&|y| format!("{y:.1}"))
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 15))
                .light_line_style(WHITE.mix(0.0))
                .draw(),
        )?;
        let mut drawn: Vec<(Vec<(u64, u64)>, String)> = Vec::new();
        for (k, color) in KS {
            let points: Vec<(f64, f64)> = curve
                .iter()
                .filter_map(|p| p.pass(k).map(|v| (p.hint_fraction, v)))
                .collect();
            if points.is_empty() {
                continue;
            }
            let key = points
                .iter()
                .map(|(x, y)| (x.to_bits(), y.to_bits()))
                .collect();
            drawn.push((key, format!("pass@{k}")));
            let style = color.stroke_width(3);
            let series = drawing(chart.draw_series(LineSeries::new(points.clone(), style)))?;
            series
                .label(format!("pass@{k}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            drawing(
                chart.draw_series(
                    points
                        .iter()
                        .map(|&(x, y)| Circle::new((x, y), 5, color.filled())),
                ),
            )?;
        }
        drawing(
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 15))
                .draw(),
        )?;
        if let Some(note) = super::training::identical_lines_note(drawn) {
            let plot = chart.plotting_area().get_pixel_range();
            super::training::draw_note(panel, plot, &note, true)?;
        }
    }
    drawing(root.present())?;
    Ok(())
}
