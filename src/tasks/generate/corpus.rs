//! The corpus that stands in for pretraining data of the tiny base models (CPU-scale study).
//!
//! The paper's base models have read the answer format and a lot of arithmetic, and solve the
//! easier problems of a task but rarely the fine-tuning ones (Table 2: Qwen2.5 base scores
//! 0–4 % on Countdown). The corpus puts a tiny model in that position: it holds **correct worked
//! solutions of easier problems**, in the official prompt template and answer format, drawn
//! from a distribution that never produces a fine-tuning or test problem:
//!
//! - Countdown with **one number fewer** than the fine-tuning problems' fewest (e.g. 2 numbers
//!   for 3-number fine-tuning), numbers from the same range, any target their expression makes;
//! - Countdown with the fine-tuning **count of numbers** but a target **outside** the
//!   fine-tuning targets' range (below its least, or above its largest): the same format and the
//!   same kind of work, never the same problem;
//! - arithmetic facts: `a op b = c` lines, as the step lines use them (operands in the range of
//!   the Countdown numbers, the left one half the time up to the largest target).
//!
//! Each problem is a random expression tree over random numbers (true arithmetic, every number
//! used once, every intermediate result a non-negative integer); its value is the target and its
//! steps, in the official post-order, are the solution. So the fine-tuning problems are one step
//! beyond the corpus: a model that learned it knows the format and the single steps, and must
//! combine them to reach targets it has not been shown — the edge of competence where RL and
//! hints can act (`tiny-models.md`).
//!
//! A document is a (prompt, continuation) pair, trained like SFT data (loss on the continuation
//! and its end-of-text token), so the model learns to answer the prompts it will see.
//! Knights and Knaves is not in the corpus: its easiest official size (2 inhabitants) is the
//! CPU study's, so it has no easier, disjoint version to learn from.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::TaskOptions;
use super::countdown::{CountdownOptions, Expr, Op, build_example};

/// Stream of the corpus problems (the fine-tuning data uses generator seeds 0 and 1).
const CORPUS_DOMAIN: u64 = 0xC0_4B05_0003;

/// One corpus document: the context, and the text the model is trained to continue it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub prompt: String,
    pub continuation: String,
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A solved Countdown problem with fewer numbers than any fine-tuning problem.
    FewerNumbers,
    /// A solved Countdown problem whose target lies outside the fine-tuning targets.
    OtherTarget,
    Arithmetic,
}

/// Two in five documents of each Countdown kind, one in five arithmetic.
pub fn kind_of(index: u64) -> Kind {
    match index % 5 {
        0 | 1 => Kind::FewerNumbers,
        2 | 3 => Kind::OtherTarget,
        _ => Kind::Arithmetic,
    }
}

/// Document `index` of the corpus (a pure function of `(seed, index)`), beside the fine-tuning
/// problems that `tasks` describes.
pub fn document(seed: u64, index: u64, tasks: &TaskOptions) -> Document {
    let mut rng = crate::rng::keyed_rng(&[seed, CORPUS_DOMAIN, index]);
    let options = &tasks.countdown;
    match kind_of(index) {
        Kind::FewerNumbers => {
            let count = options.min_numbers.saturating_sub(1).max(2);
            solved_document(options, count, &mut rng, |_| true)
        }
        Kind::OtherTarget => {
            let count = rng.random_range(options.min_numbers..=options.max_numbers);
            let (least, most) = options.target_range;
            solved_document(options, count, &mut rng, |t| t < least || t > most)
        }
        Kind::Arithmetic => arithmetic_document(options, &mut rng),
    }
}

/// The first `n` documents.
pub fn corpus(seed: u64, n: usize, tasks: &TaskOptions) -> Vec<Document> {
    (0..n as u64).map(|i| document(seed, i, tasks)).collect()
}

/// A random problem of `count` numbers whose target passes `keep`, with its worked solution.
fn solved_document(
    options: &CountdownOptions,
    count: usize,
    rng: &mut ChaCha8Rng,
    keep: impl Fn(i64) -> bool,
) -> Document {
    let (low, high) = options.number_range;
    loop {
        let numbers: Vec<i64> = (0..count).map(|_| rng.random_range(low..=high)).collect();
        let expr = random_expression(&numbers, rng);
        if keep(expr.value()) {
            let solved = build_example(numbers, expr.value(), &expr, options.template);
            return Document {
                prompt: solved.question,
                continuation: solved.answer,
            };
        }
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
    use crate::tasks::example::{Example, GroundTruth};
    use crate::tasks::generate::{LogicOptions, generate_countdown_with};
    use crate::tasks::reward::Verdict;

    /// The official sizes, and the small problems of the CPU-scale study.
    fn option_sets() -> [TaskOptions; 2] {
        let small = TaskOptions {
            countdown: CountdownOptions {
                min_numbers: 3,
                max_numbers: 3,
                number_range: (1, 9),
                target_range: (10, 27),
                template: crate::tasks::prompt::Template::Short,
                ..CountdownOptions::default()
            },
            logic: LogicOptions::with_people(2, 2),
        };
        [TaskOptions::default(), small]
    }

    /// The numbers and target of a Countdown prompt, read back from its text.
    fn problem_of(prompt: &str) -> (Vec<i64>, i64) {
        let list = &prompt[prompt.find('[').unwrap() + 1..prompt.find(']').unwrap()];
        let numbers = list.split(", ").map(|n| n.parse().unwrap()).collect();
        let rest = &prompt[prompt.find("equals ").unwrap() + 7..];
        (numbers, rest[..rest.find('.').unwrap()].parse().unwrap())
    }

    #[test]
    fn every_countdown_document_is_a_correct_solution_of_an_easier_problem() {
        for tasks in option_sets() {
            let c = &tasks.countdown;
            let mut seen = [0usize; 3];
            for index in 0..300 {
                let doc = document(0, index, &tasks);
                assert_eq!(
                    doc,
                    document(0, index, &tasks),
                    "a pure function of the index"
                );
                let kind = kind_of(index);
                seen[kind as usize] += 1;
                if kind == Kind::Arithmetic {
                    assert_true_arithmetic(&doc.continuation, c);
                    continue;
                }
                let (numbers, target) = problem_of(&doc.prompt);
                assert!(
                    numbers
                        .iter()
                        .all(|n| (c.number_range.0..=c.number_range.1).contains(n))
                );
                match kind {
                    Kind::FewerNumbers => assert_eq!(numbers.len(), c.min_numbers - 1),
                    _ => {
                        assert!((c.min_numbers..=c.max_numbers).contains(&numbers.len()));
                        assert!(!(c.target_range.0..=c.target_range.1).contains(&target));
                    }
                }
                // Scored as a response with the official rule, it is correct.
                let example = Example {
                    data_source: "countdown".into(),
                    question: doc.prompt.clone(),
                    hint: vec![],
                    answer: None,
                    ground_truth: GroundTruth::Countdown { numbers, target },
                };
                let verdict = example.score_response(&doc.continuation).verdict;
                assert_eq!(
                    verdict,
                    Verdict::Correct,
                    "{}{}",
                    doc.prompt,
                    doc.continuation
                );
            }
            assert_eq!(seen, [120, 120, 60]);
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

    /// No corpus prompt is a fine-tuning or test prompt, for the study's problem sizes and the
    /// official ones (fine-tuning draws train problems with generator seed 0, test with 1,
    /// validation with 2).
    #[test]
    fn no_corpus_problem_is_a_fine_tuning_or_test_problem() {
        for tasks in option_sets() {
            let fine_tuning: std::collections::HashSet<String> = [0, 1, 2]
                .into_iter()
                .flat_map(|seed| generate_countdown_with(seed, 2000, &tasks.countdown))
                .map(|g| g.question)
                .collect();
            let clashes = corpus(0, 5000, &tasks)
                .iter()
                .filter(|d| fine_tuning.contains(&d.prompt))
                .count();
            assert_eq!(clashes, 0);
        }
    }
}
