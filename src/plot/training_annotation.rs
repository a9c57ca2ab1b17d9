//! `accuracy_vs_annotation_<model>`: test accuracy against the annotation (solution) tokens a
//! method has consumed so far — what the paper's Figure 1 sketches as "annotation usage", turned
//! into a cost axis.
//!
//! x at an evaluation is the seed's cumulative `annotation_tokens` at that step (target tokens in
//! SFT, hint tokens in RL). For SFT→RFT, the SFT stage's tokens (`sft_annotation_tokens`, its
//! last value is the stage's total) come first, so its RL curve starts at that total. `train::run`
//! keeps counting across the two stages, so the RL stage's `annotation_tokens` already start from
//! the SFT total; results whose RL stage counts from zero get the SFT total added instead. Both
//! are recognised from the data: the RL count includes the SFT stage exactly when its first value
//! is at least the SFT total (an RFT stage adds no hint tokens).
//!
//! Base is left out (it consumes nothing and is not trained); SFT is one point at its total.
//! Points are means over seeds (x and y); bands span the seeds' accuracy. The x axis is linear,
//! or logarithmic when the positive x values span more than two decades (said in the subtitle).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::training::{marked, seed_values, spread, text};
use super::training_reported::paper_task;
use super::training_style::{LegendEntry, frame, marker, segments, style};
use super::{drawing, save_png_and_svg};
use crate::metrics::CellMetrics;
use crate::train::config::METHODS as ORDER;

/// A point: (eval step, annotation tokens consumed, test accuracy).
type Point = (u64, f64, f64);

/// One seed's (step, annotation tokens consumed, test accuracy) at each evaluation.
pub(super) fn seed_points(cell: &CellMetrics, seed: u64) -> Vec<Point> {
    let accuracy = seed_values(cell, seed, "test_accuracy");
    let consumed = seed_values(cell, seed, "annotation_tokens");
    let sft = seed_values(cell, seed, "sft_annotation_tokens");
    let sft_total = sft.values().copied().fold(0.0, f64::max);
    let carried = sft_total > 0.0 && consumed.values().next().is_some_and(|&v| v >= sft_total);
    let start = if carried { sft_total } else { 0.0 }; // the count before the first logged step
    accuracy
        .iter()
        .map(|(&step, &y)| {
            let so_far = consumed
                .range(..=step)
                .next_back()
                .map_or(start, |(_, &v)| v);
            (step, sft_total + so_far - start, y)
        })
        .collect()
}

/// A method's points over seeds: step → (mean tokens, (mean, min, max) accuracy).
pub(super) fn method_points(cell: &CellMetrics) -> BTreeMap<u64, (f64, (f64, f64, f64))> {
    let seeds: BTreeSet<u64> = cell.rows.iter().map(|r| r.seed).collect();
    let mut by_step: BTreeMap<u64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for seed in seeds {
        for (step, x, y) in seed_points(cell, seed) {
            let entry = by_step.entry(step).or_default();
            entry.0.push(x);
            entry.1.push(y);
        }
    }
    by_step
        .into_iter()
        .map(|(step, (xs, ys))| (step, (spread(&xs).0, spread(&ys))))
        .collect()
}

/// The x axis: linear, or log10 when the positive values span more than two decades, with 0 (no
/// annotation at all) drawn at the left edge, a decade below the smallest positive value.
#[derive(Debug, PartialEq)]
pub(super) enum Axis {
    Linear { max: f64 },
    Log { lo: f64, hi: f64, zero: bool },
}

impl Axis {
    pub(super) fn for_values(xs: &[f64]) -> Axis {
        let positive = xs.iter().copied().filter(|&x| x > 0.0);
        let min = positive.clone().fold(f64::INFINITY, f64::min);
        let max = xs.iter().copied().fold(0.0, f64::max);
        if min.is_finite() && max / min > 100.0 {
            let zero = xs.iter().any(|&x| x <= 0.0);
            let lo = min.log10().floor() - if zero { 1.0 } else { 0.0 };
            Axis::Log {
                lo,
                hi: max.log10() + 0.15,
                zero,
            }
        } else {
            Axis::Linear {
                max: (max * 1.05).max(1.0),
            }
        }
    }

    fn map(&self, x: f64) -> f64 {
        match self {
            Axis::Linear { .. } => x,
            Axis::Log { lo, .. } => {
                if x > 0.0 {
                    x.log10()
                } else {
                    *lo
                }
            }
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        match *self {
            Axis::Linear { max } => -0.02 * max..max,
            Axis::Log { lo, hi, .. } => lo - 0.05..hi,
        }
    }

    fn label(&self, v: f64) -> String {
        match *self {
            Axis::Linear { .. } => tokens(v),
            Axis::Log { lo, zero, .. } => {
                if (v - v.round()).abs() > 1e-6 {
                    String::new()
                } else if zero && (v - lo).abs() < 1e-6 {
                    "0".to_string()
                } else {
                    tokens(10f64.powf(v.round()))
                }
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Axis::Linear { .. } => "Linear x axis.",
            Axis::Log { zero: true, .. } => {
                "Log x axis (x spans over two decades); 0 tokens drawn at the left edge."
            }
            Axis::Log { zero: false, .. } => "Log x axis (x spans over two decades).",
        }
    }
}

/// A token count for an axis: 950, 7.13k, 2.5M.
fn tokens(v: f64) -> String {
    let (scaled, unit) = match v.abs() {
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => return format!("{v:.0}"),
    };
    let digits = format!("{scaled:.2}");
    format!(
        "{}{unit}",
        digits.trim_end_matches('0').trim_end_matches('.')
    )
}

struct Line {
    method: &'static str,
    points: BTreeMap<u64, (f64, (f64, f64, f64))>,
}

pub(super) fn plot(
    cells: &[&CellMetrics],
    model: &str,
    tasks: &[String],
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let panels: Vec<(String, Vec<Line>)> = tasks
        .iter()
        .map(|task| {
            let lines = ORDER
                .iter()
                .filter(|&&m| m != "base")
                .filter_map(|&method| {
                    let cell = cells
                        .iter()
                        .find(|c| &text(c, "task") == task && text(c, "method") == method)?;
                    let mut points = method_points(cell);
                    if method == "sft" {
                        let last = *points.keys().last()?;
                        points = points.split_off(&last); // its final model only
                    }
                    (!points.is_empty()).then_some(Line { method, points })
                })
                .collect();
            (task.clone(), lines)
        })
        .collect();
    let xs: Vec<f64> = panels
        .iter()
        .flat_map(|(_, lines)| lines.iter().flat_map(|l| l.points.values().map(|p| p.0)))
        .collect();
    if xs.is_empty() {
        return Ok(Vec::new());
    }
    let axis = Axis::for_values(&xs);
    let title = format!("{model}: greedy test accuracy against annotation tokens consumed");
    let subtitle = format!(
        "x: cumulative solution tokens used for training (SFT targets + RL hints; SFT→RFT starts \
         at its SFT stage's total). Points: evaluations, mean over seeds; bands: min–max over \
         seeds. SFT: one point, its final model. Base omitted. {}",
        axis.describe()
    );
    let size = ((520 * tasks.len() as u32 + 60).max(1000), 620);
    save_png_and_svg(
        out,
        &format!("accuracy_vs_annotation_{model}"),
        size,
        |root| draw(root, &title, &subtitle, &panels, &axis),
        |root| draw(root, &title, &subtitle, &panels, &axis),
    )
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    panels: &[(String, Vec<Line>)],
    axis: &Axis,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let present: BTreeSet<&str> = panels
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|l| l.method))
        .collect();
    let legend: Vec<LegendEntry> = ORDER
        .iter()
        .filter(|m| present.contains(*m))
        .map(|&m| match m {
            "sft" => LegendEntry::Point(m),
            _ => LegendEntry::Method(m),
        })
        .collect();
    let body = frame(&root, title, subtitle, &legend)?;
    let areas = body.split_evenly((1, panels.len().max(1)));
    for (area, (task, lines)) in areas.iter().zip(panels) {
        let y_max = lines
            .iter()
            .flat_map(|l| l.points.values().map(|p| p.1.2))
            .fold(0.05, f64::max)
            * 1.1;
        let mut chart = drawing(
            ChartBuilder::on(area)
                .caption(paper_task(task).unwrap_or(task), ("sans-serif", 19))
                .margin(10)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(axis.range(), 0f64..y_max.min(1.05)),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc("annotation tokens consumed")
                .x_label_formatter(&|x| axis.label(*x))
                .y_label_formatter(&|y| format!("{y:.2}"))
                .y_desc("test accuracy")
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(WHITE)
                .draw(),
        )?;
        // SFT's single point last and larger, so that SFT→RFT's first point does not hide it.
        let sft_last = lines.iter().filter(|l| l.method != "sft");
        for line in sft_last.chain(lines.iter().filter(|l| l.method == "sft")) {
            let s = style(line.method);
            let at = |(x, y): (f64, f64)| (axis.map(x), y);
            let points: Vec<(f64, f64)> = line.points.values().map(|p| at((p.0, p.1.0))).collect();
            if line.points.values().any(|p| p.1.2 > p.1.1) {
                let upper = line.points.values().map(|p| at((p.0, p.1.2)));
                let lower = line.points.values().rev().map(|p| at((p.0, p.1.1)));
                let band = Polygon::new(upper.chain(lower).collect::<Vec<_>>(), s.color.mix(0.15));
                drawing(chart.draw_series(std::iter::once(band)))?;
            }
            if let [&(x, (_, min, max))] = line.points.values().collect::<Vec<_>>()[..] {
                let bar =
                    PathElement::new(vec![at((x, min)), at((x, max))], s.color.stroke_width(2));
                drawing(chart.draw_series(std::iter::once(bar)))?;
            }
            drawing(chart.draw_series(segments(&points, s.color.stroke_width(2))))?;
            let steps: Vec<u64> = line.points.keys().copied().collect();
            let r = if line.method == "sft" { 6.5 } else { 4.5 };
            let marks = marked(&steps).into_iter().map(|step| {
                let p = line.points[&step];
                marker(at((p.0, p.1.0)), line.method, r, false)
            });
            drawing(chart.draw_series(marks))?;
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

    fn cell(method: &str, rows: Vec<SeedRow>) -> CellMetrics {
        let params = [("model", "m"), ("method", method), ("task", "countdown")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        CellMetrics {
            cell: method.into(),
            kind: "fine_tune".into(),
            params,
            rows,
        }
    }

    /// SFT→RFT: two SFT steps of 100 target tokens, then three RL steps with evaluations at
    /// steps 0 (the SFT model), 2 and 3; UFT's hints add 10 tokens at step 1 and 5 at step 2.
    fn sft_rft(rl_counts_from_sft: bool) -> CellMetrics {
        let carried = if rl_counts_from_sft { 200.0 } else { 0.0 };
        let mut rows = vec![
            SeedRow::new(0, 1, "sft_annotation_tokens", 100.0),
            SeedRow::new(0, 2, "sft_annotation_tokens", 200.0),
        ];
        for (step, hint_tokens_so_far) in [(1, 10.0), (2, 15.0), (3, 15.0)] {
            rows.push(SeedRow::new(
                0,
                step,
                "annotation_tokens",
                carried + hint_tokens_so_far,
            ));
        }
        for (step, acc) in [(0, 0.3), (2, 0.4), (3, 0.5)] {
            rows.push(SeedRow::new(0, step, "test_accuracy", acc));
        }
        cell("sft_rft", rows)
    }

    #[test]
    fn sft_then_rl_starts_at_the_sft_total_and_adds_the_rl_hints() {
        // x = 200 SFT tokens + RL tokens so far: 0 at step 0, 15 at steps 2 and 3.
        let expected = [(0, 200.0, 0.3), (2, 215.0, 0.4), (3, 215.0, 0.5)];
        assert_eq!(seed_points(&sft_rft(false), 0), expected);
        // train::run's records, whose RL count goes on from the SFT total: the same x.
        assert_eq!(seed_points(&sft_rft(true), 0), expected);
    }

    #[test]
    fn sft_alone_ends_at_its_total_and_rl_without_hints_stays_at_zero() {
        let sft = cell(
            "sft",
            vec![
                SeedRow::new(0, 0, "test_accuracy", 0.0),
                SeedRow::new(0, 1, "annotation_tokens", 90.0),
                SeedRow::new(0, 2, "annotation_tokens", 180.0),
                SeedRow::new(0, 2, "test_accuracy", 0.25),
            ],
        );
        assert_eq!(seed_points(&sft, 0), [(0, 0.0, 0.0), (2, 180.0, 0.25)]);
        let rft = cell(
            "rft",
            vec![
                SeedRow::new(0, 0, "test_accuracy", 0.1),
                SeedRow::new(0, 1, "annotation_tokens", 0.0),
                SeedRow::new(0, 1, "test_accuracy", 0.2),
                SeedRow::new(1, 0, "test_accuracy", 0.3),
                SeedRow::new(1, 1, "annotation_tokens", 0.0),
                SeedRow::new(1, 1, "test_accuracy", 0.4),
            ],
        );
        let points = method_points(&rft);
        assert_eq!(points[&1].0, 0.0);
        let (mean, min, max) = points[&1].1;
        assert!((mean - 0.3).abs() < 1e-12 && min == 0.2 && max == 0.4);
    }

    #[test]
    fn the_axis_turns_logarithmic_past_two_decades() {
        assert_eq!(
            Axis::for_values(&[0.0, 50.0, 4000.0]),
            Axis::Linear { max: 4200.0 }
        );
        let Axis::Log { lo, zero, .. } = Axis::for_values(&[0.0, 16.0, 7125.0]) else {
            panic!("16 to 7125 spans more than two decades");
        };
        assert_eq!((lo, zero), (0.0, true));
        let log = Axis::for_values(&[0.0, 16.0, 7125.0]);
        assert_eq!(log.label(0.0), "0");
        assert_eq!(log.label(3.0), "1k");
        assert_eq!(log.label(2.5), "");
        assert_eq!(tokens(7126.0), "7.13k");
        assert_eq!(tokens(100_000.0), "100k");
        assert_eq!(tokens(2_500_000.0), "2.5M");
        assert_eq!(tokens(950.0), "950");
    }
}
