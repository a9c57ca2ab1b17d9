//! repro patch: scaled dot-product attention as one differentiable operation.
//!
//! Upstream, `Autodiff::attention` runs burn's `attention_fallback` through autodiff: a dozen
//! tracked operations over the `[batch, heads, queries, keys]` scores (matmul, scale, mask,
//! max, clamp, subtract, exp, sum, clamp, divide, matmul), each recorded and each
//! differentiated on its own. Here the forward runs the same backend operations in the same
//! order, untracked — its output is `attention_fallback`'s to the bit — and the backward is the
//! closed form of softmax attention's gradient (Dao et al. 2022, "FlashAttention", Appendix
//! B.2, with their D = rowsum(dO ⊙ O)):
//!
//! ```text
//! S = mask(Q Kᵀ · scale)    P = softmax(S)    O = P V
//! dV = Pᵀ dO    dP = dO Vᵀ    D = rowsum(dO ⊙ O)    dS = P ⊙ (dP − D)
//! dQ = scale · dS K    dK = scale · dSᵀ Q
//! ```
//!
//! D equals rowsum(dP ⊙ P) (Σ_j P_ij dP_ij = Σ_j P_ij Σ_c dO_ic V_jc = Σ_c dO_ic O_ic) and
//! costs a pass over `[queries, head_dim]` instead of `[queries, keys]`. Masked scores have
//! P = 0, hence dS = 0, as the fallback's masked fill gives. The gradients are those of the
//! decomposed chain up to float rounding (the chain also carries the softmax's max through a
//! term that is zero in exact arithmetic).

use core::any::Any;

use burn_backend::ops::AttentionModuleOptions;
use burn_backend::tensor::{BoolTensor, FloatTensor};
use burn_backend::{Backend, TensorMetadata};

use crate::Autodiff;
use crate::checkpoint::base::Checkpointer;
use crate::checkpoint::strategy::CheckpointStrategy;
use crate::grads::Gradients;
use crate::ops::{Backward, Ops, OpsKind};
use crate::tensor::AutodiffTensor;

/// Whether `attention` applies: query, keys and values share their batch and head axes (no
/// broadcasting, whose gradient would need a reduction the closed form leaves out).
pub(crate) fn supports<B: Backend>(
    query: &AutodiffTensor<B>,
    key: &AutodiffTensor<B>,
    value: &AutodiffTensor<B>,
) -> bool {
    let [q, k, v] = [query, key, value].map(|t| t.primitive.shape().dims::<4>());
    q[..2] == k[..2] && k[..2] == v[..2]
}

/// # Shapes
/// query: [batch, heads, queries, head_dim]; key, value: [batch, heads, keys, head_dim];
/// mask: broadcastable to [batch, heads, queries, keys] (true = may not attend)
/// → [batch, heads, queries, head_dim]
pub(crate) fn attention<B: Backend, C: CheckpointStrategy>(
    query: AutodiffTensor<B>,
    key: AutodiffTensor<B>,
    value: AutodiffTensor<B>,
    mask: Option<BoolTensor<B>>,
    options: AttentionModuleOptions,
) -> FloatTensor<Autodiff<B, C>> {
    let head_dim = query.primitive.shape().dims::<4>()[3];
    let scale = options
        .scale
        .unwrap_or_else(|| 1.0 / (head_dim as f64).sqrt());
    let prep = Attention
        .prepare::<C>([query.node(), key.node(), value.node()])
        .compute_bound()
        .stateful();
    let (q, k, v) = (query.primitive, key.primitive, value.primitive);
    match prep {
        OpsKind::Tracked(prep) => {
            let p = probabilities::<B>(q.clone(), k.clone(), mask, scale);
            let o = B::float_matmul(p.clone(), v.clone());
            let state = State {
                q,
                k,
                v,
                p,
                o: o.clone(),
                scale,
            };
            prep.finish(state, o)
        }
        OpsKind::UnTracked(prep) => {
            let p = probabilities::<B>(q, k, mask, scale);
            prep.finish(B::float_matmul(p, v))
        }
    }
}

/// P = softmax(mask(Q Kᵀ · scale)) by `attention_fallback`'s operations, in its order: the row
/// maximum clamped to the dtype's most negative finite value and the row sum to its smallest
/// positive normal, so a fully masked row gives zeros, not NaN. On burn-flex the row passes run
/// fused, with the same bits (`burn_flex::ops::attention_training`).
fn probabilities<B: Backend>(
    q: B::FloatTensorPrimitive,
    k: B::FloatTensorPrimitive,
    mask: Option<BoolTensor<B>>,
    scale: f64,
) -> B::FloatTensorPrimitive {
    if let Some(p) = flex_probabilities::<B>(&q, &k, mask.as_ref(), scale) {
        return p;
    }
    let scores = B::float_mul_scalar(B::float_matmul(q, B::float_transpose(k)), scale.into());
    let scores = match mask {
        Some(mask) => B::float_mask_fill(scores, mask, f32::NEG_INFINITY.into()),
        None => scores,
    };
    let finfo = scores.dtype().finfo().expect("float tensor");
    let max = B::float_clamp_min(B::float_max_dim(scores.clone(), 3), finfo.min.into());
    let numerator = B::float_exp(B::float_sub(scores, max));
    let sum = B::float_clamp_min(B::float_sum_dim(numerator.clone(), 3), finfo.min_positive.into());
    B::float_div(numerator, sum)
}

/// `probabilities` on burn-flex's tensors, fused; `None` when `B` is another backend (or the
/// dtype is not one the fused path takes).
fn flex_probabilities<B: Backend>(
    q: &B::FloatTensorPrimitive,
    k: &B::FloatTensorPrimitive,
    mask: Option<&BoolTensor<B>>,
    scale: f64,
) -> Option<B::FloatTensorPrimitive> {
    let mask = match mask {
        None => None,
        Some(mask) => Some(flex(mask)?.clone()),
    };
    let (q, k) = (flex(q)?.clone(), flex(k)?.clone()); // shared buffers, not copies
    burn_flex::ops::attention_training::attention_probabilities(q, k, mask, scale)
        .ok()
        .map(from_flex)
}

/// dS = P ⊙ (dP − D), fused on burn-flex in dP's buffer (the same bits as the two operations).
fn softmax_gradient<B: Backend>(
    p: B::FloatTensorPrimitive,
    d_p: B::FloatTensorPrimitive,
    d: B::FloatTensorPrimitive,
) -> B::FloatTensorPrimitive {
    let d_p = match (flex(&p), flex(&d), as_flex(d_p)) {
        (Some(flex_p), Some(flex_d), Ok(flex_d_p)) => {
            match burn_flex::ops::attention_training::softmax_gradient(flex_p, flex_d_p, flex_d) {
                Ok(d_s) => return from_flex(d_s),
                Err(flex_d_p) => from_flex(flex_d_p),
            }
        }
        (_, _, Ok(flex_d_p)) => from_flex(flex_d_p),
        (_, _, Err(d_p)) => d_p,
    };
    B::float_mul(p, B::float_sub(d_p, d))
}

/// `tensor` as a burn-flex tensor when that is what it is (`B` is `Flex`).
fn flex<T: 'static>(tensor: &T) -> Option<&burn_flex::FlexTensor> {
    (tensor as &dyn Any).downcast_ref()
}

/// `tensor`, owned, as a burn-flex tensor when that is what it is.
fn as_flex<T: 'static>(tensor: T) -> Result<burn_flex::FlexTensor, T> {
    let mut slot = Some(tensor);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<burn_flex::FlexTensor>>() {
        Some(flex) => Ok(flex.take().expect("just filled")),
        None => Err(slot.expect("not taken")),
    }
}

/// The inverse of `as_flex`, for a `T` that `as_flex` has shown to be `FlexTensor`.
fn from_flex<T: 'static>(tensor: burn_flex::FlexTensor) -> T {
    let mut slot = Some(tensor);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()
        .expect("T is FlexTensor")
        .take()
        .expect("just filled")
}

#[derive(Debug)]
struct Attention;

#[derive(Clone, Debug)]
struct State<B: Backend> {
    q: B::FloatTensorPrimitive,
    k: B::FloatTensorPrimitive,
    v: B::FloatTensorPrimitive,
    /// The probabilities P.
    p: B::FloatTensorPrimitive,
    /// The output O = P V.
    o: B::FloatTensorPrimitive,
    scale: f64,
}

impl<B: Backend> Backward<B, 3> for Attention {
    type State = State<B>;

    fn backward(
        self,
        ops: Ops<Self::State, 3>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node_q, node_k, node_v] = ops.parents;
        let d_o = grads.consume::<B>(&ops.node);
        let State { q, k, v, p, o, scale } = ops.state;
        if let Some(node) = node_v {
            let d_v = B::float_matmul(B::float_transpose(p.clone()), d_o.clone());
            grads.register::<B>(node.id, d_v);
        }
        if node_q.is_none() && node_k.is_none() {
            return;
        }
        let d_p = B::float_matmul(d_o.clone(), B::float_transpose(v));
        let d = B::float_sum_dim(B::float_mul(d_o, o), 3);
        let d_s = softmax_gradient::<B>(p, d_p, d);
        if let Some(node) = node_q {
            let d_q = B::float_mul_scalar(B::float_matmul(d_s.clone(), k), scale.into());
            grads.register::<B>(node.id, d_q);
        }
        if let Some(node) = node_k {
            let d_k = B::float_mul_scalar(B::float_matmul(B::float_transpose(d_s), q), scale.into());
            grads.register::<B>(node.id, d_k);
        }
    }
}
