//! The reference curves of Theorems 4.2 and 4.3 (paper §4, Appendices C and E).

/// Theorem 4.2: any RFT algorithm needs at least B^H / (4K) leaf explorations to reach
/// 50 % pass@1 on some tree of height H and branching B with K correct leaves.
pub fn rft_lower_bound(height: usize, branching: usize, correct_leaves: usize) -> f64 {
    (branching as f64).powi(height as i32) / (4.0 * correct_leaves as f64)
}

/// Theorem E.1 (formal Theorem 4.3): with
/// T = ((H+1)² (log B + 2‖θ_ref‖∞ + 7) / (Δ/12))² iterations and
/// N = 72 log(14(T+1)) / Δ² evaluation rollouts per iterate, Algorithm 2 reaches 50 % pass@1
/// after at most (B·H + N)·T leaf explorations — O(B H⁵ (log B)² / Δ²).
pub fn uft_upper_bound(height: usize, branching: usize, gap: f64, theta_ref_sup: f64) -> f64 {
    let h1 = (height + 1) as f64;
    let t =
        (h1 * h1 * ((branching as f64).ln() + 2.0 * theta_ref_sup + 7.0) / (gap / 12.0)).powi(2);
    let n = 72.0 * (14.0 * (t + 1.0)).ln() / (gap * gap);
    (branching as f64 * height as f64 + n) * t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bound_is_b_to_the_h_over_4k() {
        assert_eq!(rft_lower_bound(10, 2, 1), 256.0);
        assert_eq!(rft_lower_bound(3, 4, 2), 8.0);
    }

    /// H = 1, B = 2, Δ = 0.9, θ_ref = 0: T = (4 · (ln 2 + 7) / 0.075)² = 410.3..² ,
    /// N = 72 ln(14 (T + 1)) / 0.81, bound = (2 + N) T.
    #[test]
    fn upper_bound_follows_theorem_e1() {
        let t = (4.0 * (2f64.ln() + 7.0) / 0.075f64).powi(2);
        let n = 72.0 * (14.0 * (t + 1.0)).ln() / 0.81;
        let want = (2.0 + n) * t;
        assert!((uft_upper_bound(1, 2, 0.9, 0.0) / want - 1.0).abs() < 1e-12);
        // Polynomial in H: T grows as (H+1)⁴, and N only logarithmically.
        let ratio = uft_upper_bound(40, 2, 0.9, 0.0) / uft_upper_bound(20, 2, 0.9, 0.0);
        let t_ratio = (41.0f64 / 21.0).powi(4);
        assert!(ratio > t_ratio && ratio < 2.0 * t_ratio, "{ratio}");
    }
}
