//! Figures, drawn from Parquet results only (nothing is ever re-run).
//!
//! - `competence` — the competence curve of `repro probe` (pass@k against the hint fraction)
//! - `horizon` — accuracy and rollouts per first success against the reasoning horizon
//! - `series` — aggregating per-seed curves onto a common grid (median and range)
//! - `theory` — the sample-complexity and convergence figures of the `tree_search` kind
//! - `training` — accuracy and annotation-usage figures of the `fine_tune` kind (Figures 1, 2, 7, 8)

pub mod competence;
pub mod horizon;
pub mod series;
pub mod theory;
pub mod training;
pub mod training_annotation;
pub mod training_mean;
pub mod training_reported;
pub mod training_style;

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Context, Result, bail};
use plotters::prelude::*;

use crate::metrics;

/// Arguments of `repro plot`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// The results folder of one experiment, or a `competence.parquet` file of `repro probe`.
    #[arg(default_value = "results/sample_complexity")]
    pub results: PathBuf,
    /// Where to write the figures [default: paper_figures/<results folder name>/, as `table`
    /// and `report` do; for a competence file, the file's own folder].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Tree height H of the convergence figure (the theory experiment only).
    #[arg(long, default_value_t = 10)]
    pub height: i64,
    /// Branching factor B of the convergence figure (the theory experiment only).
    #[arg(long, default_value_t = 3)]
    pub branching: i64,
}

impl PlotArgs {
    /// The folder the figures go to (see `--out`).
    pub fn out_dir(&self) -> PathBuf {
        match (&self.out, self.results.is_file()) {
            (Some(out), _) => out.clone(),
            (None, true) => self
                .results
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            (None, false) => crate::report::default_folder(&self.results),
        }
    }
}

/// Draws every figure the experiment's kind defines; returns the files written.
pub fn plot(args: &PlotArgs) -> Result<()> {
    let out = args.out_dir();
    let args = &PlotArgs {
        out: Some(out.clone()),
        ..args.clone()
    };
    if args.results.is_file() {
        let curves = metrics::read_competence(&args.results)?;
        std::fs::create_dir_all(&out)?;
        let stem = args
            .results
            .file_stem()
            .map_or("competence".into(), |s| s.to_string_lossy().into_owned());
        for path in competence::plot_curves(&curves, &out, &stem)? {
            println!("wrote {}", path.display());
        }
        return Ok(());
    }
    let cells = metrics::read_experiment(&args.results)?;
    let Some(first) = cells.first() else {
        bail!(
            "{} holds no complete cell (no */metrics.parquet); run `repro run <experiment file>` first",
            args.results.display()
        );
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let written = match first.kind.as_str() {
        "tree_search" => theory::plot(&cells, args)?,
        "fine_tune" if horizon::is_horizon(&cells) => horizon::plot(&cells, args)?,
        "fine_tune" if horizon::is_study_by_horizon(&cells) => {
            horizon::plot_study_by_horizon(&cells, args)?
        }
        "fine_tune" => training::plot(&cells, args)?,
        other => bail!("no figures are defined for experiments of kind `{other}`"),
    };
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Registers the bundled DejaVu Sans as plotters' "sans-serif" (plotters' `ab_glyph` text
/// rendering never reads system fonts).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans.ttf");
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .unwrap_or_else(|_| panic!("the bundled font is a valid TTF"));
    });
}

/// Renders one figure as `<stem>.png` and `<stem>.svg`.
pub fn save_png_and_svg(
    out: &Path,
    stem: &str,
    size: (u32, u32),
    draw_png: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>,
    draw_svg: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<()>,
) -> Result<Vec<PathBuf>> {
    register_fonts();
    let png = out.join(format!("{stem}.png"));
    let svg = out.join(format!("{stem}.svg"));
    draw_png(BitMapBackend::new(&png, size).into_drawing_area())?;
    draw_svg(SVGBackend::new(&svg, size).into_drawing_area())?;
    Ok(vec![png, svg])
}

/// The colour of each method, the same in every figure.
pub fn method_color(method: &str) -> RGBColor {
    match method {
        "rft" => RGBColor(214, 39, 40),
        "uft" => RGBColor(31, 119, 180),
        "uft_cosine" => RGBColor(44, 160, 44),
        "r3" => RGBColor(255, 127, 14),
        "sft" => RGBColor(148, 103, 189),
        _ => RGBColor(100, 100, 100),
    }
}

/// Converts a plotters drawing error (whose type depends on the backend) to `anyhow`.
pub fn drawing<T, E: std::fmt::Debug>(r: std::result::Result<T, E>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("drawing failed: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plot`, `table` and `report` write to `paper_figures/<results folder name>/` unless told.
    #[test]
    fn figures_default_to_the_folder_that_tables_and_reports_use() {
        let args = |results: &str, out: Option<&str>| PlotArgs {
            results: results.into(),
            out: out.map(PathBuf::from),
            height: 10,
            branching: 3,
        };
        let results = Path::new("results/table1-cpu");
        assert_eq!(
            args("results/table1-cpu", None).out_dir(),
            crate::report::default_folder(results)
        );
        assert_eq!(
            crate::report::default_folder(results),
            Path::new("paper_figures/table1-cpu")
        );
        assert_eq!(args("results/x", Some("figs")).out_dir(), Path::new("figs"));
        // A competence file is drawn beside itself (this source file stands in for one).
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/plot/mod.rs");
        assert_eq!(
            args(file, None).out_dir(),
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/plot"))
        );
    }
}
