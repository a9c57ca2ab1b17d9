//! The model stack: one decoder-only transformer covering Qwen2/Qwen2.5 and Llama-3.x on burn,
//! Hugging Face checkpoints and tokenizers, and the batched rollout engine.
//!
//! - `config`, `presets` — the architecture from `config.json`; the paper's models and tiny sizes
//! - `rope`, `layers`, `transformer` — the forward pass
//! - `batch`, `cache` — padded batches, positions and masks; the KV cache
//! - `weights`, `checkpoint` — parameters by Hugging Face name; model folders in and out
//! - `tokenizer` — `tokenizer.json` through the `tokenizers` crate; BPE training
//! - `sampling`, `generate` — next-token choice; batched generation with log-probabilities
//! - `logprobs` — per-token log-probabilities and entropies of given sequences
//! - `commands` — `repro generate`, `repro model`, `repro tokenizer`
//! - `speed` — `repro model speed`: a forward at a fixed shape on fixed tokens
//! - `device` — CPU (flex), wgpu or CUDA, chosen at run time; the GPU adapters wgpu finds
//! - `device_parity` — `repro model parity`: a GPU backend against the CPU on one model
//! - `flex_patches` (tests only) — the patched CPU backend (vendor/burn-flex) gives the same bits
//! - `attention_gradient` (tests only) — training attention's closed-form backward
//!   (vendor/burn-autodiff) against the decomposed chain it replaced and a hand-worked case
//! - `saved_outputs` (tests only) — `exp` and `sigmoid` under autodiff differentiate with their
//!   saved forward output (vendor/burn-autodiff) and give the recomputation's bits

#[cfg(test)]
mod attention_gradient;
pub mod batch;
pub mod cache;
pub mod checkpoint;
pub mod commands;
pub mod config;
pub mod device;
pub mod device_parity;
#[cfg(test)]
mod flex_patches;
pub mod generate;
pub mod gguf;
pub mod layers;
pub mod logprobs;
pub mod matmul_speed;
pub mod presets;
pub mod rope;
pub mod sampling;
#[cfg(test)]
mod saved_outputs;
pub mod speed;
pub mod tokenizer;
pub mod transformer;
pub mod weights;
mod word_level;

pub use config::ModelConfig;
pub use device::DeviceKind;
pub use transformer::Transformer;
