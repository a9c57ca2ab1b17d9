//! One decoder layer of Qwen2 / Llama-3: pre-norm grouped-query attention and a SwiGLU MLP,
//! each added back to the residual stream.
//!
//! ```text
//! h = x + o_proj(attention(rope(q_proj(n1)), rope(k_proj(n1)), v_proj(n1)))   n1 = rmsnorm(x)
//! y = h + down_proj(silu(gate_proj(n2)) ⊙ up_proj(n2))                          n2 = rmsnorm(h)
//! ```
//! (`transformers.models.qwen2.modeling_qwen2.Qwen2DecoderLayer`).

use anyhow::{Context, Result};
use burn::module::Module;
use burn::nn::{Linear, RmsNorm};
use burn::tensor::activation::silu;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Tensor};

use super::cache::LayerCache;
use super::config::ModelConfig;
use super::rope::RopeAngles;
use super::weights::{Builder, HostTensor};

#[derive(Module, Debug)]
pub struct DecoderLayer {
    input_layernorm: RmsNorm,
    self_attn: Attention,
    post_attention_layernorm: RmsNorm,
    mlp: Mlp,
}

#[derive(Module, Debug)]
pub struct Attention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    o_proj: Linear,
    num_heads: usize,
    num_kv_heads: usize,
    head_dim: usize,
}

#[derive(Module, Debug)]
pub struct Mlp {
    gate_proj: Linear,
    up_proj: Linear,
    down_proj: Linear,
}

/// A cache slot for one layer: the layer's cache, positions already filled, capacity.
pub type CacheSlot<'a> = (&'a mut LayerCache, usize, usize);

impl DecoderLayer {
    pub fn build(builder: &mut Builder, config: &ModelConfig, prefix: &str) -> Result<Self> {
        let d = config.hidden_size;
        let q = config.num_heads * config.head_dim;
        let kv = config.num_kv_heads * config.head_dim;
        let f = config.intermediate_size;
        let attn = format!("{prefix}.self_attn");
        let mlp = format!("{prefix}.mlp");
        Ok(DecoderLayer {
            input_layernorm: builder.rms_norm(
                &format!("{prefix}.input_layernorm"),
                d,
                config.rms_norm_eps,
            )?,
            self_attn: Attention {
                q_proj: builder.linear(&format!("{attn}.q_proj"), d, q, config.qkv_bias)?,
                k_proj: builder.linear(&format!("{attn}.k_proj"), d, kv, config.qkv_bias)?,
                v_proj: builder.linear(&format!("{attn}.v_proj"), d, kv, config.qkv_bias)?,
                o_proj: builder.linear(&format!("{attn}.o_proj"), q, d, config.o_bias)?,
                num_heads: config.num_heads,
                num_kv_heads: config.num_kv_heads,
                head_dim: config.head_dim,
            },
            post_attention_layernorm: builder.rms_norm(
                &format!("{prefix}.post_attention_layernorm"),
                d,
                config.rms_norm_eps,
            )?,
            mlp: Mlp {
                gate_proj: builder.linear(&format!("{mlp}.gate_proj"), d, f, config.mlp_bias)?,
                up_proj: builder.linear(&format!("{mlp}.up_proj"), d, f, config.mlp_bias)?,
                down_proj: builder.linear(&format!("{mlp}.down_proj"), f, d, config.mlp_bias)?,
            },
        })
    }

    /// # Shapes
    /// x: [batch, seq, hidden]; mask: [batch, kv_heads, group·seq, keys] (`grouped_mask`) → [batch, seq, hidden]
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeAngles,
        mask: &Tensor<4, Bool>,
        cache: Option<CacheSlot>,
    ) -> Tensor<3> {
        let h = x.clone()
            + self
                .self_attn
                .forward(self.input_layernorm.forward(x), rope, mask, cache);
        h.clone() + self.mlp.forward(self.post_attention_layernorm.forward(h))
    }

    /// Every parameter under its Hugging Face name, in Hugging Face layout.
    pub fn visit_named(
        &self,
        prefix: &str,
        visit: &mut dyn FnMut(String, HostTensor),
    ) -> Result<()> {
        let attn = &self.self_attn;
        for (name, norm) in [
            ("input_layernorm", &self.input_layernorm),
            ("post_attention_layernorm", &self.post_attention_layernorm),
        ] {
            visit_tensor(format!("{prefix}.{name}.weight"), norm.gamma.val(), visit)?;
        }
        for (name, linear) in [
            ("self_attn.q_proj", &attn.q_proj),
            ("self_attn.k_proj", &attn.k_proj),
            ("self_attn.v_proj", &attn.v_proj),
            ("self_attn.o_proj", &attn.o_proj),
            ("mlp.gate_proj", &self.mlp.gate_proj),
            ("mlp.up_proj", &self.mlp.up_proj),
            ("mlp.down_proj", &self.mlp.down_proj),
        ] {
            visit_linear(&format!("{prefix}.{name}"), linear, visit)?;
        }
        Ok(())
    }
}

/// A parameter read back to the host under its Hugging Face name; a failed read names it.
pub fn visit_tensor<const D: usize>(
    name: String,
    tensor: Tensor<D>,
    visit: &mut dyn FnMut(String, HostTensor),
) -> Result<()> {
    let host = HostTensor::of(tensor).with_context(|| format!("cannot read tensor {name}"))?;
    visit(name, host);
    Ok(())
}

/// A linear layer's weight (back in `[out, in]` layout) and bias under Hugging Face names.
pub fn visit_linear(
    name: &str,
    linear: &Linear,
    visit: &mut dyn FnMut(String, HostTensor),
) -> Result<()> {
    let weight = format!("{name}.weight");
    let host = HostTensor::linear_weight(linear.weight.val())
        .with_context(|| format!("cannot read tensor {weight}"))?;
    visit(weight, host);
    if let Some(bias) = &linear.bias {
        visit_tensor(format!("{name}.bias"), bias.val(), visit)?;
    }
    Ok(())
}

impl Attention {
    /// Causal grouped-query attention: each of the `num_kv_heads` key/value heads serves
    /// `num_heads / num_kv_heads` query heads.
    ///
    /// # Shapes
    /// x: [batch, seq, hidden] → [batch, seq, hidden]
    fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeAngles,
        mask: &Tensor<4, Bool>,
        cache: Option<CacheSlot>,
    ) -> Tensor<3> {
        let [batch, seq, _] = x.dims();
        let heads = |t: Tensor<3>, heads: usize| t.reshape([batch, seq, heads, self.head_dim]);
        // RoPE on [batch, seq, heads, head_dim], where the projection left them contiguous.
        let q = rope
            .apply(heads(self.q_proj.forward(x.clone()), self.num_heads))
            .swap_dims(1, 2); // [batch, heads, seq, head_dim]
        let k = rope
            .apply(heads(self.k_proj.forward(x.clone()), self.num_kv_heads))
            .swap_dims(1, 2); // [batch, kv_heads, seq, head_dim]
        let v = heads(self.v_proj.forward(x), self.num_kv_heads).swap_dims(1, 2); // [batch, kv_heads, seq, head_dim]
        let (k, v) = match cache {
            Some((layer, start, capacity)) => layer.append(k, v, start, capacity), // [batch, kv_heads, keys, head_dim]
            None => (k, v),
        };
        // Grouped-query attention without copying the shared heads: query head h reads
        // key/value head h / group, so the `group` query heads of one key/value head are
        // stacked along the query axis and attend to that head's keys once. (Expanding the keys
        // and values to every query head instead, as transformers' `repeat_kv` does, rebuilds
        // the whole KV cache in every layer at every decoding step.)
        let group = self.num_heads / self.num_kv_heads;
        let q = q.reshape([batch, self.num_kv_heads, group * seq, self.head_dim]); // [batch, kv_heads, group·seq, head_dim]
        let mask = mask.clone(); // [batch, kv_heads, group·seq, keys]: `grouped_mask`
        let options = AttentionModuleOptions {
            scale: None,
            softcap: None,
            is_causal: false,
        };
        let out = attention(q, k, v, Some(mask), None, options); // [batch, kv_heads, group·seq, head_dim]
        let out = out
            .reshape([batch, self.num_heads, seq, self.head_dim])
            .swap_dims(1, 2)
            .reshape([batch, seq, self.num_heads * self.head_dim]);
        self.o_proj.forward(out)
    }
}

/// The attention mask for query heads stacked by key/value head (`Attention::forward`), built
/// once per forward for every layer.
///
/// # Shapes
/// mask: [batch, 1, seq, keys] (true = may not attend) → [batch, kv_heads, group·seq, keys]
pub fn grouped_mask(mask: Tensor<4, Bool>, config: &ModelConfig) -> Tensor<4, Bool> {
    let [batch, _, seq, keys] = mask.dims();
    let (kv_heads, group) = (config.num_kv_heads, config.num_heads / config.num_kv_heads);
    mask.unsqueeze_dim::<5>(2)
        .expand([batch, kv_heads, group, seq, keys])
        .reshape([batch, kv_heads, group * seq, keys])
}

impl Mlp {
    /// SwiGLU: `down(silu(gate(x)) ⊙ up(x))`.
    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.down_proj
            .forward(silu(self.gate_proj.forward(x.clone())) * self.up_proj.forward(x))
    }
}
