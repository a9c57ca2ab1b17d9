//! `experiment.toml` in an experiment's results folder: which file, profile and command-line
//! overrides produced the results, and the tolerance the file declared before running. Tables
//! and reports read it, so they need nothing but the results folder.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The record's file name inside `<results>/<experiment>/`.
pub const FILE_NAME: &str = "experiment.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    /// The experiment's `name` key (without the profile).
    pub name: String,
    /// The profile that was run, when the file has profiles.
    pub profile: Option<String>,
    /// The experiment file as given on the command line.
    pub file: String,
    /// Largest |reproduced − reported| accepted as agreement, in accuracy units (0–1).
    pub tolerance: f64,
    /// `param=value` overrides given on the command line (`--steps`, `--limit`, `--set`).
    pub overrides: Vec<String>,
    /// The experiment file's text when the run started.
    pub source: String,
}

impl ExperimentRecord {
    pub fn read(dir: &Path) -> Result<ExperimentRecord> {
        let path = dir.join(FILE_NAME);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid record", path.display()))
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        crate::store::write_text(&dir.join(FILE_NAME), &toml::to_string(self)?)
    }
}
