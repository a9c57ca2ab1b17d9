//! The architecture of a GGUF Llama from its `llama.*` metadata, as repro's [`ModelConfig`]
//! (which writes the Hugging Face `config.json`).
//!
//! Keys are those llama.cpp's `convert_hf_to_gguf.py` writes (`gguf-py/gguf/constants.py`,
//! `Keys.LLM`/`Keys.Attention`/`Keys.Rope`): `{arch}.embedding_length` = `hidden_size`,
//! `{arch}.feed_forward_length` = `intermediate_size`, `{arch}.block_count` =
//! `num_hidden_layers`, `{arch}.attention.head_count(_kv)`, `{arch}.rope.freq_base` =
//! `rope_theta`, `{arch}.attention.layer_norm_rms_epsilon` = `rms_norm_eps`,
//! `{arch}.context_length` = `max_position_embeddings`.

use anyhow::{Context, Result, bail};

use super::{GgufFile, Value};
use crate::model::config::{Architecture, ModelConfig};

/// The model's configuration; an error for anything but a plain Llama.
pub fn model_config(file: &GgufFile) -> Result<ModelConfig> {
    let arch = file.string("general.architecture")?;
    if arch != "llama" {
        bail!(
            "general.architecture is \"{arch}\"; the importer reads \"llama\" models (Llama, \
             SmolLM, …)"
        );
    }
    let key = |name: &str| format!("llama.{name}");
    let size = |name: &str| -> Result<usize> { Ok(file.u64(&key(name))? as usize) };
    let hidden_size = size("embedding_length")?;
    let num_heads = size("attention.head_count")?;
    let num_kv_heads = match file.optional_u64(&key("attention.head_count_kv"))? {
        Some(kv) => kv as usize,
        None => num_heads,
    };
    if num_heads == 0 {
        bail!("llama.attention.head_count is 0");
    }
    let head_dim = match file.optional_u64(&key("attention.key_length"))? {
        Some(d) => d as usize,
        None => hidden_size / num_heads,
    };
    if let Some(rotary) = file.optional_u64(&key("rope.dimension_count"))?
        && rotary as usize != head_dim
    {
        bail!(
            "llama.rope.dimension_count is {rotary} but heads have {head_dim} dimensions; \
             partial rotary embeddings are not supported"
        );
    }
    if let Some(scaling) = file.optional_string(&key("rope.scaling.type"))?
        && scaling != "none"
    {
        bail!("llama.rope.scaling.type \"{scaling}\" is not supported (only unscaled rope is)");
    }
    let embedding = file
        .tensor("token_embd.weight")
        .context("the file has no token_embd.weight")?;
    let vocab_size = match file.optional_u64(&key("vocab_size"))? {
        Some(v) => v as usize,
        None => embedding.dims.get(1).copied().unwrap_or(0) as usize,
    };
    let has = |name: &str| file.tensor(name).is_some();
    let config = ModelConfig {
        architecture: Architecture::Llama,
        vocab_size,
        hidden_size,
        intermediate_size: size("feed_forward_length")?,
        num_layers: size("block_count")?,
        num_heads,
        num_kv_heads,
        head_dim,
        rms_norm_eps: decimal(file, &key("attention.layer_norm_rms_epsilon"))?.unwrap_or(1e-5),
        rope_theta: decimal(file, &key("rope.freq_base"))?.unwrap_or(10_000.0),
        rope_scaling: None,
        max_position_embeddings: file
            .optional_u64(&key("context_length"))?
            .map_or(2048, |n| n as usize),
        tie_word_embeddings: !has("output.weight"),
        qkv_bias: has("blk.0.attn_q.bias"),
        o_bias: has("blk.0.attn_output.bias"),
        mlp_bias: has("blk.0.ffn_up.bias"),
        bos_token_id: token_id(file, "tokenizer.ggml.bos_token_id")?,
        eos_token_ids: token_id(file, "tokenizer.ggml.eos_token_id")?
            .into_iter()
            .collect(),
    };
    if config.qkv_bias != config.o_bias {
        bail!(
            "the file has biases on {} but not on {}; a Hugging Face Llama has both or neither \
             (`attention_bias`)",
            if config.qkv_bias {
                "q/k/v"
            } else {
                "the output projection"
            },
            if config.qkv_bias {
                "the output projection"
            } else {
                "q/k/v"
            }
        );
    }
    config
        .validate()
        .context("the llama.* metadata does not describe a valid model")?;
    Ok(config)
}

/// A float from the metadata. An f32 is read through its shortest decimal form, so the
/// 9.999999747e-6 that f32 makes of 1e-5 is written to config.json as the 1e-5 the model was
/// trained with (and 100000.0 stays 100000.0).
fn decimal(file: &GgufFile, key: &str) -> Result<Option<f64>> {
    match file.metadata.get(key) {
        Some(Value::F32(v)) => Ok(Some(
            format!("{v}")
                .parse()
                .context("an f32 prints as a decimal")?,
        )),
        _ => file.optional_f64(key),
    }
}

/// A token id from the metadata, if present.
fn token_id(file: &GgufFile, key: &str) -> Result<Option<u32>> {
    file.optional_u64(key)?
        .map(|id| {
            u32::try_from(id).with_context(|| format!("metadata `{key}` = {id} is not a token id"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::gguf::testing::{TestTensor, gguf_bytes};

    pub(crate) fn smollm_like_metadata() -> Vec<(&'static str, Value)> {
        vec![
            ("general.architecture", Value::String("llama".into())),
            ("llama.block_count", Value::U32(30)),
            ("llama.context_length", Value::U32(8192)),
            ("llama.embedding_length", Value::U32(576)),
            ("llama.feed_forward_length", Value::U32(1536)),
            ("llama.attention.head_count", Value::U32(9)),
            ("llama.attention.head_count_kv", Value::U32(3)),
            ("llama.rope.freq_base", Value::F32(100000.0)),
            ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
            ("llama.vocab_size", Value::U32(49152)),
            ("llama.rope.dimension_count", Value::U32(64)),
            ("tokenizer.ggml.bos_token_id", Value::U32(1)),
            ("tokenizer.ggml.eos_token_id", Value::U32(2)),
        ]
    }

    fn config_of(metadata: &[(&str, Value)]) -> Result<ModelConfig> {
        let embedding = TestTensor::f32("token_embd.weight", &[1, 1], &[0.0]);
        let file = GgufFile::parse(Path::new("t.gguf"), gguf_bytes(metadata, &[embedding], 32))?;
        model_config(&file)
    }

    #[test]
    fn smollm2_metadata_gives_its_hugging_face_config() {
        let config = config_of(&smollm_like_metadata()).unwrap();
        assert_eq!(
            config.num_parameters(),
            134_515_008,
            "SmolLM2-135M's published count"
        );
        assert_eq!(config.rms_norm_eps, 1e-5);
        assert_eq!(config.rope_theta, 100000.0);
        assert_eq!(
            (config.num_heads, config.num_kv_heads, config.head_dim),
            (9, 3, 64)
        );
        assert_eq!(config.max_position_embeddings, 8192);
        assert!(config.tie_word_embeddings, "no output.weight");
        assert_eq!(
            (config.bos_token_id, config.eos_token_ids.clone()),
            (Some(1), vec![2])
        );
        assert!(!config.qkv_bias && !config.mlp_bias);
    }

    #[test]
    fn other_architectures_and_missing_keys_are_refused() {
        let mut qwen = smollm_like_metadata();
        qwen[0].1 = Value::String("qwen2".into());
        assert!(format!("{:#}", config_of(&qwen).unwrap_err()).contains("\"qwen2\""));
        let missing: Vec<_> = smollm_like_metadata()
            .into_iter()
            .filter(|(k, _)| *k != "llama.block_count")
            .collect();
        assert!(format!("{:#}", config_of(&missing).unwrap_err()).contains("llama.block_count"));
        let mut partial = smollm_like_metadata();
        partial.push(("llama.attention.key_length", Value::U32(32)));
        assert!(format!("{:#}", config_of(&partial).unwrap_err()).contains("partial rotary"));
    }
}
