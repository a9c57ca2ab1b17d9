//! The paper's claims (§5, listed in the specification §7) tested on the final in-domain test
//! accuracy of a study with several model sizes.
//!
//! Each quantity is a paired difference: seed s of method A against seed s of method B on the
//! same model and training task, averaged over the tasks both have,
//! d_s = (1/n) Σ_t (acc_A(t, s) − acc_B(t, s)), with a 95 % percentile bootstrap interval over
//! seeds (over the paired test problems when there is one seed). Verdicts use the experiment's
//! tolerance τ:
//!
//! - "A ≥ B": reproduced if lo ≥ −τ, not reproduced if hi < −τ, inconclusive otherwise;
//! - "A − B ≤ τ": reproduced if hi ≤ τ, not reproduced if lo > τ, inconclusive otherwise.
//!
//! A comparison in which both methods score at most what guessing scores (`chance`, and at
//! least [`UNSOLVED`]) is inconclusive whatever its interval: two models that guess differ by
//! noise, and a rule that called that "A ≥ B" would report the paper's claim as reproduced by
//! models that learned nothing.
//!
//! The claims: (i) at the smallest model UFT ≥ SFT and UFT ≥ SFT-RFT; (ii) at the largest
//! UFT ≥ RFT; (iii) where Base solves ≤ 1 % of a task, RFT − Base ≤ τ; (iv) RFT − SFT goes
//! from negative at the smallest size to positive at the largest; (v) SFT-RFT ≥ SFT at every
//! size.

use std::collections::BTreeMap;

use super::chance::chance_accuracy;
use super::data::{Results, TrainedCell};
use super::estimate::{Estimate, Evidence, estimate};
use super::format::{Table, points, points_estimate};
use super::names;

/// Base accuracy at or below which a task counts as unsolved by the base model (claim iii).
pub const UNSOLVED: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Reproduced,
    NotReproduced,
    Inconclusive,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reproduced => "reproduced",
            Outcome::NotReproduced => "not reproduced",
            Outcome::Inconclusive => "inconclusive",
        }
    }

    /// All reproduced → reproduced; any not reproduced → not reproduced; else inconclusive.
    fn all(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
        let outcomes: Vec<Outcome> = outcomes.into_iter().collect();
        if outcomes.contains(&Outcome::NotReproduced) {
            Outcome::NotReproduced
        } else if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Reproduced) {
            Outcome::Reproduced
        } else {
            Outcome::Inconclusive
        }
    }
}

/// "A ≥ B" on d = A − B: reproduced if lo ≥ −τ, not reproduced if hi < −τ.
pub fn at_least(e: &Estimate, tolerance: f64) -> Outcome {
    match e.interval {
        Some(i) if i.lo >= -tolerance => Outcome::Reproduced,
        Some(i) if i.hi < -tolerance => Outcome::NotReproduced,
        _ => Outcome::Inconclusive,
    }
}

/// "A − B ≤ τ": reproduced if hi ≤ τ, not reproduced if lo > τ.
pub fn at_most(e: &Estimate, tolerance: f64) -> Outcome {
    match e.interval {
        Some(i) if i.hi <= tolerance => Outcome::Reproduced,
        Some(i) if i.lo > tolerance => Outcome::NotReproduced,
        _ => Outcome::Inconclusive,
    }
}

/// One tested quantity behind a claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidenced {
    pub model: String,
    /// The training task, or `mean over k tasks`.
    pub tasks: String,
    /// `UFT − SFT`.
    pub quantity: String,
    pub estimate: Estimate,
    pub outcome: Outcome,
    /// Both methods score at most the floor (guessing, or [`UNSOLVED`] where guessing scores
    /// less): an "A ≥ B" verdict would be vacuous.
    pub floor: bool,
    /// That floor, for the tasks of the comparison (0–1 accuracy).
    pub floor_level: f64,
}

/// The mean of a weighted set of accuracies (0 when it cannot be estimated).
fn estimate_level(terms: &[(f64, &Evidence)]) -> f64 {
    estimate(terms).map_or(0.0, |e| e.mean)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub id: &'static str,
    pub statement: String,
    pub lines: Vec<Evidenced>,
    /// `None` when the claim could not be tested.
    pub outcome: Option<Outcome>,
    /// What could not be tested for lack of cells (empty when everything was).
    pub missing: String,
}

/// In-domain evidence by (model, method, variant) → task.
type Index<'a> = BTreeMap<(&'a str, &'a str, &'a str), BTreeMap<String, &'a Evidence>>;

struct Study<'a> {
    index: Index<'a>,
    /// The accuracy of guessing per training task (the largest over its cells).
    chance: BTreeMap<String, f64>,
    tolerance: f64,
}

impl<'a> Study<'a> {
    fn new(cells: &'a [TrainedCell], tolerance: f64) -> Study<'a> {
        let mut index: Index<'a> = BTreeMap::new();
        let mut chance: BTreeMap<String, f64> = BTreeMap::new();
        for c in cells {
            index
                .entry((&c.model, &c.method, &c.variant))
                .or_default()
                .insert(c.training_task(), &c.in_domain);
            let guess = chance.entry(c.training_task()).or_default();
            *guess = guess.max(chance_accuracy(&c.task, &c.params));
        }
        Study {
            index,
            chance,
            tolerance,
        }
    }

    /// The variants of a method on a model.
    fn variants(&self, model: &str, method: &str) -> Vec<&'a str> {
        self.index
            .keys()
            .filter(|(m, me, _)| *m == model && *me == method)
            .map(|(_, _, v)| *v)
            .collect()
    }

    /// d = (1/n) Σ_t (A_t − B_t) over the tasks both have (or only `task`), for every pair of
    /// variants of A and B on the model.
    fn differences(&self, model: &str, a: &str, b: &str, task: Option<&str>) -> Vec<Evidenced> {
        let mut out = Vec::new();
        for va in self.variants(model, a) {
            for vb in self.variants(model, b) {
                let (ea, eb) = (&self.index[&(model, a, va)], &self.index[&(model, b, vb)]);
                let shared: Vec<&str> = ea
                    .keys()
                    .filter(|t| eb.contains_key(*t) && task.is_none_or(|only| only == t.as_str()))
                    .map(String::as_str)
                    .collect();
                let w = 1.0 / shared.len().max(1) as f64;
                let terms: Vec<(f64, &Evidence)> = shared
                    .iter()
                    .flat_map(|t| [(w, ea[*t]), (-w, eb[*t])])
                    .collect();
                let Some(estimate) = estimate(&terms) else {
                    continue;
                };
                // A comparison of two methods that both solve (almost) nothing, or no more
                // than guessing does, says nothing.
                let level = |e: &BTreeMap<String, &Evidence>| {
                    let terms: Vec<(f64, &Evidence)> = shared.iter().map(|t| (w, e[*t])).collect();
                    estimate_level(&terms)
                };
                let guess: f64 = shared.iter().map(|t| w * self.chance[*t]).sum();
                let floor_level = guess.max(UNSOLVED);
                let floor = level(ea) <= floor_level && level(eb) <= floor_level;
                let label = |m: &str, v: &str| match v {
                    "" => names::method_label(m),
                    v => format!("{} [{v}]", names::method_label(m)),
                };
                out.push(Evidenced {
                    model: model.into(),
                    tasks: match task {
                        Some(t) => t.into(),
                        None if shared.len() == 1 => format!("{} (the one task)", shared[0]),
                        None => format!("mean over {} tasks", shared.len()),
                    },
                    quantity: format!("{} − {}", label(a, va), label(b, vb)),
                    estimate,
                    outcome: Outcome::Inconclusive,
                    floor,
                    floor_level,
                });
            }
        }
        out
    }

    /// A claim of "A ≥ B" on each of the models.
    fn at_least_claim(
        &self,
        id: &'static str,
        statement: String,
        models: &[&str],
        pairs: &[(&str, &str)],
    ) -> Claim {
        let mut lines = Vec::new();
        let mut untested = Vec::new();
        for model in models {
            for (a, b) in pairs {
                let found = self.differences(model, a, b, None);
                if found.is_empty() {
                    untested.push(format!(
                        "{} − {} on {model}",
                        names::method_label(a),
                        names::method_label(b)
                    ));
                }
                lines.extend(found.into_iter().map(|mut l| {
                    l.outcome = match l.floor {
                        true => floor_note(&mut l),
                        false => at_least(&l.estimate, self.tolerance),
                    };
                    l
                }));
            }
        }
        finish(id, statement, lines, untested)
    }
}

/// Marks a comparison of two methods at or below the floor, and returns its outcome.
fn floor_note(line: &mut Evidenced) -> Outcome {
    let what = if line.floor_level > UNSOLVED {
        "the level of guessing"
    } else {
        "solving almost nothing"
    };
    line.quantity += &format!(
        " (both ≤ {:.1} %, {what}: nothing to compare)",
        line.floor_level * 100.0
    );
    Outcome::Inconclusive
}

/// A claim from its tested lines and what could not be tested: `None` when nothing was;
/// otherwise every line's outcome combined, and never "reproduced" while something is untested.
fn finish(
    id: &'static str,
    statement: String,
    lines: Vec<Evidenced>,
    untested: Vec<String>,
) -> Claim {
    let outcome =
        (!lines.is_empty()).then(|| match Outcome::all(lines.iter().map(|l| l.outcome)) {
            Outcome::Reproduced if !untested.is_empty() => Outcome::Inconclusive,
            o => o,
        });
    Claim {
        id,
        statement,
        lines,
        outcome,
        missing: untested.join("; "),
    }
}

/// The models with a known size, smallest first.
fn sizes(results: &Results) -> Vec<&str> {
    let mut models: Vec<(usize, &str)> = results
        .cells
        .iter()
        .filter_map(|c| Some((names::model_size(&c.model)?, c.model.as_str())))
        .collect();
    models.sort();
    models.dedup();
    models.into_iter().map(|(_, m)| m).collect()
}

/// Tests every claim, or says why none can be (fewer than two model sizes).
pub fn evaluate(results: &Results) -> Result<Vec<Claim>, String> {
    let models = sizes(results);
    if models.len() < 2 {
        return Err(format!(
            "The §7 claims compare model sizes; these results have {} ({}).",
            models.len(),
            models.join(", ")
        ));
    }
    let study = Study::new(&results.cells, results.tolerance());
    let (small, large) = (models[0], models[models.len() - 1]);
    Ok(vec![
        study.at_least_claim(
            "(i)",
            format!("at the smallest model ({small}), UFT ≥ SFT and UFT ≥ SFT-RFT"),
            &[small],
            &[("uft", "sft"), ("uft", "sft_rft")],
        ),
        study.at_least_claim(
            "(ii)",
            format!("at the largest model ({large}), UFT ≥ RFT"),
            &[large],
            &[("uft", "rft")],
        ),
        rft_without_solutions(&study, &models),
        order_changes(&study, &models),
        study.at_least_claim(
            "(v)",
            "SFT-RFT ≥ SFT at every size".into(),
            &models,
            &[("sft_rft", "sft")],
        ),
    ])
}

/// (iii): for each model and task where Base solves ≤ 1 %, RFT − Base ≤ τ.
fn rft_without_solutions(study: &Study, models: &[&str]) -> Claim {
    let mut lines = Vec::new();
    let mut untested = Vec::new();
    for model in models {
        for variant in study.variants(model, "base") {
            for (task, base) in &study.index[&(*model, "base", variant)] {
                let solved = estimate(&[(1.0, base)]).is_some_and(|e| e.mean > UNSOLVED);
                if solved {
                    continue;
                }
                let found = study.differences(model, "rft", "base", Some(task));
                if found.is_empty() {
                    untested.push(format!("RFT − Base on {model}, {task}"));
                }
                lines.extend(found.into_iter().map(|mut l| {
                    l.outcome = at_most(&l.estimate, study.tolerance);
                    l
                }));
            }
        }
    }
    if lines.is_empty() && untested.is_empty() {
        untested.push(format!(
            "a model and task where Base ≤ {:.0} %",
            100.0 * UNSOLVED
        ));
    }
    finish(
        "(iii)",
        format!(
            "RFT fails where the base model cannot find solutions: RFT − Base ≤ τ wherever Base ≤ {:.0} %",
            100.0 * UNSOLVED
        ),
        lines,
        untested,
    )
}

/// (iv): RFT − SFT per size; reproduced if its interval is below 0 at the smallest size and
/// above 0 at the largest, not reproduced if both exclude 0 on the same side.
fn order_changes(study: &Study, models: &[&str]) -> Claim {
    let mut lines: Vec<Evidenced> = models
        .iter()
        .flat_map(|m| study.differences(m, "rft", "sft", None))
        .collect();
    for l in lines.iter_mut().filter(|l| l.floor) {
        floor_note(l);
    }
    let side = |l: &Evidenced| match l.estimate.interval {
        _ if l.floor => None,
        Some(i) if i.hi < 0.0 => Some(-1),
        Some(i) if i.lo > 0.0 => Some(1),
        _ => None,
    };
    let (first, last) = (models[0], models[models.len() - 1]);
    let at = |m: &str| lines.iter().find(|l| l.model == m).and_then(side);
    let untested: Vec<String> = [first, last]
        .into_iter()
        .filter(|m| !lines.iter().any(|l| l.model == *m))
        .map(|m| format!("RFT − SFT on {m}"))
        .collect();
    let outcome = match (at(first), at(last)) {
        (Some(-1), Some(1)) => Outcome::Reproduced,
        (Some(a), Some(b)) if a == b => Outcome::NotReproduced,
        _ => Outcome::Inconclusive,
    };
    for l in &mut lines {
        l.outcome = outcome;
    }
    let statement = "the order of SFT and RFT changes with size: RFT − SFT < 0 at the smallest, \
                     > 0 at the largest";
    let mut claim = finish("(iv)", statement.into(), lines, untested);
    if !claim.missing.is_empty() {
        claim.outcome = None;
    }
    claim
}

/// The claims as Markdown: a line per claim with its outcome, and the numbers behind it.
pub fn markdown(claims: &[Claim], tolerance: f64) -> String {
    let mut out = format!(
        "Paired differences of final in-domain test accuracy, in percentage points, with 95 % \
         bootstrap intervals; τ = {} points.\n\n",
        points(tolerance).trim_start_matches('+')
    );
    for c in claims {
        let outcome = c.outcome.map_or("not tested", Outcome::as_str);
        out.push_str(&format!("- **{}** {}: **{outcome}**", c.id, c.statement));
        if !c.missing.is_empty() {
            out.push_str(&format!(" (missing: {})", c.missing));
        }
        out.push('\n');
        for l in &c.lines {
            out.push_str(&format!(
                "  - {}, {}, {}: {} ({}) → {}\n",
                names::model_label(&l.model),
                l.tasks,
                l.quantity,
                points_estimate(&l.estimate),
                l.estimate.basis.describe(),
                l.outcome.as_str()
            ));
        }
    }
    out
}

/// The claims for `claims.csv` (numbers in percentage points).
pub fn long(claims: &[Claim]) -> Table {
    let mut t = Table::new(
        &[
            "claim",
            "model",
            "tasks",
            "quantity",
            "mean_pts",
            "lo_pts",
            "hi_pts",
            "interval_over",
            "outcome",
            "claim_outcome",
            "missing",
        ],
        4,
    );
    for c in claims {
        let claim_outcome = c.outcome.map_or("not tested", Outcome::as_str);
        if c.lines.is_empty() {
            let mut row = vec![String::new(); 11];
            row[0] = c.id.into();
            row[9] = claim_outcome.into();
            row[10] = c.missing.clone();
            t.push(row);
        }
        for l in &c.lines {
            let (lo, hi) = l
                .estimate
                .interval
                .map_or((String::new(), String::new()), |i| {
                    (points(i.lo), points(i.hi))
                });
            t.push(vec![
                c.id.into(),
                l.model.clone(),
                l.tasks.clone(),
                l.quantity.clone(),
                points(l.estimate.mean),
                lo,
                hi,
                l.estimate.basis.describe(),
                l.outcome.as_str().into(),
                claim_outcome.into(),
                c.missing.clone(),
            ]);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::bootstrap::Interval;
    use crate::report::estimate::Basis;

    fn e(lo: f64, hi: f64) -> Estimate {
        Estimate {
            mean: (lo + hi) / 2.0,
            interval: Some(Interval { lo, hi }),
            basis: Basis::Seeds(3),
        }
    }

    #[test]
    fn at_least_and_at_most_follow_their_rules() {
        assert_eq!(at_least(&e(-0.04, 0.1), 0.05), Outcome::Reproduced);
        assert_eq!(at_least(&e(-0.2, -0.06), 0.05), Outcome::NotReproduced);
        assert_eq!(at_least(&e(-0.1, 0.1), 0.05), Outcome::Inconclusive);
        assert_eq!(at_most(&e(-0.1, 0.05), 0.05), Outcome::Reproduced);
        assert_eq!(at_most(&e(0.06, 0.2), 0.05), Outcome::NotReproduced);
        assert_eq!(at_most(&e(0.0, 0.2), 0.05), Outcome::Inconclusive);
    }

    #[test]
    fn a_claim_is_reproduced_only_if_every_line_is() {
        use Outcome::*;
        assert_eq!(Outcome::all([Reproduced, Reproduced]), Reproduced);
        assert_eq!(Outcome::all([Reproduced, Inconclusive]), Inconclusive);
        assert_eq!(Outcome::all([Inconclusive, NotReproduced]), NotReproduced);
        assert_eq!(Outcome::all([]), Inconclusive);
    }

    #[test]
    fn an_untested_part_keeps_a_claim_from_being_reproduced() {
        let line = Evidenced {
            model: "tiny-1m".into(),
            tasks: "mean over 2 tasks".into(),
            quantity: "UFT − SFT".into(),
            estimate: e(0.0, 0.1),
            outcome: Outcome::Reproduced,
            floor: false,
            floor_level: UNSOLVED,
        };
        let missing = vec!["UFT − SFT-RFT on tiny-1m".to_string()];
        let partly = finish("(i)", "s".into(), vec![line.clone()], missing.clone());
        assert_eq!(partly.outcome, Some(Outcome::Inconclusive));
        assert_eq!(partly.missing, "UFT − SFT-RFT on tiny-1m");
        let whole = finish("(i)", "s".into(), vec![line], vec![]);
        assert_eq!(whole.outcome, Some(Outcome::Reproduced));
        assert_eq!(finish("(i)", "s".into(), vec![], missing).outcome, None);
    }

    fn cell(method: &str, accuracies: [f64; 3]) -> TrainedCell {
        let in_domain: Evidence = accuracies
            .iter()
            .enumerate()
            .map(|(seed, &accuracy)| {
                let score = crate::report::estimate::SeedScore {
                    accuracy,
                    problems: None,
                };
                (seed as u64, score)
            })
            .collect();
        TrainedCell {
            id: method.into(),
            model: "tiny-125k".into(),
            method: method.into(),
            task: "countdown".into(),
            shape: String::new(),
            variant: String::new(),
            params: BTreeMap::new(),
            benchmarks: BTreeMap::new(),
            in_domain,
            fallback: true,
        }
    }

    /// Two methods that both solve nothing are not evidence that one is at least the other.
    #[test]
    fn a_comparison_of_two_zeros_is_inconclusive() {
        let cells = [cell("uft", [0.0; 3]), cell("sft", [0.0; 3])];
        let study = Study::new(&cells, 0.05);
        let claim = study.at_least_claim("(i)", "s".into(), &["tiny-125k"], &[("uft", "sft")]);
        assert_eq!(claim.outcome, Some(Outcome::Inconclusive));
        assert!(claim.lines[0].quantity.contains("nothing to compare"));

        let cells = [cell("uft", [0.3, 0.4, 0.5]), cell("sft", [0.0; 3])];
        let study = Study::new(&cells, 0.05);
        let claim = study.at_least_claim("(i)", "s".into(), &["tiny-125k"], &[("uft", "sft")]);
        assert_eq!(claim.outcome, Some(Outcome::Reproduced));
        assert!(!claim.lines[0].floor);
    }

    fn logic_cell(method: &str, accuracies: [f64; 3]) -> TrainedCell {
        use crate::experiment::Value;
        TrainedCell {
            task: "logic".into(),
            params: BTreeMap::from([
                ("logic_min_people".to_string(), Value::Int(2)),
                ("logic_max_people".to_string(), Value::Int(2)),
            ]),
            ..cell(method, accuracies)
        }
    }

    /// On 2-inhabitant Logic, guessing scores 25 %: methods below it are not compared.
    #[test]
    fn a_comparison_of_two_guessers_is_inconclusive() {
        let claim_i = |cells: &[TrainedCell]| {
            let study = Study::new(cells, 0.05);
            study.at_least_claim("(i)", "s".into(), &["tiny-125k"], &[("uft", "sft")])
        };
        let (uft, sft) = ([0.125, 0.156, 0.094], [0.031, 0.062, 0.031]);
        let claim = claim_i(&[logic_cell("uft", uft), logic_cell("sft", sft)]);
        assert_eq!(claim.outcome, Some(Outcome::Inconclusive));
        assert_eq!(claim.lines[0].floor_level, 0.25);
        assert!(
            claim.lines[0]
                .quantity
                .contains("25.0 %, the level of guessing"),
            "{}",
            claim.lines[0].quantity
        );
        // The same numbers on Countdown, where guessing scores nothing, are evidence.
        let claim = claim_i(&[cell("uft", uft), cell("sft", sft)]);
        assert_eq!(claim.outcome, Some(Outcome::Reproduced));
        // One method above guessing: compared.
        let claim = claim_i(&[logic_cell("uft", [0.5, 0.6, 0.55]), logic_cell("sft", sft)]);
        assert_eq!(claim.outcome, Some(Outcome::Reproduced));
    }

    /// Cells of one task at another shape are another training task: RFT at 4 numbers is
    /// compared with Base at 4 numbers for (iii), never with UFT at 3 numbers for (ii).
    #[test]
    fn cells_of_another_shape_are_another_task() {
        let shaped = |method: &str, shape: &str, accuracies: [f64; 3]| TrainedCell {
            shape: shape.into(),
            id: format!("{method} {shape}"),
            ..cell(method, accuracies)
        };
        let cells = [
            shaped("uft", "3 numbers", [0.30, 0.32, 0.31]),
            shaped("rft", "3 numbers", [0.25, 0.27, 0.26]),
            shaped("base", "3 numbers", [0.10; 3]),
            shaped("rft", "4 numbers", [0.0; 3]),
            shaped("base", "4 numbers", [0.0; 3]),
        ];
        let study = Study::new(&cells, 0.05);
        let ii = study.at_least_claim("(ii)", "s".into(), &["tiny-125k"], &[("uft", "rft")]);
        assert_eq!(ii.lines.len(), 1);
        assert_eq!(ii.lines[0].tasks, "countdown (3 numbers) (the one task)");
        assert!((ii.lines[0].estimate.mean - 0.05).abs() < 1e-9);
        let iii = rft_without_solutions(&study, &["tiny-125k"]);
        assert_eq!(iii.outcome, Some(Outcome::Reproduced));
        assert_eq!(iii.lines.len(), 1);
        assert_eq!(iii.lines[0].tasks, "countdown (4 numbers)");
    }
}
