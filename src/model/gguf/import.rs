//! `repro model import FILE.gguf -o DIR`: a GGUF Llama written out as a Hugging Face model
//! folder — `model.safetensors` (f32), `config.json`, `tokenizer.json`,
//! `tokenizer_config.json` and `generation_config.json` — that repro (and transformers) load.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{GgufFile, hparams, tensors, tokenizer};
use crate::model::config::ModelConfig;
use crate::model::weights::{HostTensor, SaveDtype, write_safetensors};

/// Every tensor of `file` dequantized to f32 under its Hugging Face name, with q/k rows put
/// back in Hugging Face order, in the file's order.
pub fn hf_tensors(file: &GgufFile, config: &ModelConfig) -> Result<Vec<(String, HostTensor)>> {
    let mut out = Vec::with_capacity(file.tensors.len());
    for info in &file.tensors {
        let mapped = tensors::map_name(&info.name, config.num_heads, config.num_kv_heads)
            .with_context(|| format!("in {}", file.path.display()))?;
        let shape = info.torch_shape();
        let mut data = file
            .dequantize(info)
            .with_context(|| format!("in {}", file.path.display()))?;
        if let Some(heads) = mapped.unpermute_heads {
            let rows = shape.first().copied().unwrap_or(0);
            let row_len = shape.iter().skip(1).product();
            data = tensors::unpermute_rows(&data, rows, row_len, heads)
                .with_context(|| format!("tensor `{}`", info.name))?;
        }
        out.push((mapped.hf_name, HostTensor { shape, data }));
    }
    check_complete(&out, config)?;
    Ok(out)
}

/// Fails unless every tensor a model of `config` is built from is present with the shape the
/// config implies (biases too, when the config has them).
fn check_complete(tensors: &[(String, HostTensor)], config: &ModelConfig) -> Result<()> {
    if config.num_layers > tensors.len() {
        bail!(
            "llama.block_count says {} layers, but the file holds only {} tensors",
            config.num_layers,
            tensors.len()
        );
    }
    let have: BTreeMap<&str, &[usize]> = tensors
        .iter()
        .map(|(name, t)| (name.as_str(), t.shape.as_slice()))
        .collect();
    let (d, f, vocab) = (
        config.hidden_size,
        config.intermediate_size,
        config.vocab_size,
    );
    let (q, kv) = (
        config.num_heads * config.head_dim,
        config.num_kv_heads * config.head_dim,
    );
    let mut want = vec![
        ("model.embed_tokens.weight".to_string(), vec![vocab, d]),
        ("model.norm.weight".to_string(), vec![d]),
    ];
    if !config.tie_word_embeddings {
        want.push(("lm_head.weight".into(), vec![vocab, d]));
    }
    for layer in 0..config.num_layers {
        let mut linear = |part: &str, d_out: usize, d_in: usize, bias: bool| {
            want.push((
                format!("model.layers.{layer}.{part}.weight"),
                vec![d_out, d_in],
            ));
            if bias {
                want.push((format!("model.layers.{layer}.{part}.bias"), vec![d_out]));
            }
        };
        linear("self_attn.q_proj", q, d, config.qkv_bias);
        linear("self_attn.k_proj", kv, d, config.qkv_bias);
        linear("self_attn.v_proj", kv, d, config.qkv_bias);
        linear("self_attn.o_proj", d, q, config.o_bias);
        linear("mlp.gate_proj", f, d, config.mlp_bias);
        linear("mlp.up_proj", f, d, config.mlp_bias);
        linear("mlp.down_proj", d, f, config.mlp_bias);
        for norm in ["input_layernorm", "post_attention_layernorm"] {
            want.push((format!("model.layers.{layer}.{norm}.weight"), vec![d]));
        }
    }
    for (name, shape) in &want {
        match have.get(name.as_str()) {
            None => bail!(
                "the file has no tensor for `{name}` ({} layers are announced by llama.block_count)",
                config.num_layers
            ),
            Some(found) if found != shape => {
                bail!("`{name}` has shape {found:?}, but the llama.* metadata implies {shape:?}")
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// `generation_config.json`: the bos, eos and padding ids transformers' `generate` uses.
fn generation_config(file: &GgufFile, config: &ModelConfig) -> Result<String> {
    let mut generation = json!({});
    let object = generation.as_object_mut().expect("a JSON object literal");
    if let Some(bos) = config.bos_token_id {
        object.insert("bos_token_id".into(), json!(bos));
    }
    if let Some(&eos) = config.eos_token_ids.first() {
        object.insert("eos_token_id".into(), json!(eos));
    }
    if let Some(pad) = file.optional_u64("tokenizer.ggml.padding_token_id")? {
        object.insert("pad_token_id".into(), json!(pad));
    }
    Ok(serde_json::to_string_pretty(&generation)?)
}

/// Imports `gguf` into the folder `out` (created if needed) and says what was written. The
/// weights go first and `config.json` last, each written atomically, so a folder with a
/// config is complete.
/// The model folder of a GGUF file: `<root>/imported/<file stem>-<hash>/`, imported on first
/// use (the weights' hash in the name, so two different files never share a folder).
pub fn cached(gguf: &Path, root: &Path) -> Result<PathBuf> {
    let hash = crate::runner::integrity::hash_file(gguf)?;
    let stem = gguf
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy());
    let dir = root.join("imported").join(format!("{stem}-{}", &hash[..8]));
    // `import` writes config.json last: a folder with one is complete.
    if !dir.join("config.json").exists() {
        eprintln!("importing {} into {}", gguf.display(), dir.display());
        import(gguf, &dir)?;
    }
    Ok(dir)
}

pub fn import(gguf: &Path, out: &Path) -> Result<String> {
    let started = Instant::now();
    let file = GgufFile::open(gguf)?;
    let config = hparams::model_config(&file).with_context(|| format!("in {}", gguf.display()))?;
    let rebuilt = tokenizer::rebuild(&file, config.max_position_embeddings)
        .with_context(|| format!("cannot rebuild the tokenizer of {}", gguf.display()))?;
    let vocab = rebuilt.tokenizer.get_vocab_size(true);
    if vocab > config.vocab_size {
        bail!(
            "the tokenizer has {vocab} tokens but the embedding only {}",
            config.vocab_size
        );
    }
    let tensors = hf_tensors(&file, &config)?;
    let mut types: Vec<&str> = file.tensors.iter().map(|t| t.ggml_type.name()).collect();
    types.sort_unstable();
    types.dedup();

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_safetensors(&out.join("model.safetensors"), &tensors, SaveDtype::F32)?;
    drop(tensors);
    let tokenizer_json = rebuilt
        .tokenizer
        .to_string(true)
        .map_err(|e| anyhow::anyhow!("cannot serialise the tokenizer: {e}"))?;
    crate::store::write_text(&out.join("tokenizer.json"), &tokenizer_json)?;
    crate::store::write_text(
        &out.join("tokenizer_config.json"),
        &serde_json::to_string_pretty(&rebuilt.config)?,
    )?;
    crate::store::write_text(
        &out.join("generation_config.json"),
        &generation_config(&file, &config)?,
    )?;
    crate::store::write_text(&out.join("config.json"), &config.to_hf_json())?;

    let mut report = String::new();
    writeln!(
        report,
        "imported {} ({}, GGUF v{}, {} tensors in {}) in {:.1}s",
        gguf.display(),
        file.optional_string("general.name")?.unwrap_or("unnamed"),
        file.version,
        file.tensors.len(),
        types.join("/"),
        started.elapsed().as_secs_f64()
    )?;
    writeln!(
        report,
        "wrote a Llama of {:.2}M parameters (f32), vocab {}, tied embeddings {}, to {}",
        config.num_parameters() as f64 / 1e6,
        config.vocab_size,
        config.tie_word_embeddings,
        out.display()
    )?;
    Ok(report)
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
