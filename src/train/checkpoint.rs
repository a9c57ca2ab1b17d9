//! Resumable training: everything a `fine_tune` seed needs to continue where it stopped — the
//! model, the frozen reference, the optimizer, the stage and step, the metric rows so far.
//!
//! Each checkpoint is a folder `<stage>-<step>` under the seed's work folder, written in full
//! before the `LATEST` file (replaced atomically) names it; older folders are then removed. A
//! kill at any instant leaves `LATEST` naming a complete checkpoint, or no `LATEST` at all.
//! Everything random in training is keyed on (seed, step, …), so continuing from a checkpoint
//! gives the same run as never stopping.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;

use super::first_success::FirstSuccess;
use super::optimizer::{AdamW, AdamWConfig};
use crate::metrics::{SeedRow, read_seed_part, write_seed_part};
use crate::model::weights::SaveDtype;
use crate::model::{Transformer, checkpoint};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Sft,
    Rl,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Sft => "sft",
            Stage::Rl => "rl",
        }
    }
}

/// Where a run stands: stage, completed steps of that stage, and what it has measured.
pub struct Position {
    pub stage: Stage,
    pub step: u64,
    pub annotation_tokens: f64,
    pub rows: Vec<SeedRow>,
    /// Rollouts until each training problem's first success (RL stages).
    pub first_success: FirstSuccess,
}

/// A checkpoint read back.
pub struct Resumed {
    pub position: Position,
    pub model: Transformer,
    pub reference: Option<Transformer>,
    pub optimizer: AdamW,
}

/// The first-success counts' file in a checkpoint folder.
const FIRST_SUCCESS: &str = "first_success.toml";

/// Writes a checkpoint into `work` and makes it the latest.
pub fn save(
    work: &Path,
    position: &Position,
    model: &Transformer,
    reference: Option<&Transformer>,
    optimizer: &AdamW,
) -> Result<()> {
    let name = format!("{}-{:06}", position.stage.name(), position.step);
    let dir = work.join(&name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    checkpoint::save(model, &dir.join("model"), SaveDtype::F32)?;
    if let Some(reference) = reference {
        checkpoint::save(reference, &dir.join("reference"), SaveDtype::F32)?;
    }
    optimizer.save(&dir.join("optimizer.safetensors"))?;
    write_seed_part(&dir.join("rows.parquet"), &position.rows)?;
    let state = format!(
        "stage = \"{}\"\nstep = {}\nannotation_tokens = {:?}\n",
        position.stage.name(),
        position.step,
        position.annotation_tokens
    );
    crate::store::write_text(&dir.join("state.toml"), &state)?;
    crate::store::write_text(&dir.join(FIRST_SUCCESS), &position.first_success.to_toml())?;
    crate::store::write_text(&work.join("LATEST"), &name)?;
    for entry in std::fs::read_dir(work)?.flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != name.as_str() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// The latest checkpoint in `work`, if any. The model lands on `device` (with autodiff for
/// training), the reference and optimizer state on `plain`.
pub fn load_latest(
    work: &Path,
    device: &Device,
    plain: &Device,
    optimizer: impl Fn(Stage) -> AdamWConfig,
) -> Result<Option<Resumed>> {
    let latest = work.join("LATEST");
    if !latest.exists() {
        return Ok(None);
    }
    let name = std::fs::read_to_string(&latest)
        .with_context(|| format!("cannot read {}", latest.display()))?;
    let dir: PathBuf = work.join(name.trim());
    let state_path = dir.join("state.toml");
    let state: toml::Table = std::fs::read_to_string(&state_path)
        .with_context(|| format!("cannot read {}", state_path.display()))?
        .parse()
        .with_context(|| format!("{} is not valid TOML", state_path.display()))?;
    let stage = match state.get("stage").and_then(|v| v.as_str()) {
        Some("sft") => Stage::Sft,
        Some("rl") => Stage::Rl,
        other => bail!("{}: unknown stage {other:?}", state_path.display()),
    };
    let step = state
        .get("step")
        .and_then(|v| v.as_integer())
        .context("checkpoint state has no step")? as u64;
    let annotation_tokens = state
        .get("annotation_tokens")
        .and_then(|v| v.as_float())
        .unwrap_or(0.0);
    let reference_dir = dir.join("reference");
    let first_success_path = dir.join(FIRST_SUCCESS);
    let first_success = match std::fs::read_to_string(&first_success_path) {
        Ok(text) => FirstSuccess::from_toml(&text, &first_success_path.display().to_string())?,
        // Checkpoints written before the counts existed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FirstSuccess::default(),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", first_success_path.display()));
        }
    };
    Ok(Some(Resumed {
        position: Position {
            stage,
            step,
            annotation_tokens,
            rows: read_seed_part(&dir.join("rows.parquet"))?,
            first_success,
        },
        model: checkpoint::load(&dir.join("model"), device)?,
        reference: if reference_dir.exists() {
            Some(checkpoint::load(&reference_dir, plain)?)
        } else {
            None
        },
        optimizer: AdamW::load(&dir.join("optimizer.safetensors"), optimizer(stage), plain)?,
    }))
}
