//! Model folders in the Hugging Face layout: `config.json`, `model.safetensors` (or shards with
//! an index) and, beside them, `tokenizer.json`. repro reads the paper's checkpoints from such a
//! folder and writes its own fine-tuned models the same way, so other tools can open them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::Device;

use super::config::ModelConfig;
use super::tokenizer::Tokenizer;
use super::transformer::Transformer;
use super::weights::{CheckpointWeights, HostTensor, SaveDtype, write_safetensors};

/// Loads the model in `dir` onto `device`, in f32 whatever the checkpoint's dtype.
pub fn load(dir: &Path, device: &Device) -> Result<Transformer> {
    let config = ModelConfig::from_dir(dir)?;
    let mut weights = CheckpointWeights::open(dir, config.tie_word_embeddings)?;
    // `CheckpointWeights` refuses NaN and infinite weights, naming the tensor and its file.
    Transformer::build(&config, &mut weights, device)
        .with_context(|| format!("cannot load the model in {}", dir.display()))
}

/// Where the commands that take a model (`eval`, `generate`, `probe`, `model info`, `model
/// speed`) cache the folders of the GGUF files they are given: `$REPRO_CACHE`, else
/// `$XDG_CACHE_HOME/repro`, else `~/.cache/repro`.
pub fn cache_root() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("REPRO_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("repro")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("repro")))
        .unwrap_or_else(|| PathBuf::from(".repro-cache"))
}

/// The model folder a user named: a folder as it is, or a llama.cpp `.gguf` file imported
/// (once) into a folder under [`cache_root`].
pub fn model_folder(path: &Path) -> Result<PathBuf> {
    match path.is_file()
        && path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("gguf"))
    {
        true => super::gguf::import::cached(path, &cache_root()),
        false => Ok(path.to_path_buf()),
    }
}

/// Loads a model folder's tokenizer and model, after checking that every token id the
/// tokenizer can produce has a row in the model's embedding (a tokenizer from another model
/// would otherwise index past it in the middle of a run).
/// A `.gguf` file is imported first ([`model_folder`]).
pub fn load_with_tokenizer(dir: &Path, device: &Device) -> Result<(Tokenizer, Transformer)> {
    let dir = &model_folder(dir)?;
    let (_, tokenizer) = check_folder(dir)?;
    Ok((tokenizer, load(dir, device)?))
}

/// A model folder's config and tokenizer, checked to belong together (see
/// `load_with_tokenizer`); the weights are not read.
pub fn check_folder(dir: &Path) -> Result<(ModelConfig, Tokenizer)> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a model folder (it {}); a model folder holds config.json, \
             model.safetensors and tokenizer.json",
            dir.display(),
            if dir.exists() {
                "is a file"
            } else {
                "does not exist"
            }
        );
    }
    let config = ModelConfig::from_dir(dir)?;
    let tokenizer = Tokenizer::from_model_dir(dir)?;
    if tokenizer.vocab_size() > config.vocab_size {
        anyhow::bail!(
            "{} has {} tokens but {}'s vocab_size is {}: the tokenizer belongs to another model \
             (put the model's own tokenizer.json beside it)",
            dir.join("tokenizer.json").display(),
            tokenizer.vocab_size(),
            dir.join("config.json").display(),
            config.vocab_size
        );
    }
    Ok((config, tokenizer))
}

/// Writes `config.json` and `model.safetensors` into `dir` (created if needed). The weights are
/// written before the config, each atomically, so a folder with a config is a complete model.
/// The files beside the weights that other tools read and `save` does not write: the tokenizer's
/// and the generation's configuration, the chat template, the special-token map.
pub const COMPANION_FILES: [&str; 4] = [
    "tokenizer_config.json",
    "generation_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
];

/// Copies the `COMPANION_FILES` that `from` has into `to`, so a model fine-tuned from a Hugging
/// Face folder opens in transformers with the same tokenizer settings, stop tokens and chat
/// template as its source.
pub fn copy_companions(from: &Path, to: &Path) -> Result<()> {
    for name in COMPANION_FILES {
        let source = from.join(name);
        if source.is_file() {
            let text = std::fs::read(&source)
                .with_context(|| format!("cannot read {}", source.display()))?;
            crate::store::write_atomic(&to.join(name), |f| {
                Ok(std::io::Write::write_all(f, &text)?)
            })?;
        }
    }
    Ok(())
}

pub fn save(model: &Transformer, dir: &Path, dtype: SaveDtype) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tensors: Vec<(String, HostTensor)> = Vec::new();
    model
        .visit_named(&mut |name, tensor| tensors.push((name, tensor)))
        .with_context(|| format!("cannot save the model to {}", dir.display()))?;
    write_safetensors(&dir.join("model.safetensors"), &tensors, dtype)?;
    crate::store::write_text(&dir.join("config.json"), &model.config().to_hf_json())
}
