//! The paper's tasks: prompts, official reward functions and data generators.
//!
//! - `prompt`   — the TinyZero-style prompt template shared by every task (spec §5.2)
//! - `reward`   — `Reward`, `Verdict`, `Rule`: what a verifier returns
//! - `verify`   — reproductions of the official reward functions (spec §5.3, §8)
//! - `generate` — Countdown and Knights-and-Knaves generators in the official format

pub mod generate;
pub mod prompt;
pub mod reward;
pub mod verify;
