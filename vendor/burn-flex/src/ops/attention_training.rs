//! repro patch: the row-wise passes of attention under autodiff, each run once per row.
//!
//! repro's burn-autodiff patch makes training attention one differentiable operation whose
//! forward keeps `P = softmax(mask(Q Kᵀ · scale))` and whose backward needs
//! `dS = P ⊙ (dP − D)`. Through the backend's operations (`attention_fallback`'s, in its
//! order) the forward makes seven passes over the `[batch, heads, queries, keys]` scores —
//! `mul_scalar`, `mask_fill`, `max_dim`, `sub`, `exp`, `sum_dim`, `div` — each writing a new
//! tensor of that size, and the backward two more (`sub`, `mul`). Here each row of scores is
//! taken through the same arithmetic while it is in cache, in the matmul's own output buffer:
//!
//! ```text
//! s = mask ? −∞ : s · scale        m = max(max_j s_j, f32::MIN)
//! e = exp(s − m)                   z = max(Σ_j e_j, f32::MIN_POSITIVE)      P = e / z
//! ```
//!
//! The same bits as the operations one by one: every element is computed by the same f32
//! operation (`a * b`, `a - b`, `a / b`, the crate's `exp`), the row sum by `sum_dim`'s own
//! kernel over the whole row, and both clamps test `is_nan` as `float_clamp_min` does. A row
//! maximum does not depend on the order it is taken in (a NaN anywhere gives NaN, as
//! `max_dim` does; a ±0 maximum gives the same `s − m` after `exp`). Keys after a row's last
//! unmasked one are −∞, so `exp(−∞ − m) = 0` and `0 / z = 0` there: they are written as 0
//! without the exp (the causal half of every training row), unless `m` or `z` is NaN.

use burn_backend::DType;
use burn_backend::ops::FloatTensorOps;
use burn_std::BoolStore;

use crate::{Flex, FlexTensor};

/// `P = softmax(mask(Q Kᵀ · scale))` along the keys, with `attention_fallback`'s bits;
/// `Err` (inputs untouched) unless query and key are f32 and the mask holds a byte per key.
///
/// # Shapes
/// query: [batch, heads, queries, head_dim]; key: [batch, heads, keys, head_dim];
/// mask: broadcastable to [batch, heads, queries, keys] (true = may not attend)
/// → [batch, heads, queries, keys]
pub fn attention_probabilities(
    query: FlexTensor,
    key: FlexTensor,
    mask: Option<FlexTensor>,
    scale: f64,
) -> Result<FlexTensor, (FlexTensor, FlexTensor, Option<FlexTensor>)> {
    let byte_mask = mask.as_ref().is_none_or(|m| {
        matches!(m.dtype(), DType::Bool(BoolStore::Native | BoolStore::U8))
    });
    if query.dtype() != DType::F32 || key.dtype() != DType::F32 || !byte_mask {
        return Err((query, key, mask));
    }
    let mut scores = contiguous_elements(Flex::float_matmul(query, Flex::float_transpose(key)));
    let dims = scores.layout().shape().to_vec();
    let (row_len, rows) = (dims[3], dims[0] * dims[1] * dims[2]);
    // The mask as u8 rows of `row_len`, one per score row (a materialized broadcast).
    let mask = mask.map(|mask| {
        crate::ops::expand::expand(mask, burn_std::Shape::from(dims.clone())).to_contiguous()
    });
    let mask_bytes: Option<&[u8]> = mask.as_ref().map(|m| {
        let start = m.layout().start_offset();
        &m.bytes()[start..start + rows * row_len]
    });
    debug_assert!(mask_bytes.is_none_or(|m| m.len() == rows * row_len));
    let scale = scale as f32; // `float_mul_scalar`'s conversion of its scalar
    let data = elements_mut(&mut scores);
    crate::par::for_row_chunks(data, row_len.max(1), |first_row, chunk| {
        for (i, row) in chunk.chunks_exact_mut(row_len.max(1)).enumerate() {
            let at = (first_row + i) * row_len;
            probabilities_row(row, mask_bytes.map(|m| &m[at..at + row_len]), scale);
        }
    });
    Ok(scores)
}

/// One row of `attention_probabilities`, in place.
fn probabilities_row(row: &mut [f32], mask: Option<&[u8]>, scale: f32) {
    // float_mul_scalar, then float_mask_fill with −∞.
    match mask {
        Some(mask) => {
            for (s, &m) in row.iter_mut().zip(mask) {
                *s = if m != 0 { f32::NEG_INFINITY } else { *s * scale };
            }
        }
        None => row.iter_mut().for_each(|s| *s = *s * scale),
    }
    let max = clamp_min(nan_propagating_max(row), f32::MIN); // max_dim, clamp_min
    let end = match mask {
        Some(mask) if !max.is_nan() => mask.iter().rposition(|&m| m == 0).map_or(0, |j| j + 1),
        _ => row.len(),
    };
    let (weighted, after) = row.split_at_mut(end);
    weighted.iter_mut().for_each(|s| *s = *s - max); // float_sub
    crate::ops::expf::exp_in_place(weighted); // float_exp
    after.fill(0.0);
    let sum = clamp_min(row_sum(row), f32::MIN_POSITIVE); // sum_dim, clamp_min
    let end = if sum.is_nan() { row.len() } else { end };
    row[..end].iter_mut().for_each(|e| *e = *e / sum); // float_div
}

/// `float_clamp_min`'s rule: NaN stays NaN, anything not above `min` becomes `min`.
fn clamp_min(x: f32, min: f32) -> f32 {
    if x.is_nan() || x > min { x } else { min }
}

/// The row's maximum, NaN if any element is NaN (`max_dim`'s result), over 8 lanes.
fn nan_propagating_max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let mut nan = false;
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            nan |= v.is_nan();
            *lane = if v > *lane { v } else { *lane };
        }
    }
    let mut max = f32::NEG_INFINITY;
    for &v in lanes.iter().chain(rest) {
        nan |= v.is_nan();
        max = if v > max { v } else { max };
    }
    if nan { f32::NAN } else { max }
}

/// The sum `sum_dim` takes of one contiguous row of the last dimension (`reduce_last_dim_f32`).
fn row_sum(row: &[f32]) -> f32 {
    #[cfg(feature = "simd")]
    {
        crate::simd::kernels::sum_f32(row)
    }
    #[cfg(not(feature = "simd"))]
    {
        row.iter().copied().sum()
    }
}

/// `dS = P ⊙ (dP − D)` in `d_p`'s buffer, with the bits of `float_mul(p, float_sub(d_p, d))`;
/// `Err` (inputs untouched) unless all three are f32 and `p`, `d` contiguous.
///
/// # Shapes
/// p, d_p: [batch, heads, queries, keys]; d: [batch, heads, queries, 1]
pub fn softmax_gradient(
    p: &FlexTensor,
    d_p: FlexTensor,
    d: &FlexTensor,
) -> Result<FlexTensor, FlexTensor> {
    let f32s = [p, &d_p, d].iter().all(|t| t.dtype() == DType::F32);
    if !f32s || !p.layout().is_contiguous() || !d.layout().is_contiguous() {
        return Err(d_p);
    }
    let dims = p.layout().shape().to_vec();
    let d_dims = d.layout().shape().to_vec();
    if d_p.layout().shape().to_vec() != dims || d_dims[..3] != dims[..3] || d_dims[3] != 1 {
        return Err(d_p);
    }
    let row_len = dims[3].max(1);
    let mut d_s = contiguous_elements(d_p);
    let (p_data, d_data) = (elements(p), elements(d));
    let out = elements_mut(&mut d_s);
    crate::par::for_row_chunks(out, row_len, |first_row, chunk| {
        for (i, row) in chunk.chunks_exact_mut(row_len).enumerate() {
            let r = first_row + i;
            let p_row = &p_data[r * row_len..(r + 1) * row_len];
            let d_r = d_data[r];
            for (g, &p) in row.iter_mut().zip(p_row) {
                *g = p * (*g - d_r);
            }
        }
    });
    Ok(d_s)
}

/// The tensor's elements as one mutable slice in row-major order: its own buffer when it is
/// contiguous and not shared (a matmul's output), else a contiguous copy's.
fn contiguous_elements(tensor: FlexTensor) -> FlexTensor {
    if tensor.layout().is_contiguous() {
        tensor
    } else {
        tensor.to_contiguous()
    }
}

fn elements_mut(tensor: &mut FlexTensor) -> &mut [f32] {
    let (start, len) = (tensor.layout().start_offset(), tensor.layout().num_elements());
    &mut tensor.storage_mut::<f32>()[start..start + len]
}

fn elements(tensor: &FlexTensor) -> &[f32] {
    let (start, len) = (tensor.layout().start_offset(), tensor.layout().num_elements());
    &tensor.storage::<f32>()[start..start + len]
}
