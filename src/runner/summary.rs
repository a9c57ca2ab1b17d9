//! `summary.toml`: the provenance and outcome of one cell.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::provenance::Provenance;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A process started the cell and has not finished it (or was killed).
    Running,
    /// Every seed finished and `metrics.parquet` holds them all.
    Complete,
    /// The cell stopped with an error; `error` says which.
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub cell: String,
    pub label: String,
    pub kind: String,
    pub status: Status,
    pub seeds: Vec<u64>,
    /// SHA-256 of the resolved `config.toml`.
    pub config_hash: String,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub wall_seconds: Option<f64>,
    pub error: Option<String>,
    /// SHA-256 of every file the cell wrote (`runner::integrity`), keyed by path in the cell
    /// folder; empty in summaries written before it was recorded.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
}

impl Summary {
    pub fn new(provenance: &Provenance) -> Summary {
        Summary {
            experiment: String::new(),
            cell: String::new(),
            label: String::new(),
            kind: String::new(),
            status: Status::Running,
            seeds: Vec::new(),
            config_hash: String::new(),
            provenance: provenance.clone(),
            started_at: String::new(),
            finished_at: None,
            wall_seconds: None,
            error: None,
            files: Default::default(),
        }
    }

    pub fn read(path: &Path) -> Result<Summary> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid summary", path.display()))
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        crate::store::write_text(path, &toml::to_string(self)?)
    }
}
