//! The corpus that stands in for pretraining data of the tiny base models (CPU-scale study).
//!
//! The paper's base models have read the answer format and a lot of arithmetic and logic,
//! but mostly cannot solve the tasks (Table 2: Qwen2.5 base scores 0–4 % on Countdown and
//! 0–6 % on Logic). The corpus gives a tiny model the same position. Each document is a task
//! prompt in the official template, drawn from generator seeds the fine-tuning data never use,
//! followed by **random partial work** in the answer format:
//!
//! - Countdown: the step lines of a random expression over the given numbers (true arithmetic,
//!   each number used once), then `Therefore, the final equation is expr </think>\n<answer> expr
//!   </answer>`, exactly as a solution ends — with any expression that happens to reach the
//!   target replaced, so no document shows a solution;
//! - Logic: `Assume X is a knight.` for each inhabitant, then `Therefore, (1) X is a knight\n…` and the
//!   answer block, as a solution ends — with any assignment equal to the solution replaced;
//! - arithmetic facts: `a op b = c` lines, as the step lines use them (operands in the range of
//!   the Countdown numbers, the left one half the time up to the largest target).
//!
//! A document is a (prompt, continuation) pair, trained like SFT data (loss on the
//! continuation), so the model learns to continue the prompts it will see.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::TaskOptions;
use super::countdown::{CountdownOptions, Expr, Op, countdown_example, worked_equation};
use super::logic::{LogicOptions, logic_example};
use super::logic_hints::{conclusion_segments, solution_lines};
use crate::tasks::example::GroundTruth;
use crate::tasks::prompt::render_answer;

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

/// Document `index` of the corpus (a pure function of `(seed, index)`), its problems drawn
/// with `tasks`.
pub fn document(seed: u64, index: u64, tasks: &TaskOptions) -> Document {
    let mut rng = crate::rng::keyed_rng(&[seed, WORK_DOMAIN, index]);
    match kind_of(index) {
        0 | 1 => countdown_document(seed, index, &tasks.countdown, &mut rng),
        2 | 3 => logic_document(seed, index, &tasks.logic, &mut rng),
        _ => arithmetic_document(&tasks.countdown, &mut rng),
    }
}

/// The first `n` documents.
pub fn corpus(seed: u64, n: usize, tasks: &TaskOptions) -> Vec<Document> {
    (0..n as u64).map(|i| document(seed, i, tasks)).collect()
}

fn countdown_document(
    seed: u64,
    index: u64,
    options: &CountdownOptions,
    rng: &mut ChaCha8Rng,
) -> Document {
    let problem = countdown_example(COUNTDOWN_SEED ^ seed, index, options);
    let GroundTruth::Countdown { numbers, target } = &problem.ground_truth else {
        unreachable!("the Countdown generator makes Countdown rows")
    };
    let expr = loop {
        let expr = random_expression(numbers, rng);
        if expr.value() != *target {
            break expr;
        }
    };
    let (work, equation) = worked_equation(&expr);
    Document {
        prompt: problem.question,
        continuation: render_answer(&work, &equation),
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
    let mut work: Vec<String> = names
        .iter()
        .zip(&roles)
        .map(|(name, &r)| format!("Assume {name} is a {}.\n", role(r)))
        .collect();
    work.extend(conclusion_segments(names, &roles));
    Document {
        prompt: problem.question,
        continuation: render_answer(&work, &solution_lines(names, &roles).join("\n")),
    }
}

fn arithmetic_document(options: &CountdownOptions, rng: &mut ChaCha8Rng) -> Document {
    let small = options.number_range.1.max(2);
    let large = options.target_range.1.max(small);
    let mut lines = String::new();
    for _ in 0..8 {
        let most = if rng.random_bool(0.5) { large } else { small };
        let a = rng.random_range(1..=most);
        let b = rng.random_range(1..=small);
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

    /// The official sizes, and the small problems of the CPU-scale study.
    fn option_sets() -> [TaskOptions; 2] {
        let small = TaskOptions {
            countdown: CountdownOptions {
                min_numbers: 3,
                max_numbers: 3,
                number_range: (1, 9),
                target_range: (10, 27),
                ..CountdownOptions::default()
            },
            logic: LogicOptions::with_people(2, 2),
        };
        [TaskOptions::default(), small]
    }

    #[test]
    fn documents_use_the_answer_format_but_never_solve_their_problem() {
        for tasks in option_sets() {
            let mut seen = [0usize; 3];
            for index in 0..200 {
                let doc = document(0, index, &tasks);
                assert_eq!(
                    doc,
                    document(0, index, &tasks),
                    "a pure function of the index"
                );
                let kind = kind_of(index);
                seen[kind.min(4) / 2] += 1;
                if kind == 4 {
                    assert_true_arithmetic(&doc.continuation, &tasks.countdown);
                    continue;
                }
                // Score the document as a response with the official rule of its task.
                let problem = if kind < 2 {
                    countdown_example(COUNTDOWN_SEED, index, &tasks.countdown)
                } else {
                    logic_example(LOGIC_SEED, index, &tasks.logic)
                };
                assert_eq!(problem.question, doc.prompt);
                let verdict = Example::from(problem)
                    .score_response(&doc.continuation)
                    .verdict;
                assert_eq!(verdict, Verdict::WrongAnswer, "{}", doc.continuation);
            }
            assert_eq!(seen, [80, 80, 40]);
        }
    }

    /// Every line is a true `a op b = c` with `b` in the range of the Countdown numbers.
    fn assert_true_arithmetic(text: &str, options: &CountdownOptions) {
        for line in text.lines() {
            let (lhs, value) = line.split_once(" = ").unwrap();
            let value: i64 = value.parse().unwrap();
            let parts: Vec<&str> = lhs.split(' ').collect();
            let (a, b): (i64, i64) = (parts[0].parse().unwrap(), parts[2].parse().unwrap());
            assert!((1..=options.number_range.1).contains(&b), "{line}");
            assert!((1..=options.target_range.1.max(options.number_range.1)).contains(&a));
            let expected = match parts[1] {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                _ => a / b,
            };
            assert_eq!(value, expected, "{line}");
        }
    }

    #[test]
    fn corpus_problems_are_not_the_fine_tuning_problems() {
        let train: Vec<String> = super::super::generate_countdown(0, 500)
            .into_iter()
            .map(|g| g.question)
            .collect();
        let overlap = corpus(0, 500, &TaskOptions::default())
            .iter()
            .filter(|d| train.contains(&d.prompt))
            .count();
        // Countdown prompts can coincide by chance (same numbers and target); it is rare at the
        // official sizes. With small problems many coincide, which shows no solution either:
        // the test above holds for every document.
        assert!(
            overlap <= 2,
            "{overlap} corpus prompts are training prompts"
        );
    }
}
