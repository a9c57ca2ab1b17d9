//! Figures of the horizon experiment (`experiments/horizon.toml`): Countdown cells that differ in
//! their number of operands, read as the reasoning horizon H = numbers − 1 (operations), as
//! Section 4's tree height is read. Drawn when a `fine_tune` results folder holds several
//! horizons:
//!
//! - `horizon` — final greedy test accuracy against H, and the rollouts each RL method spent per
//!   training problem solved without a hint (`train::first_success`, log scale) against H;
//! - `solved_groups` — per horizon, the fraction of RL groups with a correct rollout, per step;
//! - `horizon_fit.csv` — the growth rates, as the theory's `sample_complexity_fit.csv` writes
//!   them: the slope of ln(rollouts) against H (exponential growth with base b has slope ln b)
//!   and against ln H (a polynomial of degree d has slope d);
//! - per horizon, the usual training figures in `horizon_<H>/`.
//!
//! Lines join the median over seeds (rollouts) or the mean (accuracy); bands span the seeds'
//! minimum and maximum.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::series::{linear_fit, median};
use super::training::{Line, Panel, StepFigure, curve, save_step_figure, text};
use super::training_style::{LegendEntry, frame, marker, segments, style};
use super::{PlotArgs, drawing, save_png_and_svg};
use crate::metrics::CellMetrics;
use crate::train::config::METHODS as ORDER;
use crate::train::run::metric;

/// The horizon of a Countdown cell with a fixed number of operands.
pub fn horizon_of(cell: &CellMetrics) -> Option<i64> {
    let int = |name: &str| cell.param(name).ok().map(|v| v.as_int());
    let (low, high) = (int("countdown_min_numbers")?, int("countdown_max_numbers")?);
    (low == high && text(cell, "task") == "countdown").then_some(high - 1)
}

/// Whether the cells hold Countdown at two or more fixed horizons, and nothing else.
fn several_horizons(cells: &[CellMetrics]) -> bool {
    let horizons: BTreeSet<i64> = cells.iter().filter_map(horizon_of).collect();
    horizons.len() >= 2 && cells.iter().all(|c| horizon_of(c).is_some())
}

/// Whether the cells form a horizon experiment: one model, Countdown at two or more fixed
/// horizons. (A study of several models with a few cells at another horizon is not one: see
/// [`plot_study_by_horizon`].)
pub fn is_horizon(cells: &[CellMetrics]) -> bool {
    let models: BTreeSet<String> = cells.iter().map(|c| text(c, "model")).collect();
    models.len() == 1 && several_horizons(cells)
}

/// Whether the cells are a study of several models whose cells sit at several horizons (the
/// CPU study with its 4-number cells for claim iii).
pub fn is_study_by_horizon(cells: &[CellMetrics]) -> bool {
    several_horizons(cells) && !is_horizon(cells)
}

/// A study of several models at several horizons: the training figures of the horizon with the
/// most cells in the output folder, those of each other horizon in `horizon_<H>/`, so that no
/// figure draws two cells of one method and model.
pub fn plot_study_by_horizon(cells: &[CellMetrics], args: &PlotArgs) -> Result<Vec<PathBuf>> {
    let mut count: BTreeMap<i64, usize> = BTreeMap::new();
    for h in cells.iter().filter_map(horizon_of) {
        *count.entry(h).or_default() += 1;
    }
    let main = count
        .iter()
        .max_by_key(|(h, n)| (**n, std::cmp::Reverse(**h)))
        .map(|(h, _)| *h);
    let mut written = Vec::new();
    for &h in count.keys() {
        written.extend(plot_one_horizon(cells, h, args, Some(h) != main)?);
    }
    Ok(written)
}

/// The usual training figures of the cells at horizon `h`, in `horizon_<h>/` when `apart`.
fn plot_one_horizon(
    cells: &[CellMetrics],
    h: i64,
    args: &PlotArgs,
    apart: bool,
) -> Result<Vec<PathBuf>> {
    let of_h: Vec<CellMetrics> = cells
        .iter()
        .filter(|c| horizon_of(c) == Some(h))
        .cloned()
        .collect();
    let sub = match apart {
        true => PlotArgs {
            out: Some(args.out_dir().join(format!("horizon_{h}"))),
            ..args.clone()
        },
        false => args.clone(),
    };
    std::fs::create_dir_all(sub.out_dir())
        .with_context(|| format!("cannot create {}", sub.out_dir().display()))?;
    super::training::plot(&of_h, &sub)
}

/// One (method, horizon) point over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub center: f64,
    pub min: f64,
    pub max: f64,
    /// Seeds whose value is only a lower bound (no problem solved).
    pub censored: usize,
    pub seeds: usize,
}

/// method → horizon → point.
pub type Points = BTreeMap<&'static str, BTreeMap<i64, Point>>;

fn point(values: &[f64], censored: usize, center: impl Fn(&[f64]) -> f64) -> Point {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Point {
        center: center(&sorted),
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        censored,
        seeds: sorted.len(),
    }
}

/// Final test accuracy (mean over seeds) and rollouts per first success (median over seeds).
pub fn points(cells: &[CellMetrics]) -> (Points, Points) {
    let (mut accuracy, mut rollouts) = (Points::new(), Points::new());
    for cell in cells {
        let (Some(h), Some(&method)) = (
            horizon_of(cell),
            ORDER.iter().find(|m| **m == text(cell, "method")),
        ) else {
            continue;
        };
        let acc: Vec<f64> = cell
            .last_per_seed(metric::TEST_ACCURACY)
            .into_values()
            .collect();
        if !acc.is_empty() {
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            accuracy
                .entry(method)
                .or_default()
                .insert(h, point(&acc, 0, mean));
        }
        let per: Vec<f64> = cell
            .last_per_seed(metric::ROLLOUTS_PER_FIRST_SUCCESS)
            .into_values()
            .collect();
        if !per.is_empty() {
            let censored = cell
                .last_per_seed(metric::FIRST_SUCCESS_CENSORED)
                .values()
                .filter(|&&c| c > 0.0)
                .count();
            rollouts
                .entry(method)
                .or_default()
                .insert(h, point(&per, censored, median));
        }
    }
    (accuracy, rollouts)
}

/// One method's growth-rate fit over the horizons where no seed was censored.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub method: &'static str,
    pub horizons: Vec<i64>,
    /// d ln(rollouts) / d H (`None`: fewer than two uncensored horizons, nothing to fit).
    pub slope_per_level: Option<f64>,
    /// d ln(rollouts) / d ln H.
    pub loglog_degree: Option<f64>,
    pub censored_horizons: Vec<i64>,
}

/// Fits of every RL method (slopes only where two or more horizons are uncensored).
pub fn fits(rollouts: &Points) -> Vec<Fit> {
    let mut fits = Vec::new();
    for (&method, by_h) in rollouts {
        let kept: Vec<(i64, f64)> = by_h
            .iter()
            .filter(|(h, p)| **h >= 1 && p.censored == 0 && p.center > 0.0)
            .map(|(h, p)| (*h, p.center.ln()))
            .collect();
        let linear: Vec<(f64, f64)> = kept.iter().map(|&(h, y)| (h as f64, y)).collect();
        let loglog: Vec<(f64, f64)> = kept.iter().map(|&(h, y)| ((h as f64).ln(), y)).collect();
        let fit = |points: &[(f64, f64)]| (points.len() >= 2).then(|| linear_fit(points).1);
        fits.push(Fit {
            method,
            horizons: kept.iter().map(|k| k.0).collect(),
            slope_per_level: fit(&linear),
            loglog_degree: fit(&loglog),
            censored_horizons: by_h
                .iter()
                .filter(|(_, p)| p.censored > 0)
                .map(|(h, _)| *h)
                .collect(),
        });
    }
    fits
}

fn write_fit(fits: &[Fit], out: &Path) -> Result<PathBuf> {
    let path = out.join("horizon_fit.csv");
    let mut writer = csv::Writer::from_path(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writer.write_record([
        "method",
        "horizons",
        "slope_log_per_level",
        "growth_per_level",
        "loglog_degree",
        "censored_horizons",
    ])?;
    println!(
        "{:<8} {:>9} {:>11} {:>10} {:>8}  censored",
        "method", "horizons", "d ln / d H", "× / level", "degree"
    );
    let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
    let number = |v: Option<f64>, digits: usize| {
        v.map_or("not fitted".to_string(), |v| format!("{v:.digits$}"))
    };
    for fit in fits {
        let horizons = join(&fit.horizons);
        let growth = fit.slope_per_level.map(f64::exp);
        println!(
            "{:<8} {horizons:>9} {:>11} {:>10} {:>8}  {}",
            fit.method,
            number(fit.slope_per_level, 3),
            number(growth, 2),
            number(fit.loglog_degree, 2),
            join(&fit.censored_horizons)
        );
        writer.write_record([
            fit.method.to_string(),
            horizons,
            number(fit.slope_per_level, 4),
            number(growth, 3),
            number(fit.loglog_degree, 3),
            join(&fit.censored_horizons),
        ])?;
    }
    writer.flush()?;
    Ok(path)
}

pub fn plot(cells: &[CellMetrics], args: &PlotArgs) -> Result<Vec<PathBuf>> {
    let (accuracy, rollouts) = points(cells);
    let horizons: BTreeSet<i64> = cells.iter().filter_map(horizon_of).collect();
    let model = cells.first().map(|c| text(c, "model")).unwrap_or_default();
    let mut written = save_png_and_svg(
        &args.out_dir(),
        "horizon",
        (1240, 640),
        |root| draw_horizon(root, &model, &accuracy, &rollouts),
        |root| draw_horizon(root, &model, &accuracy, &rollouts),
    )?;
    written.push(write_fit(&fits(&rollouts), &args.out_dir())?);
    let panels: Vec<Panel> = horizons
        .iter()
        .map(|&h| Panel {
            task: format!("H = {h} ({} numbers)", h + 1),
            lines: ORDER
                .iter()
                .filter_map(|&method| {
                    let cell = cells
                        .iter()
                        .find(|c| horizon_of(c) == Some(h) && text(c, "method") == method)?;
                    let curve = curve(cell, "solved_groups");
                    (!curve.is_empty()).then_some(Line {
                        method,
                        curve,
                        flat: false,
                    })
                })
                .collect(),
            reported: Vec::new(),
        })
        .collect();
    written.extend(save_step_figure(
        &args.out_dir(),
        "solved_groups",
        &StepFigure {
            title: format!("{model}: RL groups with at least one correct rollout"),
            subtitle: "Per step, the fraction of the step's prompts (each with its hint, for UFT \
                       and R³) whose group of rollouts holds a correct answer. Lines: mean over \
                       seeds; bands: min–max over seeds."
                .into(),
            y_label: "groups with a success",
            panels,
            band_opacity: 0.15,
        },
    )?);
    for &h in &horizons {
        written.extend(plot_one_horizon(cells, h, args, true)?);
    }
    Ok(written)
}

fn draw_horizon<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    model: &str,
    accuracy: &Points,
    rollouts: &Points,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let legend: Vec<LegendEntry> = ORDER
        .iter()
        .filter(|m| accuracy.contains_key(*m) || rollouts.contains_key(*m))
        .map(|&m| LegendEntry::Method(m))
        .collect();
    let body = frame(
        &root,
        &format!("{model}: Countdown by reasoning horizon H = numbers − 1"),
        "Left: final greedy test accuracy (mean over seeds, band min–max). Right: rollouts \
         spent per training problem solved without a hint (censored maximum-likelihood rate, \
         median over seeds, band min–max); a hollow marker is a lower bound (some seed solved \
         nothing). Exponential growth is a straight line here.",
        &legend,
    )?;
    let areas = body.split_evenly((1, 2));
    let all_h: BTreeSet<i64> = accuracy
        .values()
        .chain(rollouts.values())
        .flat_map(|m| m.keys().copied())
        .collect();
    let (h_lo, h_hi) = (
        *all_h.first().unwrap_or(&1) as f64 - 0.3,
        *all_h.last().unwrap_or(&4) as f64 + 0.3,
    );
    let x_labels = all_h.len().max(2);

    let mut left = drawing(
        ChartBuilder::on(&areas[0])
            .caption("test accuracy", ("sans-serif", 19))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(h_lo..h_hi, 0f64..1.0),
    )?;
    drawing(
        left.configure_mesh()
            .x_desc("horizon H (operations)")
            .y_desc("test accuracy")
            .x_labels(x_labels)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE)
            .draw(),
    )?;
    for (i, (method, by_h)) in accuracy.iter().enumerate() {
        draw_points(&mut left, method, by_h, dodge(i, accuracy.len()))?;
    }

    // Rollouts on a log axis, drawn as log10 on a linear one so that every decade is labelled.
    let values = rollouts.values().flat_map(|m| m.values());
    let (lo, hi) = values.fold((f64::INFINITY, 1.0f64), |(lo, hi), p| {
        (lo.min(p.min), hi.max(p.max))
    });
    let lo = if lo.is_finite() {
        lo.max(1.0).log10().floor()
    } else {
        0.0
    };
    let hi = hi.log10().ceil().max(lo + 1.0);
    let mut right = drawing(
        ChartBuilder::on(&areas[1])
            .caption("rollouts per first success", ("sans-serif", 19))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(h_lo..h_hi, lo..hi),
    )?;
    drawing(
        right
            .configure_mesh()
            .x_desc("horizon H (operations)")
            .y_desc("rollouts per problem solved (log)")
            .x_labels(x_labels)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_labels((hi - lo) as usize + 1)
            .y_label_formatter(&|y| format!("{:.0}", 10f64.powf(*y)))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(WHITE)
            .draw(),
    )?;
    let log10: Points = rollouts
        .iter()
        .map(|(&m, by_h)| {
            let by_h = by_h.iter().map(|(&h, p)| {
                let (center, min, max) = (p.center.log10(), p.min.log10(), p.max.log10());
                (
                    h,
                    Point {
                        center,
                        min,
                        max,
                        ..p.clone()
                    },
                )
            });
            (m, by_h.collect())
        })
        .collect();
    for (i, (method, by_h)) in log10.iter().enumerate() {
        draw_points(&mut right, method, by_h, dodge(i, log10.len()))?;
    }
    drawing(root.present())?;
    Ok(())
}

/// A small horizontal shift of method `i` of `n`, so that methods with equal values stay
/// visible side by side.
fn dodge(i: usize, n: usize) -> f64 {
    0.035 * (i as f64 - (n as f64 - 1.0) / 2.0)
}

/// One method's line, band and markers (hollow where a seed is censored), shifted by `dx`.
fn draw_points<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    method: &'static str,
    by_h: &BTreeMap<i64, Point>,
    dx: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let s = style(method);
    let x = |h: i64| h as f64 + dx;
    let line: Vec<(f64, f64)> = by_h.iter().map(|(&h, p)| (x(h), p.center)).collect();
    if by_h.values().any(|p| p.max > p.min) && by_h.len() > 1 {
        let upper = by_h.iter().map(|(&h, p)| (x(h), p.max));
        let lower = by_h.iter().rev().map(|(&h, p)| (x(h), p.min));
        let band = Polygon::new(upper.chain(lower).collect::<Vec<_>>(), s.color.mix(0.15));
        drawing(chart.draw_series(std::iter::once(band)))?;
    }
    let stroke = s.color.stroke_width(2);
    if s.dashed {
        drawing(chart.draw_series(DashedLineSeries::new(line.clone(), 8, 5, stroke)))?;
    } else {
        drawing(chart.draw_series(segments(&line, stroke)))?;
    }
    let marks = by_h
        .iter()
        .map(|(&h, p)| marker((x(h), p.center), method, 5.5, p.censored > 0));
    drawing(chart.draw_series(marks))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Value;
    use crate::metrics::SeedRow;

    /// A Countdown cell with `numbers` operands whose seeds spent `per[seed]` rollouts per
    /// success (`None`: censored at 100).
    fn cell(method: &str, numbers: i64, per: &[Option<f64>]) -> CellMetrics {
        let mut params: BTreeMap<String, Value> = [("model", "tiny-500k"), ("method", method)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::Str(v.to_string())))
            .collect();
        params.insert("task".into(), Value::Str("countdown".into()));
        params.insert("countdown_min_numbers".into(), Value::Int(numbers));
        params.insert("countdown_max_numbers".into(), Value::Int(numbers));
        let mut rows = Vec::new();
        for (seed, value) in per.iter().enumerate() {
            let seed = seed as u64;
            rows.push(SeedRow::new(seed, 0, metric::TEST_ACCURACY, 0.0));
            rows.push(SeedRow::new(seed, 8, metric::TEST_ACCURACY, 0.5));
            // An earlier value must be superseded by the last step's.
            rows.push(SeedRow::new(
                seed,
                4,
                metric::ROLLOUTS_PER_FIRST_SUCCESS,
                1e6,
            ));
            rows.push(SeedRow::new(
                seed,
                8,
                metric::ROLLOUTS_PER_FIRST_SUCCESS,
                value.unwrap_or(100.0),
            ));
            let censored = f64::from(u8::from(value.is_none()));
            rows.push(SeedRow::new(
                seed,
                8,
                metric::FIRST_SUCCESS_CENSORED,
                censored,
            ));
            rows.push(SeedRow::new(seed, 8, "solved_groups", 0.25));
        }
        CellMetrics {
            cell: format!("{method}-{numbers}"),
            kind: "fine_tune".into(),
            params,
            rows,
        }
    }

    #[test]
    fn fits_the_growth_rate_over_uncensored_horizons() {
        // RFT: ×4 per level (slope ln 4), censored at H = 4; UFT: rollouts = 2·H² (degree 2).
        let cells = vec![
            cell("rft", 2, &[Some(2.0), Some(3.0), Some(1.0)]),
            cell("rft", 3, &[Some(8.0), Some(8.0), Some(9.0)]),
            cell("rft", 4, &[Some(32.0), Some(30.0), Some(40.0)]),
            cell("rft", 5, &[Some(70.0), None, None]),
            cell("uft", 2, &[Some(2.0); 3]),
            cell("uft", 3, &[Some(8.0); 3]),
            cell("uft", 4, &[Some(18.0); 3]),
            cell("uft", 5, &[Some(32.0); 3]),
            cell("base", 3, &[]),
        ];
        assert!(is_horizon(&cells));
        let (accuracy, rollouts) = points(&cells);
        assert_eq!(accuracy["rft"][&1].center, 0.5);
        assert_eq!(rollouts["rft"][&1].center, 2.0, "median of 2, 3, 1");
        assert_eq!(rollouts["rft"][&4].censored, 2);
        let fits = fits(&rollouts);
        let rft = fits.iter().find(|f| f.method == "rft").unwrap();
        assert_eq!(rft.horizons, vec![1, 2, 3]);
        assert_eq!(rft.censored_horizons, vec![4]);
        assert!(
            (rft.slope_per_level.unwrap() - 4f64.ln()).abs() < 1e-9,
            "{rft:?}"
        );
        let uft = fits.iter().find(|f| f.method == "uft").unwrap();
        assert!((uft.loglog_degree.unwrap() - 2.0).abs() < 1e-9, "{uft:?}");

        let out = std::env::temp_dir().join(format!("repro-horizon-plot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let args = PlotArgs {
            results: out.clone(),
            out: Some(out.clone()),
            height: 10,
            branching: 3,
        };
        let written = plot(&cells, &args).unwrap();
        for name in ["horizon.png", "horizon_fit.csv", "solved_groups.png"] {
            assert!(written.contains(&out.join(name)), "{name} in {written:?}");
        }
        assert!(out.join("horizon_1/accuracy_tiny-500k.png").exists());
        let csv = std::fs::read_to_string(out.join("horizon_fit.csv")).unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("rft,1 2 3,1.3863,4.000"),
            "{csv}"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_method_censored_beyond_one_horizon_is_listed_but_not_fitted() {
        let cells = vec![
            cell("rft", 3, &[Some(40.0)]),
            cell("rft", 4, &[None]),
            cell("rft", 5, &[None]),
        ];
        let fits = fits(&points(&cells).1);
        assert_eq!(fits.len(), 1);
        assert_eq!(fits[0].slope_per_level, None);
        assert_eq!(fits[0].censored_horizons, vec![3, 4]);
    }

    #[test]
    fn a_study_at_one_horizon_is_not_a_horizon_experiment() {
        assert!(!is_horizon(&[
            cell("rft", 3, &[Some(1.0)]),
            cell("uft", 3, &[Some(1.0)])
        ]));
    }

    /// Several models with a few cells at another horizon (the CPU study): not a horizon
    /// experiment; the main horizon's figures at the top, the other's in `horizon_<H>/`.
    #[test]
    fn a_study_of_several_models_keeps_its_main_horizon_on_top() {
        let on = |model: &str, mut c: CellMetrics| {
            c.params.insert("model".into(), Value::Str(model.into()));
            c.cell = format!("{model}-{}", c.cell);
            c
        };
        let cells = vec![
            on("tiny-125k", cell("rft", 3, &[Some(1.0)])),
            on("tiny-500k", cell("rft", 3, &[Some(1.0)])),
            on("tiny-500k", cell("base", 3, &[Some(1.0)])),
            on("tiny-500k", cell("rft", 4, &[None])),
        ];
        assert!(!is_horizon(&cells));
        assert!(is_study_by_horizon(&cells));
        let out = std::env::temp_dir().join(format!("repro-study-horizons-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let args = PlotArgs {
            results: out.clone(),
            out: Some(out.clone()),
            height: 10,
            branching: 3,
        };
        plot_study_by_horizon(&cells, &args).unwrap();
        assert!(out.join("accuracy_tiny-125k.png").exists());
        assert!(out.join("accuracy_tiny-500k.png").exists());
        assert!(out.join("horizon_3/accuracy_tiny-500k.png").exists());
        assert!(!out.join("horizon_2").exists() && !out.join("horizon.png").exists());
        std::fs::remove_dir_all(&out).unwrap();
    }
}
