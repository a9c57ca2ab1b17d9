//! Training attention is one differentiable operation with a closed-form backward (the
//! patched burn-autodiff, vendor/burn-autodiff/PATCHES.md). These tests hold it to the
//! decomposed chain it replaced — burn's `attention_fallback`, written out here with tensor
//! operations, each differentiated by burn — to a gradient worked out by hand, and, bit for
//! bit, to its own closed form written with tensor operations (on burn-flex its row passes
//! run fused, vendor/burn-flex/PATCHES.md patch 7, and must not change a bit).

use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::weights::HostTensor;

const OPTIONS: AttentionModuleOptions = AttentionModuleOptions {
    scale: None,
    softcap: None,
    is_causal: false,
};

fn host(tensor: Tensor<4>) -> Vec<f32> {
    HostTensor::of(tensor.flatten::<1>(0, 3))
        .expect("f32 tensor")
        .data
}

/// Fixed values in [−2, 2).
fn values(salt: u32, shape: [usize; 4], device: &Device) -> Tensor<4> {
    let n = shape.iter().product::<usize>() as u32;
    let data = (0..n)
        .map(|i| ((i.wrapping_mul(2654435761) ^ salt) % 1000) as f32 / 250.0 - 2.0)
        .collect::<Vec<_>>();
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// `attention_fallback` (burn-backend 0.22.1, `ops/modules/attention.rs`) with tensor
/// operations: every step is recorded and differentiated by autodiff on its own.
fn decomposed(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, mask: Tensor<4, Bool>) -> Tensor<4> {
    probabilities(q, k, mask).matmul(v)
}

/// The softmax of `decomposed`: P = softmax(mask(Q Kᵀ · scale)), operation by operation.
fn probabilities(q: Tensor<4>, k: Tensor<4>, mask: Tensor<4, Bool>) -> Tensor<4> {
    let scale = 1.0 / (q.dims()[3] as f64).sqrt();
    let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
    let scores = scores.mask_fill(mask, f32::NEG_INFINITY);
    let max = scores.clone().max_dim(3).clamp_min(f32::MIN);
    let numerator = (scores - max).exp();
    let sum = numerator.clone().sum_dim(3).clamp_min(f32::MIN_POSITIVE);
    numerator / sum
}

/// Output and the gradients of Σ (output ⊙ weights) with respect to query, keys and values.
fn output_and_gradients(
    attend: impl Fn(Tensor<4>, Tensor<4>, Tensor<4>) -> Tensor<4>,
    q: &Tensor<4>,
    k: &Tensor<4>,
    v: &Tensor<4>,
    weights: &Tensor<4>,
) -> [Vec<f32>; 4] {
    let [q, k, v] = [q, k, v].map(|t| t.clone().require_grad());
    let out = attend(q.clone(), k.clone(), v.clone());
    let grads = (out.clone() * weights.clone()).sum().backward();
    let grad = |t: &Tensor<4>| host(t.grad(&grads).expect("tracked input"));
    [host(out), grad(&q), grad(&k), grad(&v)]
}

#[test]
fn attention_gradients_match_the_decomposed_chain_and_its_forward_bit_for_bit() {
    let device = Device::flex().autodiff();
    // Grouped-query shape: more query rows (heads stacked) than keys, as `Attention::forward`.
    let (batch, heads, queries, keys, dim) = (2, 2, 6, 5, 4);
    let q = values(1, [batch, heads, queries, dim], &device);
    let k = values(2, [batch, heads, keys, dim], &device);
    let v = values(3, [batch, heads, keys, dim], &device);
    let weights = values(4, [batch, heads, queries, dim], &device);
    // Batch 1 may not see key 0 (left padding); its query row 5 sees nothing at all.
    let mut blocked = vec![false; batch * heads * queries * keys];
    for h in 0..heads {
        for row in 0..queries {
            let start = ((heads + h) * queries + row) * keys;
            blocked[start] = true;
            if row == 5 {
                blocked[start..start + keys].fill(true);
            }
        }
    }
    let mask = Tensor::<4, Bool>::from_data(
        TensorData::new(blocked, [batch, heads, queries, keys]),
        &device,
    );
    let fused = output_and_gradients(
        |q, k, v| attention(q, k, v, Some(mask.clone()), None, OPTIONS),
        &q,
        &k,
        &v,
        &weights,
    );
    let chain = output_and_gradients(
        |q, k, v| decomposed(q, k, v, mask.clone()),
        &q,
        &k,
        &v,
        &weights,
    );
    let bits = |xs: &[f32]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fused[0]), bits(&chain[0]), "forward");
    for (name, got, want) in [
        ("query", &fused[1], &chain[1]),
        ("keys", &fused[2], &chain[2]),
        ("values", &fused[3], &chain[3]),
    ] {
        assert!(got.iter().all(|g| g.is_finite()), "{name}: {got:?}");
        let worst = got
            .iter()
            .zip(want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 2e-6, "{name}: largest difference {worst}");
    }
    // The fully masked query row attends to nothing: zero output, zero gradient.
    let row5 = |xs: &[f32]| xs[((heads + 1) * queries + 5) * dim..][..dim].to_vec();
    assert_eq!(row5(&fused[0]), vec![0.0; dim]);
    assert_eq!(row5(&fused[1]), vec![0.0; dim]);
}

#[test]
fn attention_gradient_of_one_query_over_two_keys_is_the_hand_computed_one() {
    // q = (1), keys 0 and 1, values 1 and 3, head_dim 1 (scale 1): scores (0, 1),
    // P = (1, e)/(1 + e), O = (1 + 3e)/(1 + e), loss = O.
    // dO/dv = P; dO/dS_j = P_j (v_j − O), so dO/dS = (−2e, 2e)/(1 + e)²;
    // dO/dq = Σ_j dS_j k_j = 2e/(1 + e)²; dO/dk_j = dS_j q = (−2e, 2e)/(1 + e)².
    let device = Device::flex().autodiff();
    let tensor = |data: &[f32], keys: usize| {
        Tensor::<4>::from_data(TensorData::new(data.to_vec(), [1, 1, keys, 1]), &device)
    };
    let (q, k, v) = (
        tensor(&[1.0], 1),
        tensor(&[0.0, 1.0], 2),
        tensor(&[1.0, 3.0], 2),
    );
    let mask = Tensor::<4, Bool>::from_data(TensorData::new(vec![false; 2], [1, 1, 1, 2]), &device);
    let [out, dq, dk, dv] = output_and_gradients(
        |q, k, v| attention(q, k, v, Some(mask.clone()), None, OPTIONS),
        &q,
        &k,
        &v,
        &tensor(&[1.0], 1),
    );
    let e = std::f32::consts::E;
    let ds = 2.0 * e / ((1.0 + e) * (1.0 + e));
    let close = |got: &[f32], want: &[f32]| {
        got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6)
    };
    assert!(close(&out, &[(1.0 + 3.0 * e) / (1.0 + e)]), "{out:?}");
    assert!(close(&dq, &[ds]), "{dq:?}");
    assert!(close(&dk, &[-ds, ds]), "{dk:?}");
    assert!(close(&dv, &[1.0 / (1.0 + e), e / (1.0 + e)]), "{dv:?}");
}

/// The patched op's forward and closed-form backward (vendor/burn-autodiff/src/ops/
/// attention_ops.rs) with tensor operations and no autodiff, for the loss Σ (O ⊙ W):
/// dO = W, dV = Pᵀ dO, dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)), dQ = scale·dS K, dK = scale·dSᵀ Q.
fn closed_form(
    [q, k, v]: [Tensor<4>; 3],
    mask: Tensor<4, Bool>,
    weights: Tensor<4>,
) -> [Vec<f32>; 4] {
    let scale = 1.0 / (q.dims()[3] as f64).sqrt();
    let p = probabilities(q.clone(), k.clone(), mask);
    let o = p.clone().matmul(v.clone());
    let d_v = p.clone().swap_dims(2, 3).matmul(weights.clone());
    let d_p = weights.clone().matmul(v.swap_dims(2, 3));
    let d = (weights * o.clone()).sum_dim(3);
    let d_s = p * (d_p - d);
    let d_q = d_s.clone().matmul(k).mul_scalar(scale);
    let d_k = d_s.swap_dims(2, 3).matmul(q).mul_scalar(scale);
    [host(o), host(d_q), host(d_k), host(d_v)]
}

/// burn-flex's fused row passes against the operations they replace: sizes that take every
/// lane path (keys 1, 8, 37, 70), longer rows (up to 600 keys), two heads' rows stacked over
/// the same keys (as `Attention::forward` passes grouped queries); a mask broadcast over
/// heads (as the model passes it), causal rows, left and right padding, a query row that sees
/// nothing, a NaN score and an infinite value.
#[test]
fn attention_and_its_gradients_are_the_bits_of_their_closed_form_on_flex() {
    let (batch, heads, dim) = (2, 3, 8);
    let sizes = [
        (1, 1),
        (8, 8),
        (37, 37),
        (5, 70),
        (70, 70),
        (128, 128),
        (200, 200),
        (300, 150),
        (600, 600),
    ];
    for (queries, keys) in sizes {
        let device = Device::flex().autodiff();
        let plain = Device::flex();
        let blocked: Vec<bool> = (0..batch * queries * keys)
            .map(|i| {
                let (b, q, k) = (i / (queries * keys), (i / keys) % queries, i % keys);
                // Stacked heads repeat the positions; fewer queries than keys are the last ones.
                let position = if queries >= keys {
                    q % keys
                } else {
                    q + keys - queries
                };
                let causal = k > position;
                causal || (b == 1 && (k < 2 || k + 3 > keys) && keys > 4) || (b == 0 && q == 3)
            })
            .collect();
        let shape = [batch, 1, queries, keys];
        let mask_on =
            |d: &Device| Tensor::<4, Bool>::from_data(TensorData::new(blocked.clone(), shape), d);
        let inputs = |d: &Device| {
            let mut q = values(1, [batch, heads, queries, dim], d);
            if queries > 6 {
                // One NaN in batch 1's query row 6: its scores, and so its row, are NaN.
                let nan = Tensor::<4>::from_data(TensorData::new(vec![f32::NAN], [1, 1, 1, 1]), d);
                q = q.slice_assign([1..2, 0..1, 6..7, 0..1], nan);
            }
            let mut v = values(3, [batch, heads, keys, dim], d);
            if keys > 100 {
                // An infinite value in batch 0, head 1: 0 · ∞ = NaN wherever it is not attended.
                let inf =
                    Tensor::<4>::from_data(TensorData::new(vec![f32::INFINITY], [1, 1, 1, 1]), d);
                v = v.slice_assign([0..1, 1..2, 0..1, 0..1], inf);
            }
            [q, values(2, [batch, heads, keys, dim], d), v]
        };
        let weights = |d: &Device| values(4, [batch, heads, queries, dim], d);
        let [q, k, v] = inputs(&device);
        let fused = output_and_gradients(
            |q, k, v| attention(q, k, v, Some(mask_on(&device)), None, OPTIONS),
            &q,
            &k,
            &v,
            &weights(&device),
        );
        let want = closed_form(inputs(&plain), mask_on(&plain), weights(&plain));
        for (name, got, want) in [
            ("output", &fused[0], &want[0]),
            ("query", &fused[1], &want[1]),
            ("keys", &fused[2], &want[2]),
            ("values", &fused[3], &want[3]),
        ] {
            let differing = got
                .iter()
                .zip(want.iter())
                .filter(|(g, w)| g.to_bits() != w.to_bits() && !(g.is_nan() && w.is_nan()))
                .count();
            assert_eq!(
                differing, 0,
                "{name}, {queries} queries × {keys} keys: elements differ"
            );
            // (Over one key the softmax is constant: dQ = dK = 0 there.)
            let nonzero = got.iter().any(|x| x.is_finite() && *x != 0.0);
            assert!(
                nonzero || keys == 1,
                "{name}, {queries} × {keys}: all zero or NaN"
            );
        }
    }
}
