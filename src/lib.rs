//! `repro` — a harness that reproduces "UFT: Unifying Supervised and Reinforcement Fine-Tuning"
//! (Liu, Farina, Ozdaglar, NeurIPS 2025).
//!
//! - `experiment` — experiment files: strict TOML → validated cells with stable ids
//! - `runner`     — `repro run`: skip finished cells, lock, parallel jobs, shards, provenance
//! - `store`      — the results folder layout and atomic writes
//! - `metrics`    — tidy Parquet metric tables
//! - `plot`       — figures from Parquet only
//! - `reported`   — the paper's reported numbers (Table 2, figure endpoints, §8 suite) as data
//! - `model`      — Qwen2/Llama transformers on burn, HF weights, tokenizers, rollouts
//! - `train`      — SFT and GRPO/UFT fine-tuning steps, AdamW, evaluation
//! - `theory`     — the paper's §4 search-tree problem and Algorithm 2, simulated
//! - `algo`       — the paper's maths as pure functions (hint schedules, ...)
//! - `tasks`      — prompts, official reward functions, data generators
//! - `rng`        — counter-based seeding

pub mod algo;
pub mod experiment;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod report;
pub mod reported;
pub mod rng;
pub mod runner;
pub mod store;
pub mod tasks;
pub mod theory;
pub mod train;
