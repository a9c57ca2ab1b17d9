//! Offline generators for the two synthetic UFT tasks, so the harness runs without the
//! official data files (spec `uft-paper.md` §1.2, §5.1, §5.2):
//!
//! * [`countdown`]: Countdown problems (3–4 numbers in 1–99, target 10–100), every one
//!   solvable, with step-equation hints.
//! * [`logic`]: Knights-and-Knaves puzzles (3–7 inhabitants) with exactly one solution
//!   and deduction-style hints, as in Logic-RL / AlphaPav `mem-kk-logic`.
//!
//! Each example is a pure function of `(seed, index)`: an RNG is derived per example by
//! hashing the pair with SplitMix64 into a `ChaCha8Rng` seed, so example `i` is the same
//! whether 10 or 10,000 examples are requested.

pub mod corpus;
pub mod countdown;
pub mod logic;
mod logic_hints;
pub mod logic_statements;

pub use countdown::{
    CountdownOptions, countdown_example, generate_countdown, generate_countdown_with,
};
pub use logic::{LogicOptions, generate_logic, generate_logic_with, logic_example};

use rand_chacha::ChaCha8Rng;

/// How hard the generated problems of both tasks are; `Default` matches the official data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskOptions {
    pub countdown: CountdownOptions,
    pub logic: LogicOptions,
}

impl TaskOptions {
    /// A stable one-line description, e.g. for a cache key.
    pub fn describe(&self) -> String {
        let (c, l) = (&self.countdown, &self.logic);
        let template = match c.template {
            crate::tasks::prompt::Template::Official => "",
            crate::tasks::prompt::Template::Short => " template=short",
        };
        format!(
            "countdown numbers={}..={} values={:?} targets={:?}{template}; logic people={}..={}",
            c.min_numbers,
            c.max_numbers,
            c.number_range,
            c.target_range,
            l.min_people,
            l.max_people
        )
    }

    /// `n` generated examples of `task` ("countdown" or "logic") from generator `seed`.
    pub fn generate(&self, task: &str, seed: u64, n: usize) -> Vec<GeneratedExample> {
        match task {
            "logic" => generate_logic_with(seed, n, &self.logic),
            _ => generate_countdown_with(seed, n, &self.countdown),
        }
    }
}

/// One generated training/evaluation row, shaped like a row of the official files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedExample {
    /// `"countdown"` or `"kk_logic"`, as in the official files.
    pub data_source: &'static str,
    /// Full prompt text (the official `question`, identical to `prompt`).
    pub question: String,
    /// Solution segments; `hint.concat()` is the solution text.
    pub hint: Vec<String>,
    /// `hint.concat() + " </think>\n<answer> " + final + " </answer>"`.
    pub answer: String,
    /// What the reward function checks against.
    pub ground_truth: GroundTruth,
}

pub use crate::tasks::example::GroundTruth;

impl GeneratedExample {
    /// The text inside `<answer> ... </answer>` (the final equation or the solution list).
    pub fn final_answer(&self) -> &str {
        let start = self
            .answer
            .rfind("<answer> ")
            .map_or(0, |i| i + "<answer> ".len());
        let end = self.answer.rfind(" </answer>").unwrap_or(self.answer.len());
        &self.answer[start..end]
    }
}

/// The RNG for example `index` of the stream `(seed, domain)`. `domain` separates the
/// generators so that the same user seed gives unrelated Countdown and Logic streams.
pub(crate) fn example_rng(seed: u64, domain: u64, index: u64) -> ChaCha8Rng {
    crate::rng::keyed_rng(&[seed, domain, index])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn example_rng_separates_seed_domain_index() {
        let draw = |s, d, i| example_rng(s, d, i).random::<u64>();
        assert_eq!(draw(1, 2, 3), draw(1, 2, 3));
        assert_ne!(draw(1, 2, 3), draw(1, 2, 4));
        assert_ne!(draw(1, 2, 3), draw(1, 3, 3));
        assert_ne!(draw(1, 2, 3), draw(2, 2, 3));
        assert_ne!(draw(0, 0, 1), draw(0, 1, 0));
    }

    #[test]
    fn final_answer_extracts_answer_body() {
        let ex = GeneratedExample {
            data_source: "countdown",
            question: String::new(),
            hint: vec![],
            answer: "x </think>\n<answer> 1 + 2 </answer>".into(),
            ground_truth: GroundTruth::Countdown {
                numbers: vec![1, 2],
                target: 3,
            },
        };
        assert_eq!(ex.final_answer(), "1 + 2");
    }
}
