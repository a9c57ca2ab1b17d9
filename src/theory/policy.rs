//! Tabular softmax policies π^θ(a|s) = exp θ(s,a) / Σ_a' exp θ(s,a') (paper Definition D.1),
//! stored sparsely: only states whose parameters were updated have an entry; every other
//! state still follows the reference policy π^{θ_ref}.

use rand::Rng;
use rand::RngExt;
use rustc_hash::FxHashMap;

use super::tree::SearchTree;
use crate::rng::splitmix64;

/// The reference policy π^{θ_ref}.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    /// θ_ref ≡ 0: uniform over the B children.
    Uniform,
    /// θ_ref(s, a) ~ N(0, σ²), drawn from a hash of (key, s, a) so it needs no storage.
    Gaussian { sigma: f64, key: u64 },
}

impl Reference {
    /// log π_ref(·|s) into `out`.
    pub fn log_probs(&self, node_key: u64, out: &mut [f64]) {
        match *self {
            Reference::Uniform => out.fill(-(out.len() as f64).ln()),
            Reference::Gaussian { sigma, key } => {
                for (a, o) in out.iter_mut().enumerate() {
                    *o = sigma * standard_normal(key, node_key, a as u64);
                }
                super::update::normalize(out);
            }
        }
    }
}

/// A standard normal from a hash (Box–Muller on two SplitMix64 outputs).
fn standard_normal(key: u64, node: u64, action: u64) -> f64 {
    let mut state =
        key ^ node.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ action.wrapping_mul(0xD1B5_4A32_D192_ED03);
    let u1 = ((splitmix64(&mut state) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = (splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[derive(Debug, Clone)]
pub struct TabularPolicy {
    branching: usize,
    reference: Reference,
    /// log π(·|s) for every state updated at least once, keyed by `SearchTree::key`.
    updated: FxHashMap<u64, Vec<f64>>,
}

impl TabularPolicy {
    /// π^{θ(0)} = π^{θ_ref}.
    pub fn new(branching: usize, reference: Reference) -> TabularPolicy {
        TabularPolicy {
            branching,
            reference,
            updated: FxHashMap::default(),
        }
    }

    /// Number of states with their own parameters (memory is proportional to this).
    pub fn stored_states(&self) -> usize {
        self.updated.len()
    }

    /// log π(·|s) into `out`.
    pub fn log_probs(&self, node_key: u64, out: &mut [f64]) {
        match self.updated.get(&node_key) {
            Some(lp) => out.copy_from_slice(lp),
            None => self.reference.log_probs(node_key, out),
        }
    }

    pub fn reference(&self) -> Reference {
        self.reference
    }

    /// Replaces log π(·|s).
    pub fn set(&mut self, node_key: u64, log_probs: Vec<f64>) {
        debug_assert_eq!(log_probs.len(), self.branching);
        self.updated.insert(node_key, log_probs);
    }

    /// Samples a ~ π(·|s).
    pub fn sample(&self, node_key: u64, rng: &mut impl Rng) -> usize {
        let lp = match self.updated.get(&node_key) {
            Some(lp) => lp,
            None if self.reference == Reference::Uniform => {
                return rng.random_range(0..self.branching);
            }
            None => {
                let mut buf = vec![0.0; self.branching];
                self.reference.log_probs(node_key, &mut buf);
                return sample_log_probs(&buf, rng);
            }
        };
        sample_log_probs(lp, rng)
    }

    /// Rolls π out from node (`depth`, `index`) to a leaf and returns the leaf's index.
    pub fn rollout(
        &self,
        tree: &SearchTree,
        mut depth: usize,
        mut index: u64,
        rng: &mut impl Rng,
    ) -> u64 {
        while depth < tree.height {
            let a = self.sample(tree.key(depth, index), rng);
            index = index * tree.branching as u64 + a as u64;
            depth += 1;
        }
        index
    }

    /// pass@1 computed exactly: Pr[a rollout of π from the root ends on a correct leaf]
    /// = Σ_{correct leaves c} Π_h π(a^c_h | s^c_h).
    pub fn pass_at_1(&self, tree: &SearchTree) -> f64 {
        let mut lp = vec![0.0; self.branching];
        tree.correct_leaves()
            .iter()
            .map(|&leaf| {
                let mut log_prob = 0.0;
                let mut index = 0u64;
                for depth in 0..tree.height {
                    let a = tree.action_towards(leaf, depth);
                    self.log_probs(tree.key(depth, index), &mut lp);
                    log_prob += lp[a];
                    index = index * tree.branching as u64 + a as u64;
                }
                log_prob.exp()
            })
            .sum()
    }
}

fn sample_log_probs(log_probs: &[f64], rng: &mut impl Rng) -> usize {
    let mut u: f64 = rng.random();
    for (a, lp) in log_probs.iter().enumerate() {
        u -= lp.exp();
        if u < 0.0 {
            return a;
        }
    }
    log_probs.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::keyed_rng;

    #[test]
    fn uniform_policy_pass_at_1_is_k_over_b_to_the_h() {
        let tree = SearchTree::with_correct_leaves(5, 3, vec![7, 100, 200], 0.9);
        let policy = TabularPolicy::new(3, Reference::Uniform);
        assert!((policy.pass_at_1(&tree) - 3.0 / 243.0).abs() < 1e-15);
    }

    /// The exact pass@1 of a policy with updated and noisy-reference states agrees with the
    /// Monte Carlo frequency of rollouts reaching a correct leaf.
    #[test]
    fn exact_pass_at_1_matches_monte_carlo() {
        let tree = SearchTree::with_correct_leaves(4, 3, vec![5, 40, 77], 0.9);
        let mut policy = TabularPolicy::new(3, Reference::Gaussian { sigma: 1.0, key: 9 });
        let mut rng = keyed_rng(&[5]);
        // Skew a few states on and off the correct paths.
        for (depth, index, logits) in [
            (0, 0, [2.0, 0.5, -1.0]),
            (1, 0, [1.5, -0.5, 0.0]),
            (2, 1, [0.0, 3.0, 0.2]),
            (1, 2, [-1.0, 0.0, 2.0]),
        ] {
            let mut lp = logits.to_vec();
            super::super::update::normalize(&mut lp);
            policy.set(tree.key(depth, index), lp);
        }
        let exact = policy.pass_at_1(&tree);
        let n = 400_000;
        let hits = (0..n)
            .filter(|_| tree.reward(policy.rollout(&tree, 0, 0, &mut rng)) == 1.0)
            .count();
        let estimate = hits as f64 / n as f64;
        let std_err = (exact * (1.0 - exact) / n as f64).sqrt();
        assert!(
            (estimate - exact).abs() < 4.0 * std_err,
            "exact {exact}, Monte Carlo {estimate} ± {std_err}"
        );
        assert!(
            exact > 0.02,
            "the test policy should not be trivial: {exact}"
        );
    }

    #[test]
    fn gaussian_reference_is_a_fixed_distribution() {
        let r = Reference::Gaussian { sigma: 0.7, key: 3 };
        let (mut a, mut b) = ([0.0; 4], [0.0; 4]);
        r.log_probs(12, &mut a);
        r.log_probs(12, &mut b);
        assert_eq!(a, b);
        assert!((a.iter().map(|l| l.exp()).sum::<f64>() - 1.0).abs() < 1e-12);
        r.log_probs(13, &mut b);
        assert_ne!(a, b);
    }
}
