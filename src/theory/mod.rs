//! The paper's theory (§4), simulated: the search-tree problem, tabular softmax policies and
//! Algorithm 2, for measuring how many reward queries each method needs as the horizon grows.
//!
//! - `config`   — the `tree_search` experiment schema and `TreeConfig`
//! - `tree`     — the implicit tree: node numbering, correct leaves, rewards, π*'s path
//! - `policy`   — sparse tabular softmax policies, rollouts, exact pass@1
//! - `update`   — the mirror-descent updates (I) and (II) of Lemma E.7
//! - `method`   — rft / uft / uft_cosine / r3 / sft as hint-length rules
//! - `simulate` — Algorithm 2's loop for one seed
//! - `bounds`   — Theorem 4.2's lower bound and Theorem 4.3's upper bound

pub mod bounds;
pub mod config;
pub mod method;
pub mod policy;
pub mod simulate;
pub mod tree;
pub mod update;

use crate::experiment::Cell;
use crate::metrics::SeedRow;

/// Metric names written by `tree_search` cells.
pub mod metric {
    /// Reward queries (leaf explorations) so far.
    pub const EXPLORATIONS: &str = "explorations";
    /// Exact pass@1 of the current policy.
    pub const PASS1: &str = "pass1";
    /// Mean hint length l since the previous row.
    pub const HINT_LENGTH: &str = "hint_length";
    /// Reward queries when pass@1 first reached the target (or the budget, if censored).
    pub const EXPLORATIONS_TO_TARGET: &str = "explorations_to_target";
    /// Iterations when pass@1 first reached the target (or the budget, if censored).
    pub const ITERATIONS_TO_TARGET: &str = "iterations_to_target";
    /// 1 if the target was never reached within the budget, else 0.
    pub const CENSORED: &str = "censored";
    /// pass@1 at the end of the run.
    pub const FINAL_PASS1: &str = "final_pass1";
}

/// Runs one seed of a `tree_search` cell and returns its metric rows.
pub fn run_seed(cell: &Cell, seed: u64, progress: &mut dyn FnMut(f64)) -> Vec<SeedRow> {
    let cfg = config::TreeConfig::from_cell(cell);
    let trace = simulate::simulate(&cfg, seed, progress);
    let mut rows = Vec::with_capacity(trace.points.len() * 3 + 4);
    for p in &trace.points {
        rows.push(SeedRow::new(
            seed,
            p.iteration,
            metric::EXPLORATIONS,
            p.explorations as f64,
        ));
        rows.push(SeedRow::new(seed, p.iteration, metric::PASS1, p.pass1));
        if let Some(l) = p.mean_hint_length {
            rows.push(SeedRow::new(seed, p.iteration, metric::HINT_LENGTH, l));
        }
    }
    let o = trace.outcome;
    rows.push(SeedRow::new(
        seed,
        o.iterations,
        metric::EXPLORATIONS_TO_TARGET,
        o.explorations as f64,
    ));
    rows.push(SeedRow::new(
        seed,
        o.iterations,
        metric::ITERATIONS_TO_TARGET,
        o.iterations as f64,
    ));
    rows.push(SeedRow::new(
        seed,
        o.iterations,
        metric::CENSORED,
        f64::from(u8::from(o.censored)),
    ));
    let last = trace.points.last().map_or(0, |p| p.iteration);
    rows.push(SeedRow::new(
        seed,
        last,
        metric::FINAL_PASS1,
        trace.final_pass1,
    ));
    rows
}

/// A one-line account of a finished cell for the console.
pub fn summarize(rows: &[SeedRow]) -> String {
    let of = |name: &str| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.metric == name)
            .map(|r| r.value)
            .collect()
    };
    let mut explorations = of(metric::EXPLORATIONS_TO_TARGET);
    let mut iterations = of(metric::ITERATIONS_TO_TARGET);
    let censored = of(metric::CENSORED).iter().filter(|&&c| c > 0.0).count();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    format!(
        "to target: median {:.0} explorations, {:.0} iterations over {} seeds ({censored} censored)",
        median(&mut explorations),
        median(&mut iterations),
        explorations.len()
    )
}
