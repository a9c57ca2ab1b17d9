//! repro patch: `exp` of an f32 slice, 16 lanes at a time where the CPU has AVX-512 (4 where it
//! has AVX2 and FMA, with intrinsics), giving exactly the bits glibc's `expf` gives.
//!
//! The algorithm is glibc's (`sysdeps/ieee754/flt-32/e_expf.c`, from Arm's optimized-routines,
//! Szabolcs Nagy 2017), as built for CPUs with FMA (`__expf_fma`):
//!
//! ```text
//! x·N/ln 2 = k + r, |r| ≤ 1/2, N = 32;   exp(x) = 2^(k/N) · 2^(r/N)
//! 2^(k/N) = double(T[k mod N] + k << 47);   2^(r/N) ≈ C0·r³ + C1·r² + C2·r + 1
//! ```
//! in double precision, with `r = fma(N/ln 2, x, −k)` and the polynomial in fused multiply-adds,
//! rounded once to f32 at the end. Checked against glibc 2.36's `expf` on all 2³² inputs (no
//! difference), and the AVX2 build the same way on an AMD EPYC without AVX-512; repro's tests
//! check a sample of them through `Tensor::exp`. Without FMA (where glibc's own `expf` rounds
//! `r` differently) the scalar `f32::exp` of the platform's libm runs, as before the patch.

/// `T[i] = bits(2^(i/32)) − (i << 47)`, so that adding `k << 47` to `T[k mod 32]` makes the bits
/// of `2^(k/32)` (glibc's `__exp2f_data.tab`; each is the correctly rounded double of 2^(i/32)).
const TABLE: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];
const N: f64 = 32.0;
/// glibc's `__exp2f_data.poly_scaled`: 2^(r/N)'s polynomial in r for |r| ≤ 1/2.
const C0: f64 = f64::from_bits(0x3fac6af84b912394) / N / N / N; // 0x1.c6af84b912394p-5 / N³
const C1: f64 = f64::from_bits(0x3fcebfce50fac4f3) / N / N; // 0x1.ebfce50fac4f3p-3 / N²
const C2: f64 = f64::from_bits(0x3fe62e42ff0c52d6) / N; // 0x1.62e42ff0c52d6p-1 / N
const INV_LN2_N: f64 = f64::from_bits(0x3ff71547652b82fe) * N; // 0x1.71547652b82fep0 · N
/// 0x1.8p52: adding it rounds to an integer held in the low bits of the sum.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// Above this (≈ 88.72, log 2^128) glibc's `expf` overflows to +∞.
const OVERFLOW: f32 = f32::from_bits(0x42b17217);
/// Below this (≈ −103.97, log 2^−150) it underflows to +0.
const UNDERFLOW: f32 = f32::from_bits(0xc2cff1b4);

/// e^x for one input, branch-free so that a loop of it vectorizes.
#[inline(always)]
fn expf(x: f32) -> f32 {
    let xd = x.clamp(UNDERFLOW, OVERFLOW) as f64;
    let kd = INV_LN2_N * xd + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = INV_LN2_N.mul_add(xd, -kd);
    let s = f64::from_bits(TABLE[(ki & 31) as usize].wrapping_add(ki << 47));
    let y = C0.mul_add(r, C1).mul_add(r * r, C2.mul_add(r, 1.0));
    let y = (y * s) as f32;
    if x > OVERFLOW {
        f32::INFINITY
    } else if x < UNDERFLOW {
        0.0
    } else if x.is_nan() {
        x + x
    } else {
        y
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx2,fma")]
fn exp_avx512(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        *x = expf(*x);
    }
}

/// The same algorithm for CPUs with AVX2 and FMA but no AVX-512 (AMD's Zen 1–3, Intel before
/// Skylake-X), written with intrinsics: LLVM leaves the scalar loop unvectorized there (it will
/// not use AVX2's gather for the table). Each step is the scalar one's operation in 4 double
/// lanes, in the same order, so the bits are the same (checked on all 2³² inputs).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2,fma")]
fn exp_avx2(xs: &mut [f32]) {
    use core::arch::x86_64::*;
    #[target_feature(enable = "avx2,fma")]
    fn exp4(x: __m128) -> __m128 {
        // `clamp` (a NaN becomes a bound here; it is put back at the end).
        let xc = _mm_min_ps(_mm_max_ps(x, _mm_set1_ps(UNDERFLOW)), _mm_set1_ps(OVERFLOW));
        let xd = _mm256_cvtps_pd(xc);
        let inv_ln2_n = _mm256_set1_pd(INV_LN2_N);
        let shift = _mm256_set1_pd(SHIFT);
        let kd = _mm256_add_pd(_mm256_mul_pd(inv_ln2_n, xd), shift);
        let ki = _mm256_castpd_si256(kd);
        let kd = _mm256_sub_pd(kd, shift);
        let r = _mm256_fmsub_pd(inv_ln2_n, xd, kd);
        let index = _mm256_and_si256(ki, _mm256_set1_epi64x(31));
        // SAFETY: every index is in 0..32, TABLE's length.
        let t = unsafe { _mm256_i64gather_epi64::<8>(TABLE.as_ptr() as *const i64, index) };
        let s = _mm256_castsi256_pd(_mm256_add_epi64(t, _mm256_slli_epi64::<47>(ki)));
        let c0_c1 = _mm256_fmadd_pd(_mm256_set1_pd(C0), r, _mm256_set1_pd(C1));
        let c2_1 = _mm256_fmadd_pd(_mm256_set1_pd(C2), r, _mm256_set1_pd(1.0));
        let y = _mm256_fmadd_pd(c0_c1, _mm256_mul_pd(r, r), c2_1);
        let y = _mm256_cvtpd_ps(_mm256_mul_pd(y, s));
        let overflow = _mm_cmpgt_ps(x, _mm_set1_ps(OVERFLOW));
        let y = _mm_blendv_ps(y, _mm_set1_ps(f32::INFINITY), overflow);
        let y = _mm_blendv_ps(y, _mm_setzero_ps(), _mm_cmplt_ps(x, _mm_set1_ps(UNDERFLOW)));
        _mm_blendv_ps(y, _mm_add_ps(x, x), _mm_cmpunord_ps(x, x))
    }
    let mut blocks = xs.chunks_exact_mut(8);
    for block in &mut blocks {
        let p = block.as_mut_ptr();
        // SAFETY: a block is 8 f32s; unaligned loads and stores of 4 at p and p + 4.
        unsafe {
            let low = exp4(_mm_loadu_ps(p));
            let high = exp4(_mm_loadu_ps(p.add(4)));
            _mm_storeu_ps(p, low);
            _mm_storeu_ps(p.add(4), high);
        }
    }
    for x in blocks.into_remainder() {
        *x = expf(*x);
    }
}

/// Replaces every element of `xs` by its exponential.
pub fn exp_in_place(xs: &mut [f32]) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if std::is_x86_feature_detected!("fma") {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features the function is compiled for.
            unsafe { exp_avx512(xs) };
            return;
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            unsafe { exp_avx2(xs) };
            return;
        }
    }
    for x in xs.iter_mut() {
        *x = x.exp();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_vector_exp_gives_libms_bits() {
        let mut xs: alloc::vec::Vec<f32> = (0..=u32::MAX)
            .step_by(4099)
            .map(f32::from_bits)
            .collect();
        let want: alloc::vec::Vec<f32> = xs.iter().map(|x| x.exp()).collect();
        super::exp_in_place(&mut xs);
        for (got, want) in xs.iter().zip(&want) {
            assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
        }
    }
}
