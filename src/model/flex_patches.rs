//! The CPU backend is burn-flex with seven local patches (vendor/burn-flex/PATCHES.md), each
//! meant to change no bit of any result. These tests hold them to it through burn's own API
//! (the seventh, training attention's row passes, in `attention_gradient.rs`):
//! `exp` and `sigmoid` against the scalar formulas they replace, attention over a strided
//! view (a KV cache's filled positions) against the same keys and values made contiguous, a
//! matmul whose output gemm does not write (k = 0), element-wise loops split across two
//! threads against one, attention rows that skip their trailing masked keys against the
//! general path; and, for every product above the size where gemm splits it across the pool,
//! that two threads give the one-thread bits.

use burn::tensor::activation::sigmoid;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::weights::HostTensor;

/// Every 4099th f32 bit pattern: all signs, exponents and a spread of mantissas, ±∞ and NaNs.
fn sampled_floats() -> Vec<f32> {
    (0..=u32::MAX).step_by(4099).map(f32::from_bits).collect()
}

fn host(tensor: Tensor<1>) -> Vec<f32> {
    HostTensor::of(tensor).expect("f32 tensor").data
}

fn same_bits(got: &[f32], want: &[f32]) -> usize {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .filter(|(g, w)| g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()))
        .count()
}

// The vector exp reproduces glibc's `expf` algorithm; other C libraries round differently.
#[cfg(target_env = "gnu")]
#[test]
fn exp_gives_the_bits_of_libms_expf() {
    let xs = sampled_floats();
    let device = Device::flex();
    let got = host(Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device).exp());
    let want: Vec<f32> = xs.iter().map(|x| x.exp()).collect();
    assert_eq!(same_bits(&got, &want), xs.len());
}

/// All 2³² inputs, in 16 Mi-element slices (about a minute in release):
/// `cargo test --release exp_gives_the_bits_of_libms_expf_on_every_input -- --ignored`.
/// Run once per vector path (AVX-512 on an Intel Xeon, AVX2 on an AMD EPYC) when it changes.
#[cfg(target_env = "gnu")]
#[test]
#[ignore = "exhaustive: about a minute in release"]
fn exp_gives_the_bits_of_libms_expf_on_every_input() {
    let device = Device::flex();
    let slice = 1u64 << 24;
    for start in (0..1u64 << 32).step_by(slice as usize) {
        let xs: Vec<f32> = (start..start + slice)
            .map(|b| f32::from_bits(b as u32))
            .collect();
        let got =
            host(Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device).exp());
        let want: Vec<f32> = xs.iter().map(|x| x.exp()).collect();
        assert_eq!(
            same_bits(&got, &want),
            xs.len(),
            "a difference in bits {start:#x}.."
        );
    }
}

#[cfg(target_env = "gnu")]
#[test]
fn sigmoid_gives_the_bits_of_the_scalar_formula() {
    // burn-flex's `sigmoid_f32`, the form the patch replaced.
    let scalar = |x: f32| {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    };
    let xs = sampled_floats();
    let device = Device::flex();
    let got = host(sigmoid(Tensor::<1>::from_data(
        TensorData::new(xs.clone(), [xs.len()]),
        &device,
    )));
    let want: Vec<f32> = xs.iter().map(|&x| scalar(x)).collect();
    assert_eq!(same_bits(&got, &want), xs.len());
}

/// A tensor of fixed values in [−half_range, half_range), 1000 steps apart, scrambled by `salt`.
fn hashed_tensor<const D: usize>(
    salt: u32,
    shape: [usize; D],
    half_range: f32,
    device: &Device,
) -> Tensor<D> {
    let values = (0..shape.iter().product::<usize>() as u32)
        .map(|i| {
            ((i.wrapping_mul(2654435761) ^ salt) % 1000) as f32 / (500.0 / half_range) - half_range
        })
        .collect::<Vec<f32>>();
    Tensor::<D>::from_data(TensorData::new(values, shape), device)
}

/// `work` on a rayon pool of `threads` threads of its own.
fn on_a_pool_of<R: Send>(threads: usize, work: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(work)
}

#[test]
fn attention_over_a_strided_cache_view_equals_attention_over_a_copy() {
    let device = Device::flex();
    let (batch, heads, capacity, filled, dim) = (3, 2, 11, 7, 8);
    let cache = |salt| hashed_tensor(salt, [batch, heads, capacity, dim], 2.0, &device);
    let (keys, vals) = (cache(1), cache(2));
    let query = hashed_tensor(3, [batch, heads, 2, dim], 2.0, &device);
    // Row 1 may not see key 0: the mask takes part as it does in generation.
    let mut blocked = vec![false; batch * heads * 2 * filled];
    for h in 0..heads * 2 {
        blocked[(heads * 2 + h) * filled] = true;
    }
    let mask =
        Tensor::<4, Bool>::from_data(TensorData::new(blocked, [batch, heads, 2, filled]), &device);
    let filled_view = |t: Tensor<4>| t.slice([0..batch, 0..heads, 0..filled, 0..dim]);
    let options = AttentionModuleOptions {
        scale: None,
        softcap: None,
        is_causal: false,
    };
    let strided = attention(
        query.clone(),
        filled_view(keys.clone()),
        filled_view(vals.clone()),
        Some(mask.clone()),
        None,
        options,
    );
    // `+ 0.0` makes a new, contiguous tensor of the same values.
    let copied = attention(
        query,
        filled_view(keys) + 0.0,
        filled_view(vals) + 0.0,
        Some(mask),
        None,
        options,
    );
    let flat = |t: Tensor<4>| host(t.flatten::<1>(0, 3));
    let (strided, copied) = (flat(strided), flat(copied));
    assert!(strided.iter().all(|x| x.is_finite()));
    assert_eq!(same_bits(&strided, &copied), strided.len());
}

/// Patch 6: rows whose trailing keys are masked (causally, or by right padding) skip them.
/// The general path, which an additive bias selects (a zero bias adds nothing: `x + 0 = x`,
/// `−∞ + 0 = −∞`), computes exp(−∞) = 0 for them and sums it; both must give the same bits.
#[test]
fn attention_skipping_trailing_masked_keys_gives_the_bits_of_the_general_path() {
    let device = Device::flex();
    let (batch, heads, seq, dim) = (2, 3, 37, 16);
    let tensor = |salt| hashed_tensor(salt, [batch, heads, seq, dim], 4.0, &device);
    let (query, keys, vals) = (tensor(1), tensor(2), tensor(3));
    // Causal, with batch row 1 right-padded after 29 tokens and left-padded before 3, and one
    // query row that sees nothing.
    let blocked: Vec<bool> = (0..batch * heads * seq * seq)
        .map(|i| {
            let (b, q, k) = (i / (heads * seq * seq), (i / seq) % seq, i % seq);
            k > q || (b == 1 && (k >= 29 || k < 3)) || (b == 0 && q == 5)
        })
        .collect();
    let mask =
        Tensor::<4, Bool>::from_data(TensorData::new(blocked, [batch, heads, seq, seq]), &device);
    let zero_bias = Tensor::<4>::zeros([batch, heads, seq, seq], &device);
    let flat = |t: Tensor<4>| host(t.flatten::<1>(0, 3));
    for is_causal in [false, true] {
        let options = AttentionModuleOptions {
            scale: None,
            softcap: None,
            is_causal,
        };
        let run = |bias: Option<Tensor<4>>| {
            flat(attention(
                query.clone(),
                keys.clone(),
                vals.clone(),
                Some(mask.clone()),
                bias,
                options,
            ))
        };
        let (skipping, general) = (run(None), run(Some(zero_bias.clone())));
        assert!(skipping.iter().all(|x| x.is_finite()));
        assert!(skipping.iter().any(|&x| x != 0.0));
        assert_eq!(
            same_bits(&skipping, &general),
            skipping.len(),
            "is_causal {is_causal}"
        );
    }
}

#[test]
fn a_matmul_over_an_empty_inner_dimension_is_zeros() {
    // The output buffer is left unfilled for gemm to write, except where k = 0 leaves gemm
    // nothing to write: there it must still be zeros, 2-D and batched.
    let device = Device::flex();
    let empty = |shape: [usize; 3]| {
        Tensor::<3>::from_data(TensorData::new(Vec::<f32>::new(), shape), &device)
    };
    let product = empty([2, 3, 0]).matmul(empty([2, 0, 4]));
    assert_eq!(product.dims(), [2, 3, 4]);
    assert!(host(product.flatten::<1>(0, 2)).iter().all(|&x| x == 0.0));
    let a = Tensor::<2>::from_data(TensorData::new(Vec::<f32>::new(), [5, 0]), &device);
    let b = Tensor::<2>::from_data(TensorData::new(Vec::<f32>::new(), [0, 2]), &device);
    assert!(
        host(a.matmul(b).flatten::<1>(0, 1))
            .iter()
            .all(|&x| x == 0.0)
    );
}

#[test]
fn element_wise_results_on_two_threads_are_the_bits_of_one_thread() {
    // Above 2 × 64 Ki elements the loops are split across rayon's pool (patch 5): in place
    // and allocating, contiguous and broadcast, each must give the one-thread bits.
    let (rows, cols) = (300, 1000);
    let run = |threads: usize| {
        on_a_pool_of(threads, || {
            let device = Device::flex();
            let fill = |salt: u32, shape: [usize; 2]| hashed_tensor(salt, shape, 2.0, &device);
            let (a, b) = (fill(1, [rows, cols]), fill(2, [rows, cols]));
            let column = fill(3, [rows, 1]);
            let kept = a.clone(); // `a` is shared from here on: the allocating paths
            let shared_product = a.clone() * column.clone(); // zip_map, broadcast
            let in_place = (a.clone() + b.clone()) * column.clone(); // SIMD, then zip in place
            let scaled = (b.clone() * 0.37).exp(); // scalar op, exp in place
            let masked = (b.clone() + 0.0).mask_fill(a.clone().greater_elem(0.5), -3.0);
            let transposed = kept.clone().swap_dims(0, 1) / b.swap_dims(0, 1); // strided zip
            [
                shared_product,
                in_place,
                scaled,
                masked,
                transposed.swap_dims(0, 1),
            ]
            .map(|t| host(t.flatten::<1>(0, 1)))
        })
    };
    let (one, two) = (run(1), run(2));
    for (k, (one, two)) in one.iter().zip(&two).enumerate() {
        assert_eq!(one.len(), rows * cols);
        assert_eq!(same_bits(two, one), one.len(), "result {k}");
    }
}

#[test]
fn products_split_across_two_threads_are_the_bits_of_one_thread() {
    // From 192³ multiply-adds burn-flex lets gemm split a product across rayon's pool (a batched
    // one: across its batch from 128³ in all); a run with one worker (`repro run --jobs 2`: each
    // cell on a pool of one) and a run with two must still agree to the bit. Plain and batched
    // products, the inner dimensions crossing gemm's 512-wide blocks of k (1100), edges that are
    // not multiples of its microkernels' widths; the small shapes stay on one thread throughout.
    let shapes = [
        (300, 600, 700),
        (64, 1100, 900),
        (1600, 256, 814),
        (16, 256, 768),
    ];
    let run = |threads: usize| {
        on_a_pool_of(threads, || {
            let device = Device::flex();
            let fill = |salt: u32, shape: [usize; 3]| hashed_tensor(salt, shape, 2.0, &device);
            shapes
                .iter()
                .flat_map(|&(m, k, n)| {
                    let plain = fill(1, [1, m, k]).matmul(fill(2, [1, k, n]));
                    let batched = fill(3, [6, m, k]).matmul(fill(4, [1, k, n]));
                    [plain, batched].map(|t| host(t.flatten::<1>(0, 2)))
                })
                .collect::<Vec<_>>()
        })
    };
    let (one, two) = (run(1), run(2));
    for (k, (one, two)) in one.iter().zip(&two).enumerate() {
        assert!(one.iter().any(|&x| x != 0.0), "product {k} is all zeros");
        assert_eq!(same_bits(two, one), one.len(), "product {k}");
    }
}
