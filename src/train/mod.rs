//! Fine-tuning a language model the six ways the paper compares: SFT, and GRPO-based RFT, UFT,
//! R³, staged RL and RFT with the cosine hint schedule (SFT→RFT is RFT started from an SFT
//! checkpoint).
//!
//! - `checkpoint` — resumable runs: model, reference, optimizer, position, rows
//! - `config` — the `fine_tune` experiment kind's parameters
//! - `run` — one seed of a `fine_tune` cell: data, tokenizer, model, stages, evaluation
//! - `data` — which examples a step sees (keyed shuffles, drop-last)
//! - `optimizer` — AdamW with PyTorch's global-norm clipping, state keyed by parameter path
//! - `rl` — one GRPO/UFT step, read top to bottom
//! - `sft` — one SFT step and the cosine-with-warmup learning rate
//! - `sft_stage` — the SFT stage that SFT and SFT→RFT share, computed once
//! - `commands` — `repro eval`
//! - `eval` — greedy pass@1 with the official rewards
//! - `first_success` — rollouts until each training problem's first correct answer
//! - `probe`, `probe_command` — the competence curve (pass@k against the hint fraction), `repro probe`

pub mod benchmarks;
pub mod checkpoint;
pub mod commands;
pub mod config;
pub mod data;
pub mod eval;
pub mod first_success;
pub mod lm_eval;
pub mod optimizer;
pub mod preflight;
pub mod pretrain;
pub mod probe;
pub mod probe_command;
pub mod rl;
pub mod run;
pub mod sft;
pub mod sft_stage;
