//! GGUF tensor names to the Hugging Face names of a `LlamaForCausalLM`, and the one change of
//! values on the way: undoing llama.cpp's reordering of the q and k projection rows.
//!
//! Names follow llama.cpp's `gguf-py/gguf/tensor_mapping.py` (`token_embd`, `blk.N.attn_q`, …);
//! the targets are the names repro's loader asks for (`model::layers`, `model::transformer`).

use anyhow::{Result, bail};

/// What a GGUF tensor becomes in the Hugging Face checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub hf_name: String,
    /// Rows of q (or k) to un-permute: `Some(heads)` for `attn_q`/`attn_k` weights and biases.
    pub unpermute_heads: Option<usize>,
}

/// The Hugging Face name of GGUF tensor `name`, and whether its rows must be un-permuted
/// (`n_head` heads for q, `n_head_kv` for k); an error for a tensor this importer does not know.
pub fn map_name(name: &str, n_head: usize, n_head_kv: usize) -> Result<Mapped> {
    let plain = |hf: &str| Mapped {
        hf_name: hf.to_string(),
        unpermute_heads: None,
    };
    match name {
        "token_embd.weight" => return Ok(plain("model.embed_tokens.weight")),
        "output_norm.weight" => return Ok(plain("model.norm.weight")),
        "output.weight" => return Ok(plain("lm_head.weight")),
        "rope_freqs.weight" => bail!(
            "`rope_freqs.weight` (Llama-3.1-style rope scaling factors) is not supported; \
             the importer reads Llama models with plain rotary embeddings"
        ),
        _ => {}
    }
    let Some(rest) = name.strip_prefix("blk.") else {
        bail!("tensor `{name}` is not one this importer knows (a Llama GGUF file was expected)");
    };
    let (layer, part) = rest
        .split_once('.')
        .filter(|(layer, _)| !layer.is_empty() && layer.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| anyhow::anyhow!("tensor `{name}` has no layer number after `blk.`"))?;
    let (base, suffix) = part
        .rsplit_once('.')
        .filter(|(_, suffix)| matches!(*suffix, "weight" | "bias"))
        .ok_or_else(|| anyhow::anyhow!("tensor `{name}` is neither a weight nor a bias"))?;
    let (hf, heads) = match base {
        "attn_q" => ("self_attn.q_proj", Some(n_head)),
        "attn_k" => ("self_attn.k_proj", Some(n_head_kv)),
        "attn_v" => ("self_attn.v_proj", None),
        "attn_output" => ("self_attn.o_proj", None),
        "ffn_gate" => ("mlp.gate_proj", None),
        "ffn_up" => ("mlp.up_proj", None),
        "ffn_down" => ("mlp.down_proj", None),
        "attn_norm" => ("input_layernorm", None),
        "ffn_norm" => ("post_attention_layernorm", None),
        other => {
            bail!("tensor `{name}`: `{other}` is not a part of a Llama layer this importer knows")
        }
    };
    Ok(Mapped {
        hf_name: format!("model.layers.{layer}.{hf}.{suffix}"),
        unpermute_heads: heads,
    })
}

/// Undoes `LlamaModel.permute` of llama.cpp's `convert_hf_to_gguf.py`.
///
/// The converter reorders the rows of each head of `q_proj`/`k_proj` from Hugging Face's
/// "rotate half" layout (the first half of a head's dimensions pairs with the second half) to
/// ggml's interleaved one (dimension pairs adjacent): as arrays,
/// `w.reshape(heads, 2, head_dim / 2, rest).swapaxes(1, 2)`. So GGUF row `h·hd + 2i + j` holds
/// Hugging Face row `h·hd + j·hd/2 + i`; this puts each row back. `data` is `rows × row_len`
/// row-major (a weight, or a bias with `row_len` 1).
pub fn unpermute_rows(data: &[f32], rows: usize, row_len: usize, heads: usize) -> Result<Vec<f32>> {
    if heads == 0 || rows % (2 * heads) != 0 || data.len() != rows * row_len {
        bail!(
            "cannot un-permute {rows} rows of {row_len} for {heads} heads ({} values): rows \
             must split into heads of an even size",
            data.len()
        );
    }
    let head_dim = rows / heads;
    let half = head_dim / 2;
    let mut out = vec![0.0; data.len()];
    for h in 0..heads {
        for i in 0..half {
            for j in 0..2 {
                let gguf_row = h * head_dim + 2 * i + j;
                let hf_row = h * head_dim + j * half + i;
                out[hf_row * row_len..(hf_row + 1) * row_len]
                    .copy_from_slice(&data[gguf_row * row_len..(gguf_row + 1) * row_len]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_loader_names() {
        let map = |name| map_name(name, 9, 3).unwrap();
        assert_eq!(
            map("token_embd.weight").hf_name,
            "model.embed_tokens.weight"
        );
        assert_eq!(map("output.weight").hf_name, "lm_head.weight");
        assert_eq!(map("output_norm.weight").hf_name, "model.norm.weight");
        let q = map("blk.12.attn_q.weight");
        assert_eq!(q.hf_name, "model.layers.12.self_attn.q_proj.weight");
        assert_eq!(q.unpermute_heads, Some(9));
        assert_eq!(map("blk.0.attn_k.bias").unpermute_heads, Some(3));
        assert_eq!(
            map("blk.0.attn_k.bias").hf_name,
            "model.layers.0.self_attn.k_proj.bias"
        );
        assert_eq!(map("blk.3.attn_v.weight").unpermute_heads, None);
        assert_eq!(
            map("blk.3.attn_output.weight").hf_name,
            "model.layers.3.self_attn.o_proj.weight"
        );
        assert_eq!(
            map("blk.3.ffn_gate.weight").hf_name,
            "model.layers.3.mlp.gate_proj.weight"
        );
        assert_eq!(
            map("blk.3.ffn_up.weight").hf_name,
            "model.layers.3.mlp.up_proj.weight"
        );
        assert_eq!(
            map("blk.3.ffn_down.weight").hf_name,
            "model.layers.3.mlp.down_proj.weight"
        );
        assert_eq!(
            map("blk.3.attn_norm.weight").hf_name,
            "model.layers.3.input_layernorm.weight"
        );
        assert_eq!(
            map("blk.3.ffn_norm.weight").hf_name,
            "model.layers.3.post_attention_layernorm.weight"
        );
        for bad in [
            "blk.x.attn_q.weight",
            "blk.1.attn_qkv.weight",
            "blk.1.attn_q",
            "pos_embd.weight",
            "rope_freqs.weight",
        ] {
            assert!(map_name(bad, 9, 3).is_err(), "{bad}");
        }
    }

    /// `convert_hf_to_gguf.py`'s permutation, written out for one head of dimension 4:
    /// HF rows [r0, r1, r2, r3] (pairs (r0, r2), (r1, r3)) become [r0, r2, r1, r3].
    #[test]
    fn unpermuting_restores_the_rotate_half_order() {
        // Two heads of dimension 4, rows of 2 values; GGUF rows as the converter writes them.
        let gguf = [
            0., 0., 2., 2., 1., 1., 3., 3., 4., 4., 6., 6., 5., 5., 7., 7.,
        ];
        let hf = unpermute_rows(&gguf, 8, 2, 2).unwrap();
        assert_eq!(
            hf,
            [
                0., 0., 1., 1., 2., 2., 3., 3., 4., 4., 5., 5., 6., 6., 7., 7.
            ]
        );
        // head_dim 6: GGUF [0, 3, 1, 4, 2, 5] → HF [0, 1, 2, 3, 4, 5].
        let bias = unpermute_rows(&[0., 3., 1., 4., 2., 5.], 6, 1, 1).unwrap();
        assert_eq!(bias, [0., 1., 2., 3., 4., 5.]);
        assert!(unpermute_rows(&[0.0; 6], 6, 1, 2).is_err(), "odd head_dim");
        assert!(unpermute_rows(&[0.0; 5], 6, 1, 1).is_err(), "wrong length");
    }
}
