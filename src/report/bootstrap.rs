//! Percentile bootstrap intervals (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993,
//! ch. 13), with a fixed random stream so that a table is the same every time it is made.
//!
//! The statistic is a weighted sum of group means, θ = Σ_g w_g · mean(x_g). One replicate draws
//! each group's n_g values with replacement, independently of the other groups, and recomputes
//! θ*. The 95 % interval is the 2.5 % and 97.5 % quantiles of B = 2000 replicates.
//!
//! A single group with weight 1 is the ordinary bootstrap of a mean (over seeds, or over test
//! problems); several groups arise when accuracies on different problem sets are combined.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Bootstrap replicates B.
pub const RESAMPLES: usize = 2000;
/// The seed of the bootstrap's random stream (fixed: tables are reproducible).
pub const SEED: u64 = 2000;
/// Coverage of the intervals.
pub const LEVEL: f64 = 0.95;

/// One independently resampled group of values and its weight in θ.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub weight: f64,
    pub values: Vec<f64>,
}

/// A closed interval [lo, hi].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// Whether the interval lies entirely inside [a, b].
    pub fn within(self, a: f64, b: f64) -> bool {
        a <= self.lo && self.hi <= b
    }

    /// Whether the interval lies entirely outside [a, b].
    pub fn outside(self, a: f64, b: f64) -> bool {
        self.hi < a || self.lo > b
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// θ = Σ_g w_g · mean(x_g).
pub fn weighted_sum_of_means(groups: &[Group]) -> f64 {
    groups.iter().map(|g| g.weight * mean(&g.values)).sum()
}

/// The q-quantile of sorted values, interpolating linearly between the order statistics at
/// position q·(n − 1) (type 7 of Hyndman & Fan, the default of R and NumPy).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let (below, fraction) = (position.floor() as usize, position.fract());
    match sorted.get(below + 1) {
        Some(above) => sorted[below] + fraction * (above - sorted[below]),
        None => sorted[below],
    }
}

/// The percentile interval of θ = Σ_g w_g · mean(x_g) from `resamples` replicates drawn with
/// the stream seeded by `seed`. Every group must be non-empty.
pub fn percentile_interval(groups: &[Group], resamples: usize, seed: u64) -> Interval {
    assert!(
        groups.iter().all(|g| !g.values.is_empty()),
        "bootstrap of an empty group"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut replicates: Vec<f64> = (0..resamples)
        .map(|_| {
            groups
                .iter()
                .map(|g| {
                    let n = g.values.len();
                    let sum: f64 = (0..n).map(|_| g.values[rng.random_range(0..n)]).sum();
                    g.weight * sum / n as f64
                })
                .sum()
        })
        .collect();
    replicates.sort_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    Interval {
        lo: quantile(&replicates, tail),
        hi: quantile(&replicates, 1.0 - tail),
    }
}

/// The 95 % percentile interval with the crate's fixed B and seed.
pub fn interval(groups: &[Group]) -> Interval {
    percentile_interval(groups, RESAMPLES, SEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(values: &[f64]) -> Vec<Group> {
        vec![Group {
            weight: 1.0,
            values: values.to_vec(),
        }]
    }

    #[test]
    fn all_equal_values_give_a_degenerate_interval() {
        let i = interval(&one(&[0.25; 5]));
        assert!(
            (i.lo - 0.25).abs() < 1e-12 && (i.hi - 0.25).abs() < 1e-12,
            "{i:?}"
        );
    }

    #[test]
    fn quantile_interpolates_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&sorted, 0.0), 1.0);
        assert_eq!(quantile(&sorted, 1.0), 5.0);
        assert_eq!(quantile(&sorted, 0.5), 3.0);
        // position 0.025 · 4 = 0.1: 1 + 0.1 · (2 − 1)
        assert!((quantile(&sorted, 0.025) - 1.1).abs() < 1e-12);
    }

    /// 30 correct of 100 problems: the normal approximation gives 0.30 ± 1.96·√(0.3·0.7/100) =
    /// [0.210, 0.390]; the percentile bootstrap is close to it.
    #[test]
    fn bootstrap_of_a_proportion_matches_the_normal_approximation() {
        let values: Vec<f64> = (0..100).map(|i| f64::from(u8::from(i < 30))).collect();
        let i = interval(&one(&values));
        assert!((i.lo - 0.210).abs() < 0.015, "{i:?}");
        assert!((i.hi - 0.390).abs() < 0.015, "{i:?}");
    }

    /// The fixed stream makes the numbers stable: these are pinned from a run of this code.
    /// Replicate means lie on the grid of four-value sums ÷ 4: 0.15 = (0.1 + 0.1 + 0.2 + 0.2)/4
    /// and 0.375 = (0.4 + 0.4 + 0.35 + 0.35)/4.
    #[test]
    fn fixed_seed_gives_stable_numbers() {
        let groups = one(&[0.1, 0.4, 0.35, 0.2]);
        let a = interval(&groups);
        assert_eq!(a, interval(&groups));
        assert!((weighted_sum_of_means(&groups) - 0.2625).abs() < 1e-12);
        assert!(
            (a.lo - 0.15).abs() < 1e-12 && (a.hi - 0.375).abs() < 1e-12,
            "{a:?}"
        );
    }

    /// Two groups, weights ½ and −½ (a difference of two means over different problem sets):
    /// θ = ½·1 − ½·0 = 0.5, and with constant groups the interval is that point.
    #[test]
    fn groups_are_combined_with_their_weights() {
        let groups = vec![
            Group {
                weight: 0.5,
                values: vec![1.0; 3],
            },
            Group {
                weight: -0.5,
                values: vec![0.0; 7],
            },
        ];
        assert_eq!(weighted_sum_of_means(&groups), 0.5);
        let i = interval(&groups);
        assert!((i.lo - 0.5).abs() < 1e-12 && (i.hi - 0.5).abs() < 1e-12);
    }

    #[test]
    fn inside_and_outside_are_strict_about_the_whole_interval() {
        let i = Interval { lo: 0.2, hi: 0.3 };
        assert!(i.within(0.15, 0.35) && !i.within(0.25, 0.35));
        assert!(i.outside(0.31, 0.4) && i.outside(0.0, 0.19) && !i.outside(0.25, 0.4));
    }
}
