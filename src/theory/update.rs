//! The per-state updates of Algorithm 2 (paper Appendix D.2, Lemma E.7), on log-probabilities.
//!
//! Step 5 of Algorithm 2 is a policy-space gradient step θ ← θ + η ∇_π J, which Lemma E.7 shows
//! is the KL-proximal (mirror-descent) step below, state by state:
//!
//! - (I) on-trajectory states s_h, h ≥ l:
//!   `π'(a|s) ∝ exp( (η Ã(s,a) + ηβ log π_ref(a|s) + log π(a|s)) / (1 + ηβ) )`
//! - (II) hint states s*_h, h < l: the gradient of β log π(a*|s) is one-hot at a* with value
//!   β / π(a*|s), so `π'(a|s) ∝ π(a|s) · exp(η g_a)`, `g_{a*} = β / π(a*|s)`, `g_a = 0` otherwise.
//! - (III) every other state is unchanged.

/// Group-sampled advantages Ã(s,a) = Q̃(s,a) − Σ_a' π(a'|s) Q̃(s,a') (Algorithm 2, step 3).
pub fn advantages(q: &[f64], log_probs: &[f64], out: &mut [f64]) {
    let value: f64 = q.iter().zip(log_probs).map(|(q, lp)| q * lp.exp()).sum();
    for (o, q) in out.iter_mut().zip(q) {
        *o = q - value;
    }
}

/// Update (I), in place on `log_probs`.
pub fn trajectory_step(
    log_probs: &mut [f64],
    advantage: &[f64],
    reference_log_probs: &[f64],
    eta: f64,
    beta: f64,
) {
    for ((lp, adv), lref) in log_probs.iter_mut().zip(advantage).zip(reference_log_probs) {
        *lp = (eta * adv + eta * beta * lref + *lp) / (1.0 + eta * beta);
    }
    normalize(log_probs);
}

/// Update (II), in place on `log_probs`, for the hinted action `target` = a*.
pub fn hint_step(log_probs: &mut [f64], target: usize, eta: f64, beta: f64) {
    let gradient = beta / log_probs[target].exp();
    log_probs[target] += eta * gradient;
    normalize(log_probs);
}

/// Shifts log-weights so that they exponentiate to a probability vector (log-sum-exp).
pub fn normalize(log_weights: &mut [f64]) {
    let max = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let log_sum = max
        + log_weights
            .iter()
            .map(|w| (w - max).exp())
            .sum::<f64>()
            .ln();
    for w in log_weights.iter_mut() {
        *w -= log_sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(log_probs: &[f64]) -> Vec<f64> {
        log_probs.iter().map(|l| l.exp()).collect()
    }

    fn assert_close(got: &[f64], want: &[f64]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "got {got:?}, want {want:?}");
        }
    }

    /// π = (0.2, 0.3, 0.5), Q̃ = (1, 0.1, 0.1): V = 0.2 + 0.08 = 0.28, Ã = (0.72, −0.18, −0.18).
    #[test]
    fn advantages_subtract_the_policy_value() {
        let lp: Vec<f64> = [0.2f64, 0.3, 0.5].iter().map(|p| p.ln()).collect();
        let mut adv = [0.0; 3];
        advantages(&[1.0, 0.1, 0.1], &lp, &mut adv);
        assert_close(&adv, &[0.72, -0.18, -0.18]);
    }

    /// Update (I) with η = 0.5, β = 0.2, uniform π_ref on B = 3, from the case above:
    /// z_a = (0.5 Ã_a + 0.1 ln(1/3) + ln π_a) / 1.1, π' = softmax(z)
    ///     = (0.2866781660238311, 0.27530345126687894, 0.4380183827092901)
    /// (Python: `[math.exp(x)/s for x in z]`, s = Σ exp(z)).
    #[test]
    fn trajectory_step_matches_hand_computation() {
        let mut lp: Vec<f64> = [0.2f64, 0.3, 0.5].iter().map(|p| p.ln()).collect();
        let reference = [(1.0f64 / 3.0).ln(); 3];
        let mut adv = [0.0; 3];
        advantages(&[1.0, 0.1, 0.1], &lp, &mut adv);
        trajectory_step(&mut lp, &adv, &reference, 0.5, 0.2);
        assert_close(
            &probs(&lp),
            &[0.2866781660238311, 0.27530345126687894, 0.4380183827092901],
        );
    }

    /// With β = 0 and η = 1 on B = 2 from uniform with Ã = (0.45, −0.45), the logit gap grows by
    /// 0.9: π'(a₀) = 1 / (1 + e^{−0.9}) = 0.7109495026250039.
    #[test]
    fn trajectory_step_without_kl_is_exponentiated_gradient() {
        let mut lp = [0.5f64.ln(); 2];
        trajectory_step(&mut lp, &[0.45, -0.45], &[0.5f64.ln(); 2], 1.0, 0.0);
        assert_close(&probs(&lp), &[0.7109495026250039, 0.2890504973749961]);
    }

    /// Update (II) with π = (0.25, 0.75), a* = 0, η = 1, β = 0.1: g = 0.1 / 0.25 = 0.4,
    /// π' ∝ (0.25 e^{0.4}, 0.75) = (0.3729561, 0.75) → (0.3321199730756749, 0.6678800269243251).
    #[test]
    fn hint_step_matches_hand_computation() {
        let mut lp = [0.25f64.ln(), 0.75f64.ln()];
        hint_step(&mut lp, 0, 1.0, 0.1);
        assert_close(&probs(&lp), &[0.3321199730756749, 0.6678800269243251]);
    }

    #[test]
    fn large_advantages_stay_finite() {
        let mut lp = [0.5f64.ln(); 2];
        for _ in 0..10_000 {
            trajectory_step(&mut lp, &[50.0, -50.0], &[0.5f64.ln(); 2], 1.0, 0.0);
        }
        assert!(lp.iter().all(|l| l.is_finite() || *l == f64::NEG_INFINITY));
        assert!((probs(&lp).iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
