//! The architecture of one decoder-only transformer, read from (and written as) a Hugging Face
//! `config.json`, and the named presets: the paper's five base models and a ladder of tiny sizes.
//!
//! Qwen2/Qwen2.5 and Llama-3.x differ only in the details this struct names: Qwen2 has biases on
//! the q/k/v projections, Llama-3 rescales its rotary frequencies (`rope_scaling.rope_type =
//! "llama3"`), and either may tie the output projection to the input embedding.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

/// Which Hugging Face family a checkpoint belongs to (its `model_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// `Qwen2ForCausalLM` (Qwen2 and Qwen2.5): q/k/v biases.
    Qwen2,
    /// `LlamaForCausalLM` (Llama-3.x): optional `attention_bias`, llama3 rope scaling.
    Llama,
}

impl Architecture {
    fn model_type(self) -> &'static str {
        match self {
            Architecture::Qwen2 => "qwen2",
            Architecture::Llama => "llama",
        }
    }

    fn class_name(self) -> &'static str {
        match self {
            Architecture::Qwen2 => "Qwen2ForCausalLM",
            Architecture::Llama => "LlamaForCausalLM",
        }
    }
}

/// Llama-3's frequency-dependent rescaling of the rotary frequencies
/// (`transformers.modeling_rope_utils._compute_llama3_parameters`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Llama3RopeScaling {
    pub factor: f64,
    pub low_freq_factor: f64,
    pub high_freq_factor: f64,
    pub original_max_position_embeddings: usize,
}

/// Everything the forward pass needs to know about a model's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    pub architecture: Architecture,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f64,
    pub rope_scaling: Option<Llama3RopeScaling>,
    pub max_position_embeddings: usize,
    pub tie_word_embeddings: bool,
    /// Biases on the q, k and v projections (always on for Qwen2; `attention_bias` for Llama).
    pub qkv_bias: bool,
    /// Bias on the output projection (Llama's `attention_bias` covers it too; never for Qwen2).
    pub o_bias: bool,
    /// Biases on the MLP projections (Llama's `mlp_bias`).
    pub mlp_bias: bool,
    pub bos_token_id: Option<u32>,
    /// Generation stops at any of these (Llama-3 instruct models list several).
    pub eos_token_ids: Vec<u32>,
}

impl ModelConfig {
    /// Reads `config.json` from a checkpoint folder.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (a model folder needs config.json)",
                path.display()
            )
        })?;
        Self::from_hf_json(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses a Hugging Face `config.json` of a Qwen2 or Llama model.
    pub fn from_hf_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).context("config.json is not valid JSON")?;
        let json = value
            .as_object()
            .context("config.json must be a JSON object")?;
        let fields = Fields(json);
        let model_type = fields.string("model_type")?;
        let architecture = match model_type.as_str() {
            "qwen2" => Architecture::Qwen2,
            "llama" => Architecture::Llama,
            other => bail!(
                "model_type \"{other}\" is not supported; repro implements \"qwen2\" (Qwen2, Qwen2.5) and \"llama\" (Llama-3.x)"
            ),
        };
        let hidden_size = fields.usize("hidden_size")?;
        let num_heads = fields.usize("num_attention_heads")?;
        let num_kv_heads = fields
            .optional_usize("num_key_value_heads")?
            .unwrap_or(num_heads);
        let head_dim = fields
            .optional_usize("head_dim")?
            .unwrap_or(hidden_size / num_heads.max(1));
        // transformers 5 moves rope_theta and rope_scaling into one `rope_parameters` table.
        let rope = match json.get("rope_parameters") {
            Some(Value::Object(parameters)) => Some(Fields(parameters)),
            _ => None,
        };
        let rope_theta = match &rope {
            Some(parameters) if parameters.0.contains_key("rope_theta") => {
                parameters.f64("rope_theta")?
            }
            _ => fields.optional_f64("rope_theta")?.unwrap_or(10_000.0),
        };
        let scaling = match (&rope, json.get("rope_scaling")) {
            (_, Some(Value::Object(scaling))) => Some(Fields(scaling)),
            (Some(parameters), _) => Some(Fields(parameters.0)),
            _ => None,
        };
        let rope_scaling = match scaling {
            Some(scaling) => parse_rope_scaling(&scaling)?,
            None => None,
        };
        let attention_bias = fields.optional_bool("attention_bias")?.unwrap_or(false);
        let config = ModelConfig {
            architecture,
            vocab_size: fields.usize("vocab_size")?,
            hidden_size,
            intermediate_size: fields.usize("intermediate_size")?,
            num_layers: fields.usize("num_hidden_layers")?,
            num_heads,
            num_kv_heads,
            head_dim,
            rms_norm_eps: fields.optional_f64("rms_norm_eps")?.unwrap_or(1e-6),
            rope_theta,
            rope_scaling,
            max_position_embeddings: fields
                .optional_usize("max_position_embeddings")?
                .unwrap_or(4096),
            tie_word_embeddings: fields
                .optional_bool("tie_word_embeddings")?
                .unwrap_or(false),
            qkv_bias: architecture == Architecture::Qwen2 || attention_bias,
            o_bias: architecture == Architecture::Llama && attention_bias,
            mlp_bias: fields.optional_bool("mlp_bias")?.unwrap_or(false),
            bos_token_id: fields.optional_token_ids("bos_token_id")?.first().copied(),
            eos_token_ids: fields.optional_token_ids("eos_token_id")?,
        };
        config.validate()?;
        Ok(config)
    }

    /// The Hugging Face `config.json` for this architecture, so that a checkpoint saved by repro
    /// opens in transformers.
    pub fn to_hf_json(&self) -> String {
        let mut config = json!({
            "architectures": [self.architecture.class_name()],
            "model_type": self.architecture.model_type(),
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "max_position_embeddings": self.max_position_embeddings,
            "tie_word_embeddings": self.tie_word_embeddings,
            "torch_dtype": "float32",
        });
        let object = config.as_object_mut().expect("a JSON object literal");
        if let Some(scaling) = self.rope_scaling {
            object.insert(
                "rope_scaling".into(),
                json!({
                    "rope_type": "llama3",
                    "factor": scaling.factor,
                    "low_freq_factor": scaling.low_freq_factor,
                    "high_freq_factor": scaling.high_freq_factor,
                    "original_max_position_embeddings": scaling.original_max_position_embeddings,
                }),
            );
        }
        if self.architecture == Architecture::Llama {
            object.insert("attention_bias".into(), json!(self.qkv_bias));
            object.insert("mlp_bias".into(), json!(self.mlp_bias));
        } else {
            object.insert("use_sliding_window".into(), json!(false));
        }
        if let Some(bos) = self.bos_token_id {
            object.insert("bos_token_id".into(), json!(bos));
        }
        match self.eos_token_ids.as_slice() {
            [] => {}
            [eos] => {
                object.insert("eos_token_id".into(), json!(eos));
            }
            many => {
                object.insert("eos_token_id".into(), json!(many));
            }
        }
        serde_json::to_string_pretty(&config).expect("a config serialises")
    }

    /// Checks the relations between sizes that the forward pass relies on.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
            ("num_hidden_layers", self.num_layers),
            ("num_attention_heads", self.num_heads),
            ("num_key_value_heads", self.num_kv_heads),
            ("head_dim", self.head_dim),
        ] {
            if value == 0 {
                bail!("{name} must be positive");
            }
        }
        if self.num_heads % self.num_kv_heads != 0 {
            bail!(
                "num_attention_heads ({}) must be a multiple of num_key_value_heads ({})",
                self.num_heads,
                self.num_kv_heads
            );
        }
        if self.head_dim % 2 != 0 {
            bail!(
                "head_dim ({}) must be even for rotary embeddings",
                self.head_dim
            );
        }
        if !(self.rms_norm_eps > 0.0) || !(self.rope_theta > 1.0) {
            bail!("rms_norm_eps must be positive and rope_theta greater than 1");
        }
        Ok(())
    }

    /// Number of trainable parameters (the embedding counted once when tied).
    pub fn num_parameters(&self) -> usize {
        let (d, f) = (self.hidden_size, self.intermediate_size);
        let q = self.num_heads * self.head_dim;
        let kv = self.num_kv_heads * self.head_dim;
        let attention = d * q
            + 2 * d * kv
            + q * d
            + if self.qkv_bias { q + 2 * kv } else { 0 }
            + if self.o_bias { d } else { 0 };
        let mlp = 3 * d * f + if self.mlp_bias { 2 * f + d } else { 0 };
        let layer = attention + mlp + 2 * d;
        let embeddings = self.vocab_size * d * if self.tie_word_embeddings { 1 } else { 2 };
        embeddings + self.num_layers * layer + d
    }

    /// Multiply–accumulates of one token's forward pass through the weights, ×2 for FLOPs
    /// (attention over the context is not included).
    pub fn flops_per_token(&self) -> f64 {
        let untied_embedding = if self.tie_word_embeddings {
            0
        } else {
            self.vocab_size * self.hidden_size
        };
        // The input embedding is a lookup; the output projection is a matmul either way.
        2.0 * (self.num_parameters() - untied_embedding) as f64
    }
}

fn parse_rope_scaling(scaling: &Fields) -> Result<Option<Llama3RopeScaling>> {
    let kind = match scaling.0.get("rope_type").or_else(|| scaling.0.get("type")) {
        Some(Value::String(kind)) => kind.clone(),
        Some(other) => bail!("rope_scaling.rope_type must be a string, found {other}"),
        None => return Ok(None),
    };
    match kind.as_str() {
        "default" => Ok(None),
        "llama3" => Ok(Some(Llama3RopeScaling {
            factor: scaling.f64("factor")?,
            low_freq_factor: scaling.f64("low_freq_factor")?,
            high_freq_factor: scaling.f64("high_freq_factor")?,
            original_max_position_embeddings: scaling.usize("original_max_position_embeddings")?,
        })),
        other => bail!(
            "rope_scaling type \"{other}\" is not supported (repro implements \"default\" and \"llama3\")"
        ),
    }
}

/// Typed access to a JSON object's fields, with errors that name the field.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Result<&Value> {
        self.0
            .get(key)
            .with_context(|| format!("missing field `{key}`"))
    }

    fn string(&self, key: &str) -> Result<String> {
        match self.get(key)? {
            Value::String(s) => Ok(s.clone()),
            other => bail!("field `{key}` must be a string, found {other}"),
        }
    }

    fn usize(&self, key: &str) -> Result<usize> {
        let value = self.get(key)?;
        value
            .as_u64()
            .map(|v| v as usize)
            .with_context(|| format!("field `{key}` must be a non-negative integer, found {value}"))
    }

    fn f64(&self, key: &str) -> Result<f64> {
        let value = self.get(key)?;
        value
            .as_f64()
            .with_context(|| format!("field `{key}` must be a number, found {value}"))
    }

    fn optional_usize(&self, key: &str) -> Result<Option<usize>> {
        self.optional(key, Self::usize)
    }

    fn optional_f64(&self, key: &str) -> Result<Option<f64>> {
        self.optional(key, Self::f64)
    }

    fn optional_bool(&self, key: &str) -> Result<Option<bool>> {
        self.optional(key, |fields, key| {
            let value = fields.get(key)?;
            value
                .as_bool()
                .with_context(|| format!("field `{key}` must be true or false, found {value}"))
        })
    }

    /// A token id, a list of token ids, or null.
    fn optional_token_ids(&self, key: &str) -> Result<Vec<u32>> {
        let ids = |value: &Value| value.as_u64().and_then(|id| u32::try_from(id).ok());
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    ids(item).with_context(|| format!("field `{key}` holds {item}, not a token id"))
                })
                .collect(),
            Some(value) => Ok(vec![ids(value).with_context(|| {
                format!("field `{key}` must be a token id, found {value}")
            })?]),
        }
    }

    fn optional<T>(&self, key: &str, read: impl Fn(&Self, &str) -> Result<T>) -> Result<Option<T>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => read(self, key).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::presets;

    #[test]
    fn qwen25_05b_has_the_published_parameter_count() {
        // `Qwen2ForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B").num_parameters()` = 494,032,768.
        let config = presets::by_name("qwen2.5-0.5b").unwrap();
        assert_eq!(config.num_parameters(), 494_032_768);
    }

    #[test]
    fn llama32_1b_has_the_published_parameter_count() {
        // `LlamaForCausalLM.from_pretrained("meta-llama/Llama-3.2-1B").num_parameters()` = 1,235,814,400.
        let config = presets::by_name("llama-3.2-1b").unwrap();
        assert_eq!(config.num_parameters(), 1_235_814_400);
    }

    #[test]
    fn a_config_survives_writing_and_reading() {
        for name in presets::NAMES {
            let config = presets::by_name(name).unwrap();
            assert_eq!(
                ModelConfig::from_hf_json(&config.to_hf_json()).unwrap(),
                config,
                "{name}"
            );
        }
    }

    #[test]
    fn reads_a_transformers_5_rope_parameters_table() {
        let text = r#"{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
            "eos_token_id": [1, 2],
            "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 32.0,
              "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#;
        let config = ModelConfig::from_hf_json(text).unwrap();
        assert_eq!(config.rope_theta, 500000.0);
        assert_eq!(config.rope_scaling.unwrap().factor, 32.0);
        assert_eq!(config.eos_token_ids, vec![1, 2]);
        assert_eq!(config.head_dim, 4);
    }

    #[test]
    fn errors_name_the_field() {
        let missing = ModelConfig::from_hf_json(r#"{"model_type": "qwen2"}"#).unwrap_err();
        assert!(
            format!("{missing:#}").contains("`hidden_size`"),
            "{missing:#}"
        );
        let unsupported = ModelConfig::from_hf_json(r#"{"model_type": "gpt2"}"#).unwrap_err();
        assert!(
            format!("{unsupported:#}").contains("\"gpt2\" is not supported"),
            "{unsupported:#}"
        );
        let text = r#"{"model_type": "qwen2", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
            "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 2}"#;
        let heads = ModelConfig::from_hf_json(text).unwrap_err();
        assert!(
            format!("{heads:#}").contains("multiple of num_key_value_heads"),
            "{heads:#}"
        );
    }
}
