//! The command-line arguments that choose how an experiment file is read (`repro run` and
//! `repro check`): the file, its profile, and changes that scale it down without editing it.

use std::path::PathBuf;

use super::{ConfigError, Experiment, LoadOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct ExperimentArgs {
    /// The experiment file (e.g. experiments/table1.toml).
    #[arg(value_name = "EXPERIMENT")]
    pub file: PathBuf,
    /// Which `[profile.<name>]` of the file to use (default: the file's `default_profile`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Set a parameter in every cell, after the file's own overrides (repeatable):
    /// `--set lr=1e-4`.
    #[arg(long, value_name = "PARAM=VALUE")]
    pub set: Vec<String>,
    /// Smoke run: at most N training steps (fine_tune: RL and SFT steps; T_hint and the
    /// evaluation interval shrink in proportion). Recorded, and written to its own folder.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub steps: Option<i64>,
    /// Smoke run: at most N test problems per evaluation.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub limit: Option<i64>,
}

impl ExperimentArgs {
    /// Loads the file, printing its warnings to stderr.
    pub fn load(&self) -> Result<Experiment, ConfigError> {
        let experiment = Experiment::load(
            &self.file,
            &LoadOptions {
                profile: self.profile.clone(),
                set: self.set.clone(),
                steps: self.steps,
                limit: self.limit,
            },
        )?;
        for warning in &experiment.warnings {
            eprintln!("warning: {warning}");
        }
        Ok(experiment)
    }
}
