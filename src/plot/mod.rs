//! Figures, drawn from Parquet results only (nothing is ever re-run).

use std::path::PathBuf;

use anyhow::Result;

/// Arguments of `repro plot`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// The results folder of one experiment.
    #[arg(default_value = "results/sample_complexity")]
    pub results: PathBuf,
    /// Where to write the PNG and SVG files.
    #[arg(long, default_value = "paper_figures")]
    pub out: PathBuf,
}

pub fn plot(_args: &PlotArgs) -> Result<()> {
    anyhow::bail!("not yet")
}
