//! `repro table` and `repro report`: the paper's tables, the comparison with its reported
//! numbers and the test of its claims, made from a `fine_tune` results folder alone.
//!
//! - `data`      — the results folder read for tables: final accuracies per cell, benchmark, seed
//! - `bootstrap` — percentile bootstrap intervals with a fixed random stream
//! - `chance`    — the accuracy of guessing per task, below which comparisons say nothing
//! - `estimate`  — weighted sums of accuracies with intervals over seeds or test problems
//! - `names`     — repro's names against the paper's, and row and column order
//! - `table1`    — the hyperparameters (constant and varying)
//! - `table2`    — the benchmark grid: the mean over training tasks, as the paper's Table 2
//! - `compare`   — reproduced against reported values, with PASS / FAIL / INCONCLUSIVE
//! - `claims`    — the §7 claims as paired differences over seeds
//! - `format`    — Markdown, CSV and LaTeX (booktabs) rendering
//! - `tables`    — every table of a folder, built, printed and written
//! - `document`  — the `repro report` file: record, provenance, figures and every table

pub mod bootstrap;
pub mod chance;
pub mod claims;
pub mod compare;
pub mod data;
pub mod document;
pub mod estimate;
pub mod format;
pub mod names;
pub mod table1;
pub mod table2;
pub mod tables;

use std::path::{Path, PathBuf};

use anyhow::Result;

/// Arguments of `repro table`.
#[derive(Debug, Clone, clap::Args)]
pub struct TableArgs {
    /// The results folder of one `fine_tune` experiment (`results/<experiment>`).
    pub results: PathBuf,
    /// Where to write the Markdown, CSV and LaTeX files [default: paper_figures/<experiment>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `repro report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// The results folder of one `fine_tune` experiment (`results/<experiment>`).
    pub results: PathBuf,
    /// The report file; its figures are drawn beside it
    /// [default: paper_figures/<experiment>/report.md].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `paper_figures/<experiment folder name>/`: where `table`, `report` and `plot` write by default.
pub fn default_folder(results: &Path) -> PathBuf {
    let name = results
        .file_name()
        .map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    Path::new("paper_figures").join(name)
}

/// `repro table`: prints the tables as Markdown and writes their files.
pub fn table(args: &TableArgs) -> Result<()> {
    let results = data::load(&args.results)?;
    let tables = tables::Tables::build(&results)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&args.results));
    let written = tables.write(&out)?;
    print!(
        "{}\n{}",
        document::heading(&results, "Tables"),
        tables.markdown()
    );
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// `repro report`: writes one Markdown report with its figures beside it.
pub fn report(args: &ReportArgs) -> Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_folder(&args.results).join("report.md"));
    document::write(&args.results, &out)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
