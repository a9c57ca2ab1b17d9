//! Model folders in the Hugging Face layout: `config.json`, `model.safetensors` (or shards with
//! an index) and, beside them, `tokenizer.json`. repro reads the paper's checkpoints from such a
//! folder and writes its own fine-tuned models the same way, so other tools can open them.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Device;

use super::config::ModelConfig;
use super::transformer::Transformer;
use super::weights::{CheckpointWeights, HostTensor, SaveDtype, write_safetensors};

/// Loads the model in `dir` onto `device`, in f32 whatever the checkpoint's dtype.
pub fn load(dir: &Path, device: &Device) -> Result<Transformer> {
    let config = ModelConfig::from_dir(dir)?;
    let mut weights = CheckpointWeights::open(dir, config.tie_word_embeddings)?;
    Transformer::build(&config, &mut weights, device)
        .with_context(|| format!("cannot load the model in {}", dir.display()))
}

/// Writes `config.json` and `model.safetensors` into `dir` (created if needed). The weights are
/// written before the config, each atomically, so a folder with a config is a complete model.
pub fn save(model: &Transformer, dir: &Path, dtype: SaveDtype) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tensors: Vec<(String, HostTensor)> = Vec::new();
    model.visit_named(&mut |name, tensor| tensors.push((name, tensor)));
    write_safetensors(&dir.join("model.safetensors"), &tensors, dtype)?;
    crate::store::write_text(&dir.join("config.json"), &model.config().to_hf_json())
}
