//! `repro verify RESULTS`: every damaged file of a results root, an experiment's folder or one
//! cell — a file whose SHA-256 differs from its cell's record (`integrity`), a missing one, an
//! unreadable summary or metrics table, a cell that never finished — and every committed base
//! model (`base_models/*`) whose weights do not load or hold non-finite values.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::integrity;
use super::summary::{Status, Summary};

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Verified {
    pub cells: usize,
    pub files: usize,
    pub base_models: usize,
    /// One line per problem, naming the file.
    pub problems: Vec<String>,
}

impl Verified {
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} cell(s), {} recorded file(s), {} base model(s) checked: ",
            self.cells, self.files, self.base_models
        );
        if self.problems.is_empty() {
            out.push_str("no damage found\n");
        } else {
            out.push_str(&format!("{} problem(s)\n", self.problems.len()));
            for p in &self.problems {
                out.push_str(&format!("  {p}\n"));
            }
        }
        out
    }
}

/// Cell folders (holding `summary.toml`) and base model folders (holding `pretrain.toml`) at
/// most three levels below `path`.
fn folders(path: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut cells, mut bases) = (Vec::new(), Vec::new());
    let mut stack = vec![(path.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        if dir.join("summary.toml").is_file() {
            cells.push(dir);
            continue;
        }
        if dir.join("pretrain.toml").is_file() {
            bases.push(dir);
            continue;
        }
        if depth == 3 {
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.path().is_dir() {
                    stack.push((entry.path(), depth + 1));
                }
            }
        }
    }
    cells.sort();
    bases.sort();
    (cells, bases)
}

pub fn verify(path: &Path) -> Result<Verified> {
    if !path.is_dir() {
        bail!("{} is not a results folder", path.display());
    }
    let (cells, bases) = folders(path);
    if cells.is_empty() && bases.is_empty() {
        bail!(
            "{} holds no cell (no */summary.toml) and no base model: nothing to verify",
            path.display()
        );
    }
    let mut found = Verified::default();
    for cell in &cells {
        found.cells += 1;
        let summary = match Summary::read(&cell.join("summary.toml")) {
            Ok(s) => s,
            Err(e) => {
                found.problems.push(format!("{e:#}"));
                continue;
            }
        };
        if summary.status != Status::Complete {
            found.problems.push(format!(
                "{}: the cell is not complete (status {:?}{}); `repro run` finishes it",
                cell.display(),
                summary.status,
                summary
                    .error
                    .as_deref()
                    .map_or(String::new(), |e| format!(": {e}"))
            ));
            continue;
        }
        if summary.files.is_empty() {
            found.problems.push(format!(
                "{}: no file record (written before repro recorded one); rerun the cell to verify it",
                cell.display()
            ));
        }
        found.files += summary.files.len();
        let damaged = integrity::check(cell, &summary.files);
        found
            .problems
            .extend(damaged.iter().map(integrity::Damaged::describe));
        let metrics = cell.join("metrics.parquet");
        if !damaged.iter().any(|d| d.path == metrics) {
            if let Err(e) = crate::metrics::read_cell_metrics(&metrics) {
                found.problems.push(format!("{e:#}"));
            }
        }
    }
    let device = crate::model::DeviceKind::Cpu.device()?;
    for base in &bases {
        found.base_models += 1;
        if let Err(e) = crate::model::checkpoint::load_with_tokenizer(base, &device) {
            found.problems.push(format!("{e:#}"));
        }
    }
    Ok(found)
}
