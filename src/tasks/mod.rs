//! The paper's tasks: prompts, official reward functions and data generators.
//!
//! - `example`  — `Example` and `GroundTruth`: one row of a task file, prompted and scored
//! - `data`     — reading the official and LUFFY Parquet schemas, writing generated data
//! - `commands` — `repro data generate|inspect` and `repro score`
//! - `prompt`   — the TinyZero-style prompt template shared by every task (spec §5.2)
//! - `reward`   — `Reward`, `Verdict`, `Rule`: what a verifier returns
//! - `verify`   — reproductions of the official reward functions (spec §5.3, §8)
//! - `generate` — Countdown and Knights-and-Knaves generators in the official format

pub mod commands;
pub mod data;
pub mod example;
pub mod generate;
pub mod prompt;
pub mod reward;
pub mod verify;

/// The folder of official rows exported by `scripts/export_official_jsonl.py`, if the test
/// run was given one (`REPRO_OFFICIAL_JSONL`); tests that need it are skipped otherwise.
#[cfg(test)]
pub(crate) fn official_jsonl(file: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("REPRO_OFFICIAL_JSONL")?;
    let path = std::path::Path::new(&dir).join(file);
    path.is_file().then_some(path)
}
