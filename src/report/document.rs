//! `repro report`: one Markdown file with what produced the results (experiment file, profile,
//! overrides, tolerance, and the commit, host and dates of the cells), every table, and the
//! figures drawn beside it and linked relatively.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

use super::data::{self, Results};
use super::tables::Tables;
use crate::plot::{self, PlotArgs};
use crate::runner::record::FILE_NAME;
use crate::store::write_text;

/// `# <title>: <experiment>` and a line on the folder, its cells and the tolerance.
pub fn heading(results: &Results, title: &str) -> String {
    let mut out = format!(
        "# {title}: {}\n\nResults folder `{}`: {} complete cells",
        results.name,
        results.dir.display(),
        results.cells.len()
    );
    if !results.incomplete.is_empty() {
        out.push_str(&format!(
            " ({} incomplete cells left out: {})",
            results.incomplete.len(),
            results.incomplete.join(", ")
        ));
    }
    out.push_str(&format!(". Tolerance {}.\n", results.tolerance_source()));
    out
}

/// Writes the report to `out`, drawing the figures and writing the tables' Markdown, CSV and
/// LaTeX files into its folder.
pub fn write(results_dir: &Path, out: &Path) -> Result<()> {
    let results = data::load(results_dir)?;
    let tables = Tables::build(&results)?;
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    tables.write(&folder)?;
    let sections = [
        heading(&results, "Report"),
        format!("## Record\n\n{}", record(&results)),
        format!("## Provenance\n\n{}", provenance(&results)),
        format!("## Figures\n\n{}", figures(results_dir, &folder)),
        tables.markdown(),
        source(&results),
    ];
    write_text(out, &sections.join("\n"))
}

/// The experiment file, profile, overrides and tolerance from `experiment.toml`.
fn record(results: &Results) -> String {
    let seeds: BTreeSet<u64> = results
        .cells
        .iter()
        .flat_map(|c| c.in_domain.keys().copied())
        .collect();
    let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let mut out = match &results.record {
        Some(r) => format!(
            "- Experiment file: `{}`\n- Profile: {}\n- Overrides: {}\n",
            r.file,
            r.profile.as_deref().unwrap_or("none"),
            if r.overrides.is_empty() {
                "none".to_string()
            } else {
                r.overrides
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        None => format!(
            "- {FILE_NAME} is absent: the experiment file, profile and overrides are not recorded\n"
        ),
    };
    out.push_str(&format!("- Tolerance: {}\n", results.tolerance_source()));
    out.push_str(&format!("- Seeds: {}\n", seeds.join(", ")));
    out
}

/// Commit, host, CPU, version and dates, from the cells' `summary.toml`.
fn provenance(results: &Results) -> String {
    let s = &results.summaries;
    if s.is_empty() {
        return "No cell has a summary.toml.\n".into();
    }
    let distinct = |f: &dyn Fn(&crate::runner::summary::Summary) -> String| {
        let set: BTreeSet<String> = s.iter().map(f).collect();
        set.into_iter().collect::<Vec<_>>().join(", ")
    };
    let commits = distinct(&|x| {
        let dirty = if x.provenance.git_dirty {
            " (with uncommitted changes)"
        } else {
            ""
        };
        format!("`{}`{dirty}", x.provenance.git_commit)
    });
    let started = s
        .iter()
        .map(|x| x.started_at.clone())
        .min()
        .unwrap_or_default();
    let finished = s
        .iter()
        .filter_map(|x| x.finished_at.clone())
        .max()
        .unwrap_or_default();
    let seconds: Vec<f64> = s.iter().filter_map(|x| x.wall_seconds).collect();
    let hours = match seconds.len() {
        0 => String::new(),
        _ => format!(
            "; {:.2} cell-hours in all",
            seconds.iter().sum::<f64>() / 3600.0
        ),
    };
    format!(
        "- Commit: {commits}\n- Host: {}\n- CPU: {}\n- repro version: {}\n- Run between {started} \
         and {finished}{hours}\n",
        distinct(&|x| x.provenance.hostname.clone()),
        distinct(&|x| x.provenance.cpu_model.clone()),
        distinct(&|x| x.provenance.repro_version.clone()),
    )
}

/// Draws the figures into `folder` and links each PNG drawn, or says why none could be.
fn figures(results_dir: &Path, folder: &Path) -> String {
    // Coarse file-system clocks can stamp a new file slightly before `now`.
    let since = SystemTime::now() - Duration::from_secs(2);
    let args = PlotArgs {
        results: results_dir.to_path_buf(),
        out: Some(folder.to_path_buf()),
        height: 10,
        branching: 3,
    };
    if let Err(e) = plot::plot(&args) {
        eprintln!("warning: figures not drawn: {e:#}");
        return format!("The figures could not be drawn: {e:#}\n");
    }
    let drawn = drawn_since(folder, since);
    if drawn.is_empty() {
        return "The results define no figures.\n".into();
    }
    drawn
        .iter()
        .map(|name| format!("![{name}]({name})\n"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The PNG files written at or after `since` in `folder` and in its subfolders one level down
/// (`horizon_3/accuracy_tiny-500k.png`), as paths relative to `folder`: the folder's own first,
/// each group sorted.
fn drawn_since(folder: &Path, since: SystemTime) -> Vec<String> {
    let entries = |dir: &Path| -> Vec<std::fs::DirEntry> {
        let Ok(read) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut list: Vec<_> = read.filter_map(|e| e.ok()).collect();
        list.sort_by_key(|e| e.file_name());
        list
    };
    let fresh_png = |e: &std::fs::DirEntry| {
        e.path().extension().is_some_and(|x| x == "png")
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
    };
    let name = |e: &std::fs::DirEntry| e.file_name().to_string_lossy().into_owned();
    let top = entries(folder);
    let mut names: Vec<String> = top.iter().filter(|e| fresh_png(e)).map(name).collect();
    for sub in top.iter().filter(|e| e.path().is_dir()) {
        names.extend(
            entries(&sub.path())
                .iter()
                .filter(|e| fresh_png(e))
                .map(|e| format!("{}/{}", name(sub), name(e))),
        );
    }
    names
}

/// The experiment file's text as it was run, folded.
fn source(results: &Results) -> String {
    match &results.record {
        Some(r) => format!(
            "## Experiment file\n\n<details><summary>{}</summary>\n\n```toml\n{}\n```\n\n</details>\n",
            r.file,
            r.source.trim_end()
        ),
        None => String::new(),
    }
}
