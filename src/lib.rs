//! `repro` — a harness that reproduces "UFT: Unifying Supervised and Reinforcement Fine-Tuning".

pub mod tasks;
