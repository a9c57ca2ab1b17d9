//! Estimates with 95 % intervals of weighted sums of trained models' final accuracies: a Table 2
//! cell (the mean over training tasks, weights 1/n), its Avg. column, or a paired difference of
//! two methods (weights +1/n and −1/n).
//!
//! The uncertainty comes from the seeds when there are at least two, and otherwise from the test
//! problems of the single seed (its per-problem files).

use std::collections::{BTreeMap, BTreeSet};

use super::bootstrap::{self, Group, Interval};

/// One seed's final accuracy, with each test problem's score when the per-problem file exists
/// (`(problem, fraction of its samples scored correct)`, sorted by problem).
#[derive(Clone, Debug, PartialEq)]
pub struct SeedScore {
    pub accuracy: f64,
    pub problems: Option<Vec<(u64, f64)>>,
}

/// A trained model's final accuracy on one benchmark, per seed.
pub type Evidence = BTreeMap<u64, SeedScore>;

/// What an interval was resampled over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Basis {
    /// This many seeds.
    Seeds(usize),
    /// This many test problems of a single seed (summed over distinct problem sets).
    Problems(usize),
    /// A single seed without per-problem files: no interval.
    PointOnly,
}

impl Basis {
    pub fn describe(self) -> String {
        match self {
            Basis::Seeds(n) => format!("{n} seeds"),
            Basis::Problems(n) => format!("{n} problems"),
            Basis::PointOnly => "1 seed, no per-problem file".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub interval: Option<Interval>,
    pub basis: Basis,
}

/// The estimate of θ = Σ_i w_i · acc_i over the given (weight, evidence) terms.
///
/// With S the seeds every term has:
/// - |S| ≥ 2: v_s = Σ_i w_i · acc_i(s) is paired by seed; θ̂ = mean_s v_s, bootstrapped over S;
/// - |S| = 1 and every term has per-problem scores: terms on the same problem set are paired by
///   problem, v_p = Σ_i w_i · score_i(p); θ̂ = Σ_sets mean_p v_p, each set resampled on its own;
/// - |S| = 1 otherwise: θ̂ = Σ_i w_i · acc_i(s), with no interval.
///
/// `None` when there are no terms or no common seed.
pub fn estimate(terms: &[(f64, &Evidence)]) -> Option<Estimate> {
    let seeds = common_seeds(terms)?;
    if seeds.len() >= 2 {
        let values = seeds
            .iter()
            .map(|s| terms.iter().map(|(w, e)| w * e[s].accuracy).sum())
            .collect();
        return Some(bootstrapped(
            vec![Group {
                weight: 1.0,
                values,
            }],
            Basis::Seeds(seeds.len()),
        ));
    }
    let seed = seeds[0];
    match problem_groups(terms, seed) {
        Some(groups) => {
            let n = groups.iter().map(|g| g.values.len()).sum();
            Some(bootstrapped(groups, Basis::Problems(n)))
        }
        None => Some(Estimate {
            mean: terms.iter().map(|(w, e)| w * e[&seed].accuracy).sum(),
            interval: None,
            basis: Basis::PointOnly,
        }),
    }
}

fn bootstrapped(groups: Vec<Group>, basis: Basis) -> Estimate {
    Estimate {
        mean: bootstrap::weighted_sum_of_means(&groups),
        interval: Some(bootstrap::interval(&groups)),
        basis,
    }
}

/// The seeds present in every term, in order; `None` if there are none.
fn common_seeds(terms: &[(f64, &Evidence)]) -> Option<Vec<u64>> {
    let (first, rest) = terms.split_first()?;
    let mut seeds: BTreeSet<u64> = first.1.keys().copied().collect();
    for (_, e) in rest {
        seeds.retain(|s| e.contains_key(s));
    }
    (!seeds.is_empty()).then(|| seeds.into_iter().collect())
}

/// Terms grouped by problem set, each group one vector v_p = Σ_i w_i · score_i(p); `None` if a
/// term lacks per-problem scores for the seed.
fn problem_groups(terms: &[(f64, &Evidence)], seed: u64) -> Option<Vec<Group>> {
    let mut by_set: BTreeMap<Vec<u64>, Vec<f64>> = BTreeMap::new();
    for (w, e) in terms {
        let problems = e[&seed].problems.as_ref().filter(|p| !p.is_empty())?;
        let ids: Vec<u64> = problems.iter().map(|(id, _)| *id).collect();
        let sums = by_set
            .entry(ids)
            .or_insert_with(|| vec![0.0; problems.len()]);
        for (sum, (_, score)) in sums.iter_mut().zip(problems) {
            *sum += w * score;
        }
    }
    Some(
        by_set
            .into_values()
            .map(|values| Group {
                weight: 1.0,
                values,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(values: &[(u64, f64)]) -> Evidence {
        values
            .iter()
            .map(|&(s, accuracy)| {
                let score = SeedScore {
                    accuracy,
                    problems: None,
                };
                (s, score)
            })
            .collect()
    }

    fn problems(scores: &[f64]) -> Evidence {
        let problems = scores
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as u64, v))
            .collect();
        let accuracy = scores.iter().sum::<f64>() / scores.len() as f64;
        BTreeMap::from([(
            0,
            SeedScore {
                accuracy,
                problems: Some(problems),
            },
        )])
    }

    /// Two tasks, weights ½: seed 0 → (0.2 + 0.4)/2 = 0.3, seed 1 → (0.3 + 0.5)/2 = 0.4;
    /// seed 2 exists for one task only and is left out. θ̂ = 0.35.
    #[test]
    fn the_cross_task_mean_pairs_seeds_and_keeps_the_common_ones() {
        let a = seeds(&[(0, 0.2), (1, 0.3), (2, 0.9)]);
        let b = seeds(&[(0, 0.4), (1, 0.5)]);
        let e = estimate(&[(0.5, &a), (0.5, &b)]).unwrap();
        assert!((e.mean - 0.35).abs() < 1e-12);
        assert_eq!(e.basis, Basis::Seeds(2));
        let i = e.interval.unwrap();
        assert!(0.3 - 1e-12 <= i.lo && i.hi <= 0.4 + 1e-12, "{i:?}");
    }

    /// Paired problems: A − B is 1 on problem 0 and 0 elsewhere, on 4 problems: θ̂ = 0.25.
    #[test]
    fn one_seed_is_resampled_over_paired_problems() {
        let a = problems(&[1.0, 1.0, 0.0, 0.0]);
        let b = problems(&[0.0, 1.0, 0.0, 0.0]);
        let e = estimate(&[(1.0, &a), (-1.0, &b)]).unwrap();
        assert!((e.mean - 0.25).abs() < 1e-12);
        assert_eq!(e.basis, Basis::Problems(4));
        let i = e.interval.unwrap();
        assert!(i.lo >= 0.0 && i.hi <= 1.0 && i.lo < 0.25 && 0.25 < i.hi);
    }

    #[test]
    fn one_seed_without_problem_files_has_no_interval() {
        let a = seeds(&[(3, 0.6)]);
        let e = estimate(&[(1.0, &a)]).unwrap();
        assert_eq!((e.mean, e.interval, e.basis), (0.6, None, Basis::PointOnly));
    }

    #[test]
    fn no_common_seed_is_no_estimate() {
        let (a, b) = (seeds(&[(0, 0.1)]), seeds(&[(1, 0.2)]));
        assert_eq!(estimate(&[(0.5, &a), (0.5, &b)]), None);
        assert_eq!(estimate(&[]), None);
    }
}
