//! Figures of the `tree_search` kind (paper §4): sample complexity against the horizon with the
//! Theorem 4.2 / 4.3 reference curves, and convergence curves for one (H, B).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::series::{Curve, aggregate, linear_fit, log_grid, median};
use super::{PlotArgs, drawing, method_color, save_png_and_svg};
use crate::metrics::CellMetrics;
use crate::theory::bounds::{rft_lower_bound, uft_upper_bound};
use crate::theory::metric;

/// Methods in legend order.
const METHODS: [&str; 5] = ["rft", "uft", "uft_cosine", "r3", "sft"];

/// One (method, B, H) point of the sample-complexity figure, over seeds.
#[derive(Debug, Clone)]
pub struct Point {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub censored: usize,
    pub seeds: usize,
}

/// Sample complexity per (method, branching, height), plus K, Δ and the budget of each B.
pub struct SampleComplexity {
    pub points: BTreeMap<(String, i64, i64), Point>,
    pub correct_leaves: i64,
    pub gap: f64,
    pub budget: f64,
}

pub fn sample_complexity(cells: &[CellMetrics]) -> Result<SampleComplexity> {
    let mut points = BTreeMap::new();
    let (mut correct_leaves, mut gap, mut budget) = (1, 0.9, 0.0f64);
    for cell in cells {
        let method = cell.param("method")?.as_str().to_string();
        let key = (
            method,
            cell.param("branching")?.as_int(),
            cell.param("height")?.as_int(),
        );
        correct_leaves = cell.param("correct_leaves")?.as_int();
        gap = cell.param("gap")?.as_float();
        budget = budget.max(cell.param("max_explorations")?.as_int() as f64);
        let of = |name: &str| -> Vec<f64> {
            cell.rows
                .iter()
                .filter(|r| r.metric == name)
                .map(|r| r.value)
                .collect()
        };
        let mut values = of(metric::EXPLORATIONS_TO_TARGET);
        let censored = of(metric::CENSORED).iter().filter(|&&c| c > 0.0).count();
        if values.is_empty() {
            bail!(
                "cell {} has no `{}` rows",
                cell.cell,
                metric::EXPLORATIONS_TO_TARGET
            );
        }
        values.sort_by(f64::total_cmp);
        let point = Point {
            median: median(&values),
            min: values[0],
            max: values[values.len() - 1],
            censored,
            seeds: values.len(),
        };
        points.insert(key, point);
    }
    Ok(SampleComplexity {
        points,
        correct_leaves,
        gap,
        budget,
    })
}

pub fn plot(cells: &[CellMetrics], args: &PlotArgs) -> Result<Vec<PathBuf>> {
    let sc = sample_complexity(cells)?;
    let mut written = save_png_and_svg(
        &args.out_dir(),
        "sample_complexity",
        (1800, 640),
        |root| draw_sample_complexity(root, &sc),
        |root| draw_sample_complexity(root, &sc),
    )?;
    written.push(write_fit(&sc, &args.out_dir())?);

    let chosen: Vec<&CellMetrics> = cells
        .iter()
        .filter(|c| {
            c.param("height").map(|v| v.as_int()).ok() == Some(args.height)
                && c.param("branching").map(|v| v.as_int()).ok() == Some(args.branching)
        })
        .collect();
    if chosen.is_empty() {
        eprintln!(
            "no cells with H = {} and B = {}: convergence figure skipped (choose with --height/--branching)",
            args.height, args.branching
        );
    } else {
        let stem = format!("convergence_h{}_b{}", args.height, args.branching);
        let title = format!(
            "Convergence on the search tree, H = {}, B = {} (median and range over seeds)",
            args.height, args.branching
        );
        written.extend(save_png_and_svg(
            &args.out_dir(),
            &stem,
            (1600, 620),
            |root| draw_convergence(root, &chosen, &title),
            |root| draw_convergence(root, &chosen, &title),
        )?);
    }
    Ok(written)
}

fn draw_sample_complexity<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    sc: &SampleComplexity,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    drawing(root.fill(&WHITE))?;
    let root = drawing(root.titled(
        "Leaf explorations until pass@1 ≥ 0.5 (median over seeds, band = min–max; open triangles: most seeds censored at the budget)",
        ("sans-serif", 22),
    ))?;
    let branchings: Vec<i64> = sc
        .points
        .keys()
        .map(|k| k.1)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let panels = root.split_evenly((1, branchings.len()));
    let y_max = 1e10;
    for (i, (panel, &b)) in panels.iter().zip(&branchings).enumerate() {
        let h_max = sc
            .points
            .keys()
            .filter(|k| k.1 == b)
            .map(|k| k.2)
            .max()
            .unwrap_or(1);
        let mut chart = drawing(
            ChartBuilder::on(panel)
                .caption(format!("branching factor B = {b}"), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(75)
                .build_cartesian_2d(0.5f64..h_max as f64 + 0.5, (1f64..y_max).log_scale()),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc("tree height H (reasoning horizon)")
                .y_desc("leaf explorations (reward queries)")
                .x_labels(h_max.min(20) as usize)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("1e{:.0}", y.log10()))
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 16))
                .draw(),
        )?;

        let heights: Vec<f64> = (1..=h_max).map(|h| h as f64).collect();
        let lower: Vec<(f64, f64)> = heights
            .iter()
            .map(|&h| {
                (
                    h,
                    rft_lower_bound(h as usize, b as usize, sc.correct_leaves as usize),
                )
            })
            .collect();
        let upper: Vec<(f64, f64)> = heights
            .iter()
            .map(|&h| (h, uft_upper_bound(h as usize, b as usize, sc.gap, 0.0)))
            .filter(|p| p.1 <= y_max)
            .collect();
        let lower_style = BLACK.stroke_width(2);
        let upper_style = RGBColor(120, 120, 120).stroke_width(2);
        // The budget in a colour of its own, thick and dash-dotted: a thin grey line vanishes
        // among the grid lines.
        let budget_style = RGBColor(184, 134, 11).stroke_width(3);
        let lower: Vec<(f64, f64)> = lower.into_iter().filter(|p| p.1 >= 1.0).collect();
        let budget = vec![(0.5, sc.budget), (h_max as f64 + 0.5, sc.budget)];
        let lower_series =
            drawing(chart.draw_series(DashedLineSeries::new(lower, 8, 5, lower_style)))?;
        if i == 0 {
            lower_series
                .label("Thm 4.2: RFT needs ≥ B^H / (4K)")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], lower_style));
        }
        let upper_series =
            drawing(chart.draw_series(DashedLineSeries::new(upper, 3, 4, upper_style)))?;
        if i == 0 {
            upper_series
                .label("Thm 4.3 (E.1): UFT bound (BH + N)·T")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], upper_style));
        }
        let budget_series =
            drawing(chart.draw_series(DashedLineSeries::new(budget, 14, 6, budget_style)))?;
        if i == 0 {
            budget_series
                .label(format!("exploration budget ({:.0e})", sc.budget))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], budget_style));
        }

        for method in METHODS.iter().filter(|m| **m != "sft") {
            let pts: Vec<(f64, &Point)> = sc
                .points
                .iter()
                .filter(|(k, _)| k.0 == *method && k.1 == b)
                .map(|(k, p)| (k.2 as f64, p))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let color = method_color(method);
            let floor = |v: f64| v.max(1.0);
            let mut band: Vec<(f64, f64)> = pts.iter().map(|(h, p)| (*h, floor(p.max))).collect();
            band.extend(pts.iter().rev().map(|(h, p)| (*h, floor(p.min))));
            drawing(chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.15).filled(),
            ))))?;
            let line = drawing(chart.draw_series(LineSeries::new(
                pts.iter().map(|(h, p)| (*h, floor(p.median))),
                color.stroke_width(2),
            )))?;
            if i == 0 {
                line.label(*method).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            }
            let reached = pts.iter().filter(|(_, p)| 2 * p.censored < p.seeds);
            drawing(chart.draw_series(
                reached.map(|(h, p)| Circle::new((*h, floor(p.median)), 4, color.filled())),
            ))?;
            let censored = pts.iter().filter(|(_, p)| 2 * p.censored >= p.seeds);
            drawing(chart.draw_series(censored.map(|(h, p)| {
                TriangleMarker::new((*h, floor(p.median)), 8, color.stroke_width(2))
            })))?;
        }
        // Upper right: above the curves and right of Theorem 4.3's bound, which leaves the
        // axis after H = 3.
        if i == 0 {
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
    }
    drawing(root.present())?;
    Ok(())
}

/// The legend, in the upper left corner where both figures have empty space.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    drawing(
        chart
            .configure_series_labels()
            .position(position)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw(),
    )
}

/// Per-seed curves of pass@1 against explorations and against iterations.
fn curves(cell: &CellMetrics) -> (Vec<Curve>, Vec<Curve>) {
    // seed → (step → explorations, step → pass@1)
    type StepValues = BTreeMap<u64, f64>;
    let mut by_seed: BTreeMap<u64, (StepValues, StepValues)> = BTreeMap::new();
    for r in &cell.rows {
        let entry = by_seed.entry(r.seed).or_default();
        match r.metric.as_str() {
            metric::EXPLORATIONS => {
                entry.0.insert(r.step, r.value);
            }
            metric::PASS1 => {
                entry.1.insert(r.step, r.value);
            }
            _ => {}
        }
    }
    let mut by_explorations = Vec::new();
    let mut by_iterations = Vec::new();
    for (explorations, pass1) in by_seed.values() {
        by_iterations.push(pass1.iter().map(|(&t, &p)| (t as f64, p)).collect());
        by_explorations.push(
            pass1
                .iter()
                .filter_map(|(t, &p)| explorations.get(t).map(|&e| (e, p)))
                .collect(),
        );
    }
    (by_explorations, by_iterations)
}

fn draw_convergence<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    cells: &[&CellMetrics],
    title: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    drawing(root.fill(&WHITE))?;
    let root = drawing(root.titled(title, ("sans-serif", 22)))?;
    let panels = root.split_evenly((1, 2));
    let mut ordered: Vec<(&str, &CellMetrics)> = Vec::new();
    for m in METHODS {
        if let Some(c) = cells
            .iter()
            .find(|c| c.param("method").map(|v| v.as_str() == m).unwrap_or(false))
        {
            ordered.push((m, c));
        }
    }
    let target = cells[0]
        .param("target_pass1")
        .map(|v| v.as_float())
        .unwrap_or(0.5);
    for (panel_index, panel) in panels.iter().enumerate() {
        let by_explorations = panel_index == 0;
        let series: Vec<(&str, Vec<Curve>)> = ordered
            .iter()
            .filter(|(m, _)| !(by_explorations && *m == "sft"))
            .map(|(m, c)| {
                let (e, t) = curves(c);
                (*m, if by_explorations { e } else { t })
            })
            .collect();
        let x_max = series
            .iter()
            .flat_map(|(_, cs)| cs.iter().flat_map(|c| c.iter().map(|p| p.0)))
            .fold(10.0, f64::max);
        let (caption, x_desc) = if by_explorations {
            (
                "pass@1 against reward queries (sft queries none: iterations view only)",
                "leaf explorations (log scale)",
            )
        } else {
            ("pass@1 against iterations", "iterations t (log scale)")
        };
        let mut chart = drawing(
            ChartBuilder::on(panel)
                .caption(caption, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d((1f64..x_max * 1.2).log_scale(), 0f64..1.0),
        )?;
        drawing(
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc("exact pass@1 of the current policy")
                .x_label_formatter(&|x| format!("1e{:.0}", x.log10()))
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 16))
                .draw(),
        )?;
        let target_style = RGBColor(120, 120, 120).stroke_width(1);
        drawing(chart.draw_series(DashedLineSeries::new(
            vec![(1.0, target), (x_max * 1.2, target)],
            6,
            4,
            target_style,
        )))?
        .label(format!("target pass@1 = {target}"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], target_style));
        let grid = log_grid(1.0, x_max, 240);
        for (method, cs) in &series {
            if cs.is_empty() {
                continue;
            }
            let color = method_color(method);
            let agg = aggregate(cs, &grid);
            let mut band: Vec<(f64, f64)> = agg.iter().map(|a| (a.0, a.3)).collect();
            band.extend(agg.iter().rev().map(|a| (a.0, a.2)));
            drawing(chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12).filled(),
            ))))?;
            drawing(chart.draw_series(LineSeries::new(
                agg.iter().map(|a| (a.0, a.1)),
                color.stroke_width(2),
            )))?
            .label(*method)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    }
    drawing(root.present())?;
    Ok(())
}

/// Growth-rate fits of the median sample complexity, written to `sample_complexity_fit.csv` and
/// printed: the slope of ln(explorations) against H (exponential growth has slope ≈ ln B) and
/// the slope of ln(explorations) against ln H (a polynomial of degree d has slope ≈ d). Only
/// heights H ≥ 2 where no seed was censored enter the fit.
fn write_fit(sc: &SampleComplexity, out: &std::path::Path) -> Result<PathBuf> {
    let path = out.join("sample_complexity_fit.csv");
    let mut writer = csv::Writer::from_path(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writer.write_record([
        "method",
        "branching",
        "heights",
        "slope_log_per_level",
        "log_b",
        "slope_over_log_b",
        "loglog_degree",
    ])?;
    println!(
        "{:<11} {:>2} {:>8} {:>12} {:>7} {:>9} {:>8}",
        "method", "B", "heights", "d ln / d H", "ln B", "ratio", "degree"
    );
    let branchings: std::collections::BTreeSet<i64> = sc.points.keys().map(|k| k.1).collect();
    for method in METHODS.iter().filter(|m| **m != "sft") {
        for &b in &branchings {
            let pts: Vec<(f64, f64)> = sc
                .points
                .iter()
                .filter(|(k, p)| {
                    k.0 == *method && k.1 == b && k.2 >= 2 && p.censored == 0 && p.median >= 1.0
                })
                .map(|(k, p)| (k.2 as f64, p.median.ln()))
                .collect();
            if pts.len() < 3 {
                continue;
            }
            let (_, slope) = linear_fit(&pts);
            let (_, degree) =
                linear_fit(&pts.iter().map(|&(h, y)| (h.ln(), y)).collect::<Vec<_>>());
            let heights = format!("{}-{}", pts[0].0, pts[pts.len() - 1].0);
            let log_b = (b as f64).ln();
            println!(
                "{method:<11} {b:>2} {heights:>8} {slope:>12.3} {log_b:>7.3} {:>9.2} {degree:>8.2}",
                slope / log_b
            );
            writer.write_record([
                method.to_string(),
                b.to_string(),
                heights,
                format!("{slope:.4}"),
                format!("{log_b:.4}"),
                format!("{:.3}", slope / log_b),
                format!("{degree:.3}"),
            ])?;
        }
    }
    writer.flush()?;
    Ok(path)
}
