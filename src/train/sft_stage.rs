//! The SFT stage that SFT and SFT→RFT share. Both cells of a sweep begin with the same SFT stage
//! — the same base model, data, hyperparameters and seed, so the same arithmetic — and whichever
//! finishes it first leaves its end state (a training checkpoint) for the other in
//! `<experiment>/.sft-stages/<key>/seed-<seed>/`. The other then starts from it as if it had
//! resumed from its own checkpoint at the stage's last step. In the CPU study this saves the
//! SFT→RFT cells' first third.
//!
//! Nothing else changes: every random draw is keyed on (seed, step, example) and the stage's
//! numbers do not depend on the thread count, so a reused stage is the computed one bit for bit
//! (`tests/training.rs` reruns with `--force`, which computes every stage again, and compares).
//! The stage's wall-clock rows (`sft_seconds`, `sft_tokens_per_second`) are then those of the
//! cell that computed it.
//!
//! Only cells that have such a sibling in their experiment share (`is_shared`). The key is the
//! SHA-256 of every parameter of the cell except `method`. An entry is written
//! whole under a temporary name, with the SHA-256 of each of its files, and renamed into place;
//! one that is missing, incomplete or damaged is not an error, only a stage to compute.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use burn::tensor::Device;

use super::checkpoint::{self, Position, Resumed, Stage};
use super::optimizer::{AdamW, AdamWConfig};
use super::run::metric::ANNOTATION_TOKENS;
use crate::experiment::Cell;
use crate::model::Transformer;
use crate::runner::integrity;

/// The SFT stage's annotation-token rows in a cell that goes on to RL (`SFT_ANNOTATION_TOKENS`)
/// and in one that stops after it (`ANNOTATION_TOKENS`).
pub const SFT_ANNOTATION_TOKENS: &str = "sft_annotation_tokens";

/// The SHA-256 of each file of an entry.
const MANIFEST: &str = "files.toml";

/// Where one seed's shared SFT stage lives, and whether a run may start from it.
#[derive(Clone, Debug)]
pub struct SharedStage {
    pub entry: PathBuf,
    /// False under `repro run --force`: the stage is computed again (and its entry replaced).
    pub reuse: bool,
}

impl SharedStage {
    /// The entry of `cell`'s SFT stage for `seed` under the experiment folder `experiment`.
    pub fn of(experiment: &Path, cell: &Cell, seed: u64, reuse: bool) -> SharedStage {
        SharedStage {
            entry: experiment
                .join(".sft-stages")
                .join(key(cell))
                .join(format!("seed-{seed}")),
            reuse,
        }
    }

    /// The stage's end state, when a complete and undamaged entry exists and may be reused.
    /// Its annotation rows are renamed to the ones this cell writes (`annotation_name`).
    pub fn load(
        &self,
        device: &Device,
        plain: &Device,
        optimizer: impl Fn(Stage) -> AdamWConfig,
        annotation_name: &str,
    ) -> Option<Resumed> {
        if !self.reuse || !self.entry.join(MANIFEST).is_file() {
            return None;
        }
        let manifest = std::fs::read_to_string(self.entry.join(MANIFEST)).ok()?;
        let recorded: std::collections::BTreeMap<String, String> =
            toml::from_str(&manifest).ok()?;
        let mut found = integrity::record(&self.entry).ok()?;
        found.remove(MANIFEST);
        if found != recorded {
            return None;
        }
        let mut resumed = checkpoint::load_latest(&self.entry, device, plain, optimizer).ok()??;
        if resumed.position.stage != Stage::Sft || resumed.reference.is_some() {
            return None;
        }
        for row in &mut resumed.position.rows {
            if row.metric == ANNOTATION_TOKENS || row.metric == SFT_ANNOTATION_TOKENS {
                row.metric = annotation_name.to_string();
            }
        }
        Some(resumed)
    }

    /// Leaves the end state of a stage computed here for the other cells.
    pub fn save(&self, position: &Position, model: &Transformer, optimizer: &AdamW) -> Result<()> {
        let parent = self
            .entry
            .parent()
            .expect("an entry is inside its key's folder");
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        // Unique to this process and call: two cells of one run may finish the same stage at once.
        static WRITES: AtomicUsize = AtomicUsize::new(0);
        let staging = parent.join(format!(
            ".writing-{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot clear {}", staging.display()))?;
        }
        checkpoint::save(&staging, position, model, None, optimizer)?;
        let files = integrity::record(&staging)?;
        let manifest = toml::to_string(&files).expect("a map of strings always serialises");
        crate::store::write_text(&staging.join(MANIFEST), &manifest)?;
        if self.entry.exists() {
            std::fs::remove_dir_all(&self.entry)
                .with_context(|| format!("cannot replace {}", self.entry.display()))?;
        }
        match std::fs::rename(&staging, &self.entry) {
            Ok(()) => Ok(()),
            // Another cell's copy of the same stage landed first; it is the same state.
            Err(_) if self.entry.join(MANIFEST).is_file() => std::fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot remove {}", staging.display())),
            Err(e) => Err(e).with_context(|| {
                format!(
                    "cannot move {} to {}",
                    staging.display(),
                    self.entry.display()
                )
            }),
        }
    }
}

/// Whether another cell of `cells` begins with the same SFT stage as `cell` (only then is the
/// stage left for others: for a 3B model it is a checkpoint of tens of gigabytes).
pub fn is_shared(cell: &Cell, cells: &[Cell]) -> bool {
    let runs_sft = |c: &Cell| super::config::runs_sft(c.get("method").as_str());
    runs_sft(cell)
        && cells
            .iter()
            .any(|other| other.id != cell.id && runs_sft(other) && key(other) == key(cell))
}

/// The first 12 hex digits of the SHA-256 of the cell's parameters without `method`.
fn key(cell: &Cell) -> String {
    let mut params = toml::Table::new();
    for (name, value) in cell.params.iter().filter(|(name, _)| **name != "method") {
        params.insert(name.to_string(), value.to_toml());
    }
    let text = toml::to_string(&params).expect("a table of scalars always serialises");
    integrity::hash_text(&format!("sft-stage v1\n{text}"))[..12].to_string()
}
