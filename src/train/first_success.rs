//! Rollouts until the first correct answer, per training problem: the language-model analogue
//! of the theory's "explorations until the goal is found" (specification §4; issue: the horizon
//! experiment).
//!
//! Every rollout an RL step samples for a problem is one exploration of that problem, hinted or
//! not. A problem is *solved* at the first rollout that earns the full reward **without a hint**
//! (the model found the answer itself); a correct rollout under a hint is counted apart
//! (`first_any`), since a hint can give the answer away. A problem never solved within the run
//! is censored at the rollouts it received, and kept.
//!
//! Rollouts inside a group are sampled together; they are counted in their row order, so the
//! k-th rollout of a problem's group is its `spent + k`-th exploration.
//!
//! The summary that extrapolates past the budget is the censored-data (geometric) maximum
//! likelihood estimate of the mean number of rollouts to a first success,
//! `exposure / events` — every rollout spent before a problem's first success (or all of its
//! rollouts, if it has none) over the number of problems solved. With no event at all only the
//! exposure is known: the mean is then at least that large, and is reported as censored.

use anyhow::{Context, Result, bail};

/// What one step did with one training problem.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptOutcome {
    /// The problem's index in the training set.
    pub problem: usize,
    /// Whether the prompt carried a hint (at least one hint token).
    pub hinted: bool,
    /// Per rollout, in row order: did it earn the full reward?
    pub correct: Vec<bool>,
}

/// Per training problem: rollouts spent, and the rollout (1-based) of its first success.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirstSuccess {
    pub spent: Vec<u64>,
    /// First correct rollout without a hint.
    pub first: Vec<Option<u64>>,
    /// First correct rollout, hinted or not.
    pub first_any: Vec<Option<u64>>,
}

/// The per-step summary rows (see the module's comment).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Fraction of training problems solved without a hint at least once.
    pub solved: f64,
    /// Same, counting hinted successes.
    pub solved_any: f64,
    /// Rollouts spent before each first success, or all rollouts of unsolved problems.
    pub exposure: f64,
    /// Problems solved (without a hint).
    pub events: f64,
    /// `exposure / events`; `exposure` when there is no event (a lower bound).
    pub rollouts_per_success: f64,
    pub censored: bool,
    /// Median over problems of the rollouts to the first success, an unsolved problem counting
    /// as infinitely many (NaN when more than half are unsolved).
    pub median: f64,
}

impl FirstSuccess {
    pub fn new(problems: usize) -> Self {
        FirstSuccess {
            spent: vec![0; problems],
            first: vec![None; problems],
            first_any: vec![None; problems],
        }
    }

    /// Counts one step's rollouts.
    pub fn record(&mut self, outcomes: &[PromptOutcome]) {
        for outcome in outcomes {
            let i = outcome.problem;
            for &correct in &outcome.correct {
                self.spent[i] += 1;
                if correct {
                    self.first_any[i].get_or_insert(self.spent[i]);
                    if !outcome.hinted {
                        self.first[i].get_or_insert(self.spent[i]);
                    }
                }
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let n = self.spent.len().max(1) as f64;
        let events = self.first.iter().flatten().count() as f64;
        let exposure: u64 = self
            .spent
            .iter()
            .zip(&self.first)
            .map(|(&spent, first)| first.unwrap_or(spent))
            .sum();
        let exposure = exposure as f64;
        let mut times: Vec<f64> = self
            .first
            .iter()
            .map(|f| f.map_or(f64::INFINITY, |t| t as f64))
            .collect();
        times.sort_by(f64::total_cmp);
        let median = match times.len() {
            0 => f64::NAN,
            len => {
                let m = if len % 2 == 1 {
                    times[len / 2]
                } else {
                    (times[len / 2 - 1] + times[len / 2]) / 2.0
                };
                if m.is_finite() { m } else { f64::NAN }
            }
        };
        Summary {
            solved: events / n,
            solved_any: self.first_any.iter().flatten().count() as f64 / n,
            exposure,
            events,
            rollouts_per_success: if events > 0.0 {
                exposure / events
            } else {
                exposure
            },
            censored: events == 0.0,
            median,
        }
    }

    /// The state as TOML (kept in a checkpoint, so a resumed run counts on).
    pub fn to_toml(&self) -> String {
        let list = |v: &mut dyn Iterator<Item = i64>| {
            v.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
        };
        let none = |v: &[Option<u64>]| -> String {
            list(&mut v.iter().map(|f| f.map_or(-1, |t| t as i64)))
        };
        format!(
            "spent = [{}]\nfirst = [{}]\nfirst_any = [{}]\n",
            list(&mut self.spent.iter().map(|&s| s as i64)),
            none(&self.first),
            none(&self.first_any)
        )
    }

    /// Reads what `to_toml` wrote (`-1`: not yet solved).
    pub fn from_toml(text: &str, what: &str) -> Result<Self> {
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("{what} is not valid TOML"))?;
        let ints = |key: &str| -> Result<Vec<i64>> {
            let array = table
                .get(key)
                .and_then(|v| v.as_array())
                .with_context(|| format!("{what} has no array `{key}`"))?;
            array
                .iter()
                .map(|v| {
                    v.as_integer()
                        .with_context(|| format!("{what}: `{key}` holds a non-integer"))
                })
                .collect()
        };
        let optional = |v: Vec<i64>| -> Vec<Option<u64>> {
            v.into_iter().map(|t| u64::try_from(t).ok()).collect()
        };
        let spent: Vec<u64> = ints("spent")?
            .into_iter()
            .map(|s| s.max(0) as u64)
            .collect();
        let (first, first_any) = (optional(ints("first")?), optional(ints("first_any")?));
        if first.len() != spent.len() || first_any.len() != spent.len() {
            bail!("{what}: `spent`, `first` and `first_any` differ in length");
        }
        Ok(FirstSuccess {
            spent,
            first,
            first_any,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(problem: usize, hinted: bool, correct: &[bool]) -> PromptOutcome {
        PromptOutcome {
            problem,
            hinted,
            correct: correct.to_vec(),
        }
    }

    #[test]
    fn counts_rollouts_until_the_first_unhinted_success() {
        let mut tracker = FirstSuccess::new(3);
        // Step 1: problem 0 hinted, correct at its 2nd rollout; problem 1 unhinted, never.
        tracker.record(&[
            outcome(0, true, &[false, true, false, false]),
            outcome(1, false, &[false; 4]),
        ]);
        // Step 2: problem 0 unhinted, correct at its 3rd rollout of this step (7th overall);
        // problem 2 unhinted, correct at once.
        tracker.record(&[
            outcome(0, false, &[false, false, true, true]),
            outcome(2, false, &[true, false, false, false]),
        ]);
        assert_eq!(tracker.spent, vec![8, 4, 4]);
        assert_eq!(tracker.first, vec![Some(7), None, Some(1)]);
        assert_eq!(tracker.first_any, vec![Some(2), None, Some(1)]);
        let s = tracker.summary();
        // exposure: 7 (problem 0) + 4 (censored problem 1) + 1 = 12, over 2 events.
        assert_eq!(s.exposure, 12.0);
        assert_eq!(s.events, 2.0);
        assert_eq!(s.rollouts_per_success, 6.0);
        assert!(!s.censored);
        assert_eq!(s.solved, 2.0 / 3.0);
        assert_eq!(s.solved_any, 2.0 / 3.0);
        // Times 1, 7, ∞: the median is 7.
        assert_eq!(s.median, 7.0);
    }

    #[test]
    fn no_success_is_censored_at_the_exposure() {
        let mut tracker = FirstSuccess::new(2);
        tracker.record(&[outcome(0, false, &[false; 4]), outcome(1, true, &[true; 4])]);
        let s = tracker.summary();
        assert!(s.censored);
        assert_eq!(s.rollouts_per_success, 8.0);
        assert!(s.median.is_nan());
        assert_eq!(s.solved_any, 0.5);
    }

    #[test]
    fn survives_a_round_trip_through_a_checkpoint() {
        let mut tracker = FirstSuccess::new(3);
        tracker.record(&[
            outcome(1, false, &[false, true]),
            outcome(2, true, &[true, false]),
        ]);
        let back = FirstSuccess::from_toml(&tracker.to_toml(), "test").unwrap();
        assert_eq!(back, tracker);
        let error = FirstSuccess::from_toml("spent = [1]\nfirst = []\nfirst_any = [-1]", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("differ in length"), "{error}");
    }
}
