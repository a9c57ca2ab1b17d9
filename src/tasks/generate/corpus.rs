//! The corpus that stands in for pretraining data of the tiny base models (CPU-scale study).
//!
//! The paper's base models have read the answer format and a lot of arithmetic and logic,
//! but mostly cannot solve the tasks (Table 2: Qwen2.5 base scores 0–4 % on Countdown and
//! 0–6 % on Logic). The corpus gives a tiny model the same position. Each document is a task
//! prompt in the official template, drawn from generator seeds the fine-tuning data never use,
//! followed by **random partial work** in the answer format:
//!
//! - Countdown: the step lines of a random expression over the given numbers (true arithmetic,
//!   each number used once), then `</think>\n<answer> expr </answer>` — with any expression
//!   that happens to reach the target replaced, so no document shows a solution;
//! - Logic: a role claimed for each inhabitant, then the answer block in the official
//!   `(1) X is a knight` form — with any assignment equal to the solution replaced;
//! - arithmetic facts: `a op b = c` lines, as the step lines use them.
//!
//! A document is a (prompt, continuation) pair, trained like SFT data (loss on the
//! continuation), so the model learns to continue the prompts it will see.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::countdown::{CountdownOptions, Expr, Op, countdown_example};
use super::logic::{LogicOptions, logic_example};
use crate::tasks::example::GroundTruth;

/// Generator seeds of the corpus problems. Fine-tuning uses seeds 0 (train) and 1 (test).
const COUNTDOWN_SEED: u64 = 1_000_001;
const LOGIC_SEED: u64 = 1_000_002;
/// Stream of the random work.
const WORK_DOMAIN: u64 = 0xC0_4B05;

/// One corpus document: the context, and the text the model is trained to continue it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub prompt: String,
    pub continuation: String,
}

/// What kind of document `index` is: 2 in 5 Countdown, 2 in 5 Logic, 1 in 5 arithmetic.
fn kind_of(index: u64) -> usize {
    (index % 5) as usize
}

/// Document `index` of the corpus (a pure function of `(seed, index)`).
pub fn document(seed: u64, index: u64, logic: &LogicOptions) -> Document {
    let mut rng = crate::rng::keyed_rng(&[seed, WORK_DOMAIN, index]);
    match kind_of(index) {
        0 | 1 => countdown_document(seed, index, &mut rng),
        2 | 3 => logic_document(seed, index, logic, &mut rng),
        _ => arithmetic_document(&mut rng),
    }
}

/// The first `n` documents.
pub fn corpus(seed: u64, n: usize, logic: &LogicOptions) -> Vec<Document> {
    (0..n as u64).map(|i| document(seed, i, logic)).collect()
}

fn countdown_document(seed: u64, index: u64, rng: &mut ChaCha8Rng) -> Document {
    let problem = countdown_example(COUNTDOWN_SEED ^ seed, index, &CountdownOptions::default());
    let GroundTruth::Countdown { numbers, target } = &problem.ground_truth else {
        unreachable!("the Countdown generator makes Countdown rows")
    };
    let expr = loop {
        let expr = random_expression(numbers, rng);
        if expr.value() != *target {
            break expr;
        }
    };
    Document {
        prompt: problem.question,
        continuation: format!(
            "{} </think>\n<answer> {} </answer>",
            expr.steps().concat(),
            expr.render()
        ),
    }
}

/// A random expression tree using every number once: repeatedly combine two random
/// sub-expressions with a random operation that keeps the value a non-negative integer.
fn random_expression(numbers: &[i64], rng: &mut ChaCha8Rng) -> Expr {
    let mut pool: Vec<Expr> = numbers
        .iter()
        .enumerate()
        .map(|(index, &value)| Expr::Num { value, index })
        .collect();
    while pool.len() > 1 {
        let i = rng.random_range(0..pool.len());
        let left = pool.swap_remove(i);
        let j = rng.random_range(0..pool.len());
        let right = pool.swap_remove(j);
        // `+` and `*` always succeed, so a valid operation exists.
        let ops = [Op::Add, Op::Sub, Op::Mul, Op::Div];
        let start = rng.random_range(0..ops.len());
        let combined = (0..ops.len())
            .find_map(|k| Expr::combine(ops[(start + k) % ops.len()], left.clone(), right.clone()))
            .expect("addition of non-negative integers is always admissible");
        pool.push(combined);
    }
    pool.remove(0)
}

fn logic_document(seed: u64, index: u64, options: &LogicOptions, rng: &mut ChaCha8Rng) -> Document {
    let problem = logic_example(LOGIC_SEED ^ seed, index, options);
    let GroundTruth::Logic {
        names, solution, ..
    } = &problem.ground_truth
    else {
        unreachable!("the Logic generator makes Logic rows")
    };
    let roles: Vec<bool> = loop {
        let roles: Vec<bool> = names.iter().map(|_| rng.random_bool(0.5)).collect();
        if &roles != solution {
            break roles;
        }
    };
    let role = |knight: bool| if knight { "knight" } else { "knave" };
    let claims: String = names
        .iter()
        .zip(&roles)
        .map(|(name, &r)| format!("{name} is a {}. ", role(r)))
        .collect();
    let lines: Vec<String> = names
        .iter()
        .zip(&roles)
        .enumerate()
        .map(|(i, (name, &r))| format!("({}) {name} is a {}", i + 1, role(r)))
        .collect();
    Document {
        prompt: problem.question,
        continuation: format!(
            "{} </think>\n<answer> {} </answer>",
            claims.trim_end(),
            lines.join("\n")
        ),
    }
}

fn arithmetic_document(rng: &mut ChaCha8Rng) -> Document {
    let mut lines = String::new();
    for _ in 0..8 {
        let (a, b) = (rng.random_range(1..100i64), rng.random_range(1..100i64));
        let op = [Op::Add, Op::Sub, Op::Mul, Op::Div][rng.random_range(0..4)];
        if let Some(value) = op.apply(a, b) {
            lines.push_str(&format!("{a} {} {b} = {value}\n", op.symbol()));
        }
    }
    Document {
        prompt: "Arithmetic:\n".into(),
        continuation: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::example::Example;
    use crate::tasks::reward::Verdict;

    #[test]
    fn documents_use_the_answer_format_but_never_solve_their_problem() {
        let logic = LogicOptions::default();
        let mut seen = [0usize; 3];
        for index in 0..200 {
            let doc = document(0, index, &logic);
            assert_eq!(
                doc,
                document(0, index, &logic),
                "a pure function of the index"
            );
            let kind = kind_of(index);
            seen[kind.min(4) / 2] += 1;
            if kind == 4 {
                for line in doc.continuation.lines() {
                    let (lhs, value) = line.split_once(" = ").unwrap();
                    let value: i64 = value.parse().unwrap();
                    let parts: Vec<&str> = lhs.split(' ').collect();
                    let (a, b): (i64, i64) = (parts[0].parse().unwrap(), parts[2].parse().unwrap());
                    let expected = match parts[1] {
                        "+" => a + b,
                        "-" => a - b,
                        "*" => a * b,
                        _ => a / b,
                    };
                    assert_eq!(value, expected, "{line}");
                }
                continue;
            }
            // Score the document as a response with the official rule of its task.
            let problem = if kind < 2 {
                countdown_example(COUNTDOWN_SEED, index, &CountdownOptions::default())
            } else {
                logic_example(LOGIC_SEED, index, &logic)
            };
            assert_eq!(problem.question, doc.prompt);
            let verdict = Example::from(problem)
                .score_response(&doc.continuation)
                .verdict;
            assert_eq!(verdict, Verdict::WrongAnswer, "{}", doc.continuation);
        }
        assert_eq!(seen, [80, 80, 40]);
    }

    #[test]
    fn corpus_problems_are_not_the_fine_tuning_problems() {
        let train: Vec<String> = super::super::generate_countdown(0, 500)
            .into_iter()
            .map(|g| g.question)
            .collect();
        let overlap = corpus(0, 500, &LogicOptions::default())
            .iter()
            .filter(|d| train.contains(&d.prompt))
            .count();
        // Countdown prompts can coincide by chance (same numbers and target); it must be rare.
        assert!(
            overlap <= 2,
            "{overlap} corpus prompts are training prompts"
        );
    }
}
