//! The search tree of paper §2 / §4: height H, branching B, K correct leaves.
//!
//! The tree is implicit. A node at depth d is the integer `index ∈ [0, B^d)` whose base-B digits
//! are the actions taken from the root; its children are `index·B + a`. Nothing is stored per
//! node here, so H = 12 with B = 4 costs nothing until a policy visits nodes.

use rand::RngExt;

use crate::rng::{keyed_rng, label_key};

#[derive(Debug, Clone)]
pub struct SearchTree {
    pub height: usize,
    pub branching: usize,
    /// Leaf indices with reward 1, sorted.
    correct: Vec<u64>,
    /// The leaf π* leads to (the first correct leaf drawn).
    optimal_leaf: u64,
    /// Reward of every other leaf: 1 − Δ.
    wrong_reward: f64,
    /// `offsets[d]` = number of nodes above depth d = (B^d − 1)/(B − 1).
    offsets: Vec<u64>,
}

impl SearchTree {
    /// A tree whose K correct leaves are drawn uniformly without replacement from `seed`.
    pub fn new(
        height: usize,
        branching: usize,
        correct_leaves: usize,
        gap: f64,
        seed: u64,
    ) -> SearchTree {
        let leaves = (branching as u64).pow(height as u32);
        let mut rng = keyed_rng(&[seed, label_key("tree_search/correct_leaves")]);
        let mut drawn: Vec<u64> = Vec::with_capacity(correct_leaves);
        while drawn.len() < correct_leaves {
            let leaf = rng.random_range(0..leaves);
            if !drawn.contains(&leaf) {
                drawn.push(leaf);
            }
        }
        Self::with_correct_leaves(height, branching, drawn, gap)
    }

    /// A tree with the given correct leaves; π* leads to the first one.
    pub fn with_correct_leaves(
        height: usize,
        branching: usize,
        correct: Vec<u64>,
        gap: f64,
    ) -> SearchTree {
        let optimal_leaf = correct[0];
        let mut sorted = correct;
        sorted.sort_unstable();
        let mut offsets = vec![0u64; height + 1];
        for d in 1..=height {
            offsets[d] = offsets[d - 1] * branching as u64 + 1;
        }
        SearchTree {
            height,
            branching,
            correct: sorted,
            optimal_leaf,
            wrong_reward: 1.0 - gap,
            offsets,
        }
    }

    /// A key unique over all nodes of the tree (level-order numbering).
    pub fn key(&self, depth: usize, index: u64) -> u64 {
        self.offsets[depth] + index
    }

    /// R(leaf): 1 on correct leaves, 1 − Δ elsewhere.
    pub fn reward(&self, leaf: u64) -> f64 {
        if self.correct.binary_search(&leaf).is_ok() {
            1.0
        } else {
            self.wrong_reward
        }
    }

    pub fn correct_leaves(&self) -> &[u64] {
        &self.correct
    }

    /// s*_l: the index of the node at depth `l` on π*'s path.
    pub fn optimal_node(&self, depth: usize) -> u64 {
        self.optimal_leaf / (self.branching as u64).pow((self.height - depth) as u32)
    }

    /// a*_h: the action π* takes at depth `depth`.
    pub fn optimal_action(&self, depth: usize) -> usize {
        self.action_towards(self.optimal_leaf, depth)
    }

    /// The action taken at `depth` on the root-to-`leaf` path.
    pub fn action_towards(&self, leaf: u64, depth: usize) -> usize {
        let below = (self.branching as u64).pow((self.height - depth - 1) as u32);
        ((leaf / below) % self.branching as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_path_spells_the_leaf_in_base_b() {
        // B = 3, H = 3, leaf 2·9 + 0·3 + 1 = 19 → actions (2, 0, 1).
        let tree = SearchTree::with_correct_leaves(3, 3, vec![19], 0.9);
        let actions: Vec<usize> = (0..3).map(|d| tree.optimal_action(d)).collect();
        assert_eq!(actions, vec![2, 0, 1]);
        assert_eq!(
            (0..=3).map(|d| tree.optimal_node(d)).collect::<Vec<_>>(),
            vec![0, 2, 6, 19]
        );
        assert_eq!(tree.reward(19), 1.0);
        assert!((tree.reward(18) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn keys_are_unique_across_depths() {
        let tree = SearchTree::with_correct_leaves(3, 2, vec![0], 0.9);
        let mut keys: Vec<u64> = (0..=3)
            .flat_map(|d| (0..2u64.pow(d as u32)).map(move |i| (d, i)))
            .map(|(d, i)| tree.key(d, i))
            .collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
        assert_eq!(n, 15, "(B^{{H+1}} − 1)/(B − 1) nodes");
    }

    #[test]
    fn drawn_correct_leaves_are_distinct_and_seeded() {
        let a = SearchTree::new(4, 2, 5, 0.9, 11);
        let b = SearchTree::new(4, 2, 5, 0.9, 11);
        assert_eq!(a.correct_leaves(), b.correct_leaves());
        let mut leaves = a.correct_leaves().to_vec();
        leaves.dedup();
        assert_eq!(leaves.len(), 5);
    }
}
