//! A random tiny Llama written as GGUF the way llama.cpp's converter writes it (q/k rows
//! permuted, ggml dims reversed, names renamed), imported back: the folder loads in repro and
//! gives bit-identical logits to the model it came from.

use std::path::{Path, PathBuf};

use super::*;
use crate::model::batch::{Inputs, left_pad};
use crate::model::config::Architecture;
use crate::model::gguf::Value;
use crate::model::gguf::testing::{TestTensor, gguf_bytes, strings};
use crate::model::weights::RandomInit;
use crate::model::{DeviceKind, Transformer, checkpoint};

fn tiny_config(tie: bool) -> ModelConfig {
    ModelConfig {
        architecture: Architecture::Llama,
        vocab_size: 8,
        hidden_size: 16,
        intermediate_size: 24,
        num_layers: 2,
        num_heads: 4,
        num_kv_heads: 2,
        head_dim: 4,
        rms_norm_eps: 1e-5,
        rope_theta: 10000.0,
        rope_scaling: None,
        max_position_embeddings: 64,
        tie_word_embeddings: tie,
        qkv_bias: false,
        o_bias: false,
        mlp_bias: false,
        bos_token_id: Some(1),
        eos_token_ids: vec![0],
    }
}

/// `LlamaModel.permute` of convert_hf_to_gguf.py for a `[rows, row_len]` weight:
/// `w.reshape(heads, 2, rows / heads / 2, row_len).swapaxes(1, 2)`.
fn converter_permute(data: &[f32], rows: usize, row_len: usize, heads: usize) -> Vec<f32> {
    let half = rows / heads / 2;
    let mut out = Vec::with_capacity(data.len());
    for h in 0..heads {
        for i in 0..half {
            for j in 0..2 {
                let row = (h * 2 + j) * half + i; // index [h, j, i] of the reshaped array
                out.extend_from_slice(&data[row * row_len..(row + 1) * row_len]);
            }
        }
    }
    out
}

/// The GGUF name of a Hugging Face tensor name (the converter's renaming).
fn gguf_name(hf: &str) -> String {
    let fixed = [
        ("model.embed_tokens.weight", "token_embd.weight"),
        ("model.norm.weight", "output_norm.weight"),
        ("lm_head.weight", "output.weight"),
    ];
    if let Some((_, g)) = fixed.iter().find(|(h, _)| *h == hf) {
        return g.to_string();
    }
    let rest = hf.strip_prefix("model.layers.").unwrap();
    let (layer, part) = rest.split_once('.').unwrap();
    let part = part
        .replace("self_attn.q_proj", "attn_q")
        .replace("self_attn.k_proj", "attn_k")
        .replace("self_attn.v_proj", "attn_v")
        .replace("self_attn.o_proj", "attn_output")
        .replace("mlp.gate_proj", "ffn_gate")
        .replace("mlp.up_proj", "ffn_up")
        .replace("mlp.down_proj", "ffn_down")
        .replace("post_attention_layernorm", "ffn_norm")
        .replace("input_layernorm", "attn_norm");
    format!("blk.{layer}.{part}")
}

fn metadata(config: &ModelConfig) -> Vec<(&'static str, Value)> {
    let tokens = [
        "<|endoftext|>",
        "<|im_start|>",
        "a",
        "b",
        "Ġ",
        "ab",
        "Ġa",
        "c",
    ];
    let mut types = vec![Value::I32(1); tokens.len()];
    types[0] = Value::I32(3);
    types[1] = Value::I32(3);
    vec![
        ("general.architecture", Value::String("llama".into())),
        ("general.name", Value::String("tiny".into())),
        ("llama.block_count", Value::U32(config.num_layers as u32)),
        ("llama.context_length", Value::U32(64)),
        (
            "llama.embedding_length",
            Value::U32(config.hidden_size as u32),
        ),
        (
            "llama.feed_forward_length",
            Value::U32(config.intermediate_size as u32),
        ),
        (
            "llama.attention.head_count",
            Value::U32(config.num_heads as u32),
        ),
        (
            "llama.attention.head_count_kv",
            Value::U32(config.num_kv_heads as u32),
        ),
        ("llama.rope.freq_base", Value::F32(10000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("llama.vocab_size", Value::U32(config.vocab_size as u32)),
        (
            "llama.rope.dimension_count",
            Value::U32(config.head_dim as u32),
        ),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("smollm".into())),
        ("tokenizer.ggml.tokens", strings(&tokens)),
        ("tokenizer.ggml.token_type", Value::Array(types)),
        ("tokenizer.ggml.merges", strings(&["a b", "Ġ a"])),
        ("tokenizer.ggml.bos_token_id", Value::U32(1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(0)),
        ("tokenizer.ggml.padding_token_id", Value::U32(0)),
        (
            "tokenizer.chat_template",
            Value::String("{{ bos_token }}".into()),
        ),
    ]
}

/// A random model and its GGUF file as llama.cpp would write it (`skip` drops one tensor).
fn model_and_gguf(config: &ModelConfig, skip: Option<&str>) -> (Transformer, Vec<u8>) {
    model_and_gguf_with(config, &metadata(config), skip)
}

/// The same with the metadata given.
fn model_and_gguf_with(
    config: &ModelConfig,
    metadata: &[(&str, Value)],
    skip: Option<&str>,
) -> (Transformer, Vec<u8>) {
    let device = DeviceKind::Cpu.device().unwrap();
    let model = Transformer::build(config, &mut RandomInit::new(7), &device).unwrap();
    let mut tensors = Vec::new();
    model
        .visit_named(&mut |name, tensor| {
            let (rows, row_len) = (tensor.shape[0], tensor.shape.iter().skip(1).product());
            let data = if name.contains("q_proj") {
                converter_permute(&tensor.data, rows, row_len, config.num_heads)
            } else if name.contains("k_proj") {
                converter_permute(&tensor.data, rows, row_len, config.num_kv_heads)
            } else {
                tensor.data.clone()
            };
            let dims: Vec<u64> = tensor.shape.iter().rev().map(|&d| d as u64).collect();
            let gguf = gguf_name(&name);
            if skip != Some(gguf.as_str()) {
                tensors.push(TestTensor::f32(&gguf, &dims, &data));
            }
        })
        .unwrap();
    (model, gguf_bytes(metadata, &tensors, 32))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("repro-gguf-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn logits(model: &Transformer) -> Vec<f32> {
    let device = DeviceKind::Cpu.device().unwrap();
    let (tokens, valid) = left_pad(&[vec![1, 2, 5, 3, 7, 6]], 0);
    model
        .forward(Inputs::full(&tokens, &valid, &device))
        .try_into_vec_as::<f32>()
        .unwrap()
}

fn import_tiny(name: &str, tie: bool) -> (Transformer, PathBuf, PathBuf) {
    let dir = scratch(name);
    let (model, bytes) = model_and_gguf(&tiny_config(tie), None);
    let gguf = dir.join("tiny.gguf");
    std::fs::write(&gguf, bytes).unwrap();
    let out = dir.join("hf");
    let report = import(&gguf, &out).unwrap();
    assert!(
        report.contains(&format!("tied embeddings {tie}")),
        "{report}"
    );
    (model, out, dir)
}

#[test]
fn an_imported_model_gives_the_logits_of_the_original() {
    for tie in [true, false] {
        let (model, out, dir) = import_tiny(&format!("logits-{tie}"), tie);
        let device = DeviceKind::Cpu.device().unwrap();
        let imported = checkpoint::load(&out, &device).unwrap();
        assert_eq!(imported.config(), model.config(), "tie {tie}");
        assert_eq!(
            logits(&imported),
            logits(&model),
            "tie {tie}: bit-identical logits"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn the_folder_has_the_tokenizer_and_the_configs() {
    let (_, out, dir) = import_tiny("folder", true);
    let tokenizer = crate::model::tokenizer::Tokenizer::from_model_dir(&out).unwrap();
    assert_eq!(tokenizer.encode("<|im_start|>ab a").unwrap(), vec![1, 5, 6]);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let config = read("config.json");
    assert_eq!(config["architectures"][0], "LlamaForCausalLM");
    assert_eq!(config["rms_norm_eps"], 1e-5);
    assert_eq!(config["tie_word_embeddings"], true);
    assert_eq!(
        read("generation_config.json"),
        serde_json::json!({"bos_token_id": 1, "eos_token_id": 0, "pad_token_id": 0})
    );
    let tokenizer_config = read("tokenizer_config.json");
    assert_eq!(tokenizer_config["chat_template"], "{{ bos_token }}");
    assert_eq!(tokenizer_config["bos_token"], "<|im_start|>");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_tensor_is_named_and_nothing_is_written() {
    let dir = scratch("missing");
    let (_, bytes) = model_and_gguf(&tiny_config(true), Some("blk.1.ffn_up.weight"));
    let gguf = dir.join("broken.gguf");
    std::fs::write(&gguf, bytes).unwrap();
    let out = dir.join("hf");
    let error = format!("{:#}", import(&gguf, &out).unwrap_err());
    assert!(
        error.contains("model.layers.1.mlp.up_proj.weight"),
        "{error}"
    );
    assert!(!out.join("config.json").exists());
    let missing = format!(
        "{:#}",
        import(Path::new("/nonexistent/x.gguf"), &out).unwrap_err()
    );
    assert!(missing.contains("/nonexistent/x.gguf"), "{missing}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metadata_that_contradicts_the_shapes_is_refused() {
    let dir = scratch("shapes");
    let config = tiny_config(true);
    let wider = ModelConfig {
        intermediate_size: 32,
        ..config.clone()
    };
    let (_, bytes) = model_and_gguf_with(&config, &metadata(&wider), None);
    let gguf = dir.join("wrong.gguf");
    std::fs::write(&gguf, bytes).unwrap();
    let error = format!("{:#}", import(&gguf, &dir.join("hf")).unwrap_err());
    assert!(
        error.contains("mlp.gate_proj.weight` has shape [24, 16]") && error.contains("[32, 16]"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
