//! Countdown problems with step-by-step solution hints (spec `uft-paper.md` §5.1).
//!
//! Format facts established on all 11,264 official rows (`uft_countdown_{train,test}`):
//! * the hint is one `"a op b = c\n"` line per operation (n − 1 of them for n numbers),
//!   then `"Therefore, the final equation is <expr>"`;
//! * the lines are the post-order traversal of the final expression tree (left subtree
//!   first), and `<expr>` parenthesises every non-root operation, e.g. `44 + (19 + 35)`,
//!   `((39 - 21) + 34) - 36`;
//! * every intermediate result is a non-negative integer (zero does occur, e.g. `64 - 64`);
//!   division is used (12% of steps) but always exactly;
//! * numbers look uniform on 1–99 filtered by solvability; targets are uniform on 10–100.
//!
//! Generation: draw n ∈ [min, max] and the target uniformly, then numbers uniformly until
//! the problem is solvable (this reproduces the official skew towards small numbers);
//! enumerate all solution trees (distinct up to swapping the operands of `+`/`*`) and pick
//! one at random. The official solver is unknown (no published script); the pick is
//! weighted and operands are ordered to mimic the official statistics: `-` and especially
//! `(…) - n` down-weighted, two leaves of `+`/`*` in prompt order (as in 99.7% of such official
//! operations), a leaf before a subexpression in 62% of additions and 50% of multiplications,
//! `-`/`/` larger operand first (forced by non-negative integer results).

use super::{GeneratedExample, GroundTruth, example_rng};
use crate::tasks::prompt;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// Stream separator for [`example_rng`] ("Countdow").
const DOMAIN: u64 = 0x436F_756E_7464_6F77;

/// Probability that the leaf operand of an addition with one compound operand is written first
/// (official data: 3,103 leaf-first vs 1,924 compound-first).
const ADD_LEAF_FIRST: f64 = 0.62;
/// Same for multiplication (official: 786 vs 766).
const MUL_LEAF_FIRST: f64 = 0.5;

/// Selection weight of a solution per `(compound) - number` operation (see [`selection_weight`]).
const SUB_COMPOUND_LEAF_WEIGHT: f64 = 0.4;
/// Selection weight of a solution per subtraction (official: 45.9% of steps are `-`).
const SUB_WEIGHT: f64 = 0.8;

/// Options of the Countdown generator; `Default` matches the official data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountdownOptions {
    /// Fewest numbers per problem (official: 3).
    pub min_numbers: usize,
    /// Most numbers per problem (official: 4); at most 5 (the exhaustive search grows fast).
    pub max_numbers: usize,
    /// Range of each number, inclusive (official: 1–99).
    pub number_range: (i64, i64),
    /// Range of the target, inclusive (official: 10–100).
    pub target_range: (i64, i64),
    /// Draws per example before giving up (a panic: the options admit no solvable problem).
    pub max_attempts: usize,
    /// The prompt's frame (official: the official one).
    pub template: prompt::Template,
}

impl Default for CountdownOptions {
    fn default() -> Self {
        Self {
            min_numbers: 3,
            max_numbers: 4,
            number_range: (1, 99),
            target_range: (10, 100),
            max_attempts: 1_000_000,
            template: prompt::Template::Official,
        }
    }
}

impl CountdownOptions {
    /// Refuses ranges where some (count, target) pair may have no solution, which would make
    /// the generator search forever. Sufficient condition: every target is a sum of the fewest
    /// numbers, i.e. `min_numbers · min_value ≤ target ≤ min_numbers · max_value`.
    pub fn check_solvable(&self) -> Result<(), String> {
        let n = self.min_numbers as i64;
        let (low, high) = (n * self.number_range.0, n * self.number_range.1);
        if self.target_range.0 < low || self.target_range.1 > high {
            return Err(format!(
                "targets {}..={} are not all reachable with {n} numbers in {}..={}: \
                 keep the largest target at most {high}",
                self.target_range.0, self.target_range.1, self.number_range.0, self.number_range.1
            ));
        }
        Ok(())
    }
}

/// The four operations; every result must be a non-negative integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    /// The symbol used in hints and equations.
    pub fn symbol(self) -> char {
        match self {
            Op::Add => '+',
            Op::Sub => '-',
            Op::Mul => '*',
            Op::Div => '/',
        }
    }

    /// `a op b` if it is a non-negative integer, else `None`.
    pub fn apply(self, a: i64, b: i64) -> Option<i64> {
        let v = match self {
            Op::Add => a.checked_add(b)?,
            Op::Sub => a.checked_sub(b)?,
            Op::Mul => a.checked_mul(b)?,
            Op::Div => (b != 0 && a % b == 0).then(|| a / b)?,
        };
        (v >= 0).then_some(v)
    }

    fn commutative(self) -> bool {
        matches!(self, Op::Add | Op::Mul)
    }
}

/// An expression tree over the problem's numbers (each leaf remembers its prompt position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Num {
        value: i64,
        index: usize,
    },
    Bin {
        op: Op,
        left: Box<Expr>,
        right: Box<Expr>,
        value: i64,
    },
}

impl Expr {
    /// Combines two expressions if the result is a non-negative integer.
    pub fn combine(op: Op, left: Expr, right: Expr) -> Option<Expr> {
        let value = op.apply(left.value(), right.value())?;
        Some(Expr::Bin {
            op,
            left: Box::new(left),
            right: Box::new(right),
            value,
        })
    }

    /// Exact value.
    pub fn value(&self) -> i64 {
        match self {
            Expr::Num { value, .. } | Expr::Bin { value, .. } => *value,
        }
    }

    /// Official rendering: every non-root operation in parentheses, e.g. `44 + (19 + 35)`.
    pub fn render(&self) -> String {
        match self {
            Expr::Num { value, .. } => value.to_string(),
            Expr::Bin {
                op, left, right, ..
            } => format!(
                "{} {} {}",
                left.render_operand(),
                op.symbol(),
                right.render_operand()
            ),
        }
    }

    fn render_operand(&self) -> String {
        match self {
            Expr::Num { value, .. } => value.to_string(),
            Expr::Bin { .. } => format!("({})", self.render()),
        }
    }

    /// The step lines `"a op b = c\n"` in post-order (left subtree first), as in the official hints.
    pub fn steps(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.push_steps(&mut out);
        out
    }

    fn push_steps(&self, out: &mut Vec<String>) {
        if let Expr::Bin {
            op,
            left,
            right,
            value,
        } = self
        {
            left.push_steps(out);
            right.push_steps(out);
            out.push(format!(
                "{} {} {} = {value}\n",
                left.value(),
                op.symbol(),
                right.value()
            ));
        }
    }

    /// Key identifying the tree up to swapping the operands of `+` and `*` (leaves by value).
    fn canonical_key(&self) -> String {
        match self {
            Expr::Num { value, .. } => value.to_string(),
            Expr::Bin {
                op, left, right, ..
            } => {
                let (mut a, mut b) = (left.canonical_key(), right.canonical_key());
                if op.commutative() && a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                format!("({a}{}{b})", op.symbol())
            }
        }
    }

    /// Smallest prompt position among the leaves (used to order two leaves).
    fn first_index(&self) -> usize {
        match self {
            Expr::Num { index, .. } => *index,
            Expr::Bin { left, right, .. } => left.first_index().min(right.first_index()),
        }
    }
}

/// All ways to reach `target` with every number used once and non-negative integer
/// intermediate results, distinct up to swapping `+`/`*` operands, in a deterministic order.
pub fn solutions(numbers: &[i64], target: i64) -> Vec<Expr> {
    let pool: Vec<Expr> = numbers
        .iter()
        .enumerate()
        .map(|(index, &value)| Expr::Num { value, index })
        .collect();
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    search(&pool, target, &mut found, &mut seen);
    found
}

/// Bottom-up search: combine any two pool entries and recurse until one expression remains.
fn search(pool: &[Expr], target: i64, found: &mut Vec<Expr>, seen: &mut HashSet<String>) {
    if pool.len() == 1 {
        if pool[0].value() == target && seen.insert(pool[0].canonical_key()) {
            found.push(pool[0].clone());
        }
        return;
    }
    for i in 0..pool.len() {
        for j in i + 1..pool.len() {
            let (a, b) = (&pool[i], &pool[j]);
            let mut candidates = vec![
                (Op::Add, a, b),
                (Op::Mul, a, b),
                (Op::Sub, a, b),
                (Op::Sub, b, a),
            ];
            candidates.extend([(Op::Div, a, b), (Op::Div, b, a)]);
            for (op, l, r) in candidates {
                let Some(node) = Expr::combine(op, l.clone(), r.clone()) else {
                    continue;
                };
                let mut next: Vec<Expr> = pool
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != i && k != j)
                    .map(|(_, e)| e.clone())
                    .collect();
                next.push(node);
                search(&next, target, found, seen);
            }
        }
    }
}

/// Relative weight of a solution when picking one. Subtractions are down-weighted, and
/// `(compound) - number` more so, as the official solutions prefer `a - (b …)`: 6.4% of
/// official operations are `(…) - n` vs 15.3% `n - (…)`, where uniform picking gives 13.5%
/// vs 12.1%; and 45.9% of official steps are `-`, where uniform picking gives 50%.
fn selection_weight(expr: &Expr) -> f64 {
    match expr {
        Expr::Num { .. } => 1.0,
        Expr::Bin {
            op, left, right, ..
        } => {
            let own = match op {
                Op::Sub if matches!((&**left, &**right), (Expr::Bin { .. }, Expr::Num { .. })) => {
                    SUB_WEIGHT * SUB_COMPOUND_LEAF_WEIGHT
                }
                Op::Sub => SUB_WEIGHT,
                _ => 1.0,
            };
            own * selection_weight(left) * selection_weight(right)
        }
    }
}

/// Re-orders the operands of every `+`/`*` node in the official style (see module docs).
fn orient(expr: Expr, rng: &mut ChaCha8Rng) -> Expr {
    let Expr::Bin {
        op,
        left,
        right,
        value,
    } = expr
    else {
        return expr;
    };
    let (left, right) = (orient(*left, rng), orient(*right, rng));
    let swap = if !op.commutative() {
        false
    } else {
        match (&left, &right) {
            (Expr::Num { .. }, Expr::Num { .. }) => left.first_index() > right.first_index(),
            (Expr::Num { .. }, Expr::Bin { .. }) | (Expr::Bin { .. }, Expr::Num { .. }) => {
                let p = if op == Op::Add {
                    ADD_LEAF_FIRST
                } else {
                    MUL_LEAF_FIRST
                };
                let leaf_first = rng.random_bool(p);
                leaf_first == matches!(right, Expr::Num { .. })
            }
            (Expr::Bin { .. }, Expr::Bin { .. }) => rng.random_bool(0.5),
        }
    };
    let (left, right) = if swap { (right, left) } else { (left, right) };
    Expr::Bin {
        op,
        left: Box::new(left),
        right: Box::new(right),
        value,
    }
}

/// The hint segments of an expression (its step lines, then `Therefore, the final equation is
/// <expr>`) and the rendered expression, as an official solution writes them.
pub fn worked_equation(expr: &Expr) -> (Vec<String>, String) {
    let equation = expr.render();
    let mut hint = expr.steps();
    hint.push(format!("Therefore, the final equation is {equation}"));
    (hint, equation)
}

/// Builds the official row for a solved problem, its prompt in `template`.
pub fn build_example(
    numbers: Vec<i64>,
    target: i64,
    solution: &Expr,
    template: prompt::Template,
) -> GeneratedExample {
    assert_eq!(
        solution.value(),
        target,
        "the solution must reach the target"
    );
    let (hint, equation) = worked_equation(solution);
    GeneratedExample {
        data_source: "countdown",
        question: prompt::countdown_question(&numbers, target, template),
        answer: prompt::render_answer(&hint, &equation),
        hint,
        ground_truth: GroundTruth::Countdown { numbers, target },
    }
}

/// Example `index` of the stream `seed` (independent of how many examples are drawn).
pub fn countdown_example(seed: u64, index: u64, opts: &CountdownOptions) -> GeneratedExample {
    assert!(
        2 <= opts.min_numbers && opts.min_numbers <= opts.max_numbers && opts.max_numbers <= 5,
        "numbers count"
    );
    assert!(
        0 <= opts.number_range.0 && opts.number_range.0 <= opts.number_range.1,
        "number range"
    );
    assert!(opts.target_range.0 <= opts.target_range.1, "target range");
    let mut rng = example_rng(seed, DOMAIN, index);
    let count = rng.random_range(opts.min_numbers..=opts.max_numbers);
    let target = rng.random_range(opts.target_range.0..=opts.target_range.1);
    for _ in 0..opts.max_attempts {
        let numbers: Vec<i64> = (0..count)
            .map(|_| rng.random_range(opts.number_range.0..=opts.number_range.1))
            .collect();
        let found = solutions(&numbers, target);
        if found.is_empty() {
            continue;
        }
        let weights: Vec<f64> = found.iter().map(selection_weight).collect();
        let mut u = rng.random::<f64>() * weights.iter().sum::<f64>();
        let k = weights.iter().position(|&w| {
            u -= w;
            u < 0.0
        });
        let pick = found[k.unwrap_or(found.len() - 1)].clone();
        let solution = orient(pick, &mut rng);
        return build_example(numbers, target, &solution, opts.template);
    }
    panic!(
        "no solvable Countdown problem in {} attempts with {opts:?}",
        opts.max_attempts
    );
}

/// `n` Countdown examples with the official settings.
pub fn generate_countdown(seed: u64, n: usize) -> Vec<GeneratedExample> {
    generate_countdown_with(seed, n, &CountdownOptions::default())
}

/// `n` Countdown examples with custom options.
pub fn generate_countdown_with(
    seed: u64,
    n: usize,
    opts: &CountdownOptions,
) -> Vec<GeneratedExample> {
    (0..n as u64)
        .map(|i| countdown_example(seed, i, opts))
        .collect()
}

#[cfg(test)]
mod tests;
