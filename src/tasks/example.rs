//! One task example, whatever its source (official file, LUFFY file or generator), and how it
//! is prompted and scored. The scorer is chosen by `match` on the ground truth's variant, which
//! the loader chose by the exact `data_source` name.

use super::reward::Reward;
use super::verify::{boxed, choice, countdown, extract, hendrycks, logic};
use crate::algo::hint::{MAX_SEGMENTS, segment_boundaries};

/// What a completion is checked against (`reward_model.ground_truth` of the official files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroundTruth {
    /// Countdown: the numbers (in prompt order) and the target.
    Countdown { numbers: Vec<i64>, target: i64 },
    /// Knights and Knaves: names in order, `solution[i]` is true when inhabitant `i` is a
    /// knight, the `"(1) X is a knight\n(2) ..."` text, and the statements as a Python tuple.
    Logic {
        names: Vec<String>,
        solution: Vec<bool>,
        solution_text_format: String,
        statements: String,
    },
    /// MATH-type answers, compared after the Hendrycks normalisation.
    Math { target: String },
    /// GSM8k / AIME / AMC answers, compared as numbers.
    Numeric { target: String },
    /// The §8 suite's math problems: the last `\boxed{}` of the response, by equivalence.
    Boxed { target: String },
    /// The §8 suite's multiple-choice problems (ARC-c, GPQA, MMLU-Pro): the chosen letter.
    Choice { label: char },
}

impl GroundTruth {
    /// The task family's name, as `repro score --task` spells it.
    pub fn task_name(&self) -> &'static str {
        match self {
            GroundTruth::Countdown { .. } => "countdown",
            GroundTruth::Logic { .. } => "logic",
            GroundTruth::Math { .. } => "math",
            GroundTruth::Numeric { .. } => "numeric",
            GroundTruth::Boxed { .. } => "boxed",
            GroundTruth::Choice { .. } => "choice",
        }
    }
}

/// A row of a task file.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub data_source: String,
    /// The full prompt text, ending in `<think> ` for the UFT tasks.
    pub question: String,
    /// The annotated solution as sentences; `hint.concat()` is the solution text (may be empty).
    pub hint: Vec<String>,
    /// The reference response (solution + answer tags), when the file has one.
    pub answer: Option<String>,
    pub ground_truth: GroundTruth,
}

impl Example {
    /// The prompt with the first `k` of at most five hint segments appended (spec §1.2: the
    /// prompt and the hint are concatenated as text; `k = 0` is the plain prompt).
    pub fn prompt_with_hint(&self, k: usize) -> String {
        let bounds = segment_boundaries(self.hint.len(), MAX_SEGMENTS);
        let sentences = bounds[k.min(bounds.len() - 1)];
        let mut prompt = self.question.clone();
        prompt.extend(self.hint[..sentences].iter().map(String::as_str));
        prompt
    }

    /// Scores a response to the plain prompt. The UFT rewards read the decoded prompt +
    /// response (spec §5.3), so the question is put in front; the §8 graders read the response.
    pub fn score_response(&self, response: &str) -> Reward {
        match &self.ground_truth {
            GroundTruth::Boxed { target } => boxed::score(response, target),
            GroundTruth::Choice { label } => choice::score(response, *label),
            _ => self.score_text(&format!("{}{response}", self.question)),
        }
    }

    /// The answer the official rule extracts from a response to the plain prompt (what
    /// [`Example::score_response`] then checks), or `None` when it finds none.
    pub fn parsed_answer(&self, response: &str) -> Option<String> {
        let text = || format!("{}{response}", self.question);
        match &self.ground_truth {
            GroundTruth::Countdown { .. }
            | GroundTruth::Math { .. }
            | GroundTruth::Numeric { .. } => extract::uft_answer(&text()).ok().map(str::to_string),
            GroundTruth::Logic { .. } => extract::logic_answer(&text()).ok().map(str::to_string),
            GroundTruth::Boxed { .. } => boxed::last_boxed(response).map(str::to_string),
            GroundTruth::Choice { label } => {
                choice::extract_choice(response, choice::Labels::of(label.to_ascii_uppercase()))
                    .map(String::from)
            }
        }
    }

    /// Scores a full decoded text (prompt + hint + response) with the official rule.
    pub fn score_text(&self, text: &str) -> Reward {
        match &self.ground_truth {
            GroundTruth::Countdown { numbers, target } => countdown::score(text, numbers, *target),
            GroundTruth::Logic {
                names, solution, ..
            } => logic::score(text, names, solution),
            GroundTruth::Math { target } => hendrycks::score_math(text, target),
            GroundTruth::Numeric { target } => hendrycks::score_numeric(text, target),
            GroundTruth::Boxed { target } => boxed::score(text, target),
            GroundTruth::Choice { label } => choice::score(text, *label),
        }
    }
}

impl From<super::generate::GeneratedExample> for Example {
    fn from(g: super::generate::GeneratedExample) -> Example {
        Example {
            data_source: g.data_source.to_string(),
            question: g.question,
            hint: g.hint,
            answer: Some(g.answer),
            ground_truth: g.ground_truth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::reward::Verdict;

    #[test]
    fn generated_reference_answers_score_correct_and_hints_prefix_the_solution() {
        for g in crate::tasks::generate::generate_countdown(3, 20)
            .into_iter()
            .chain(crate::tasks::generate::generate_logic(3, 20))
        {
            let ex = Example::from(g);
            let answer = ex.answer.clone().unwrap();
            assert_eq!(
                ex.score_response(&answer).verdict,
                Verdict::Correct,
                "{answer}"
            );
            assert_eq!(ex.prompt_with_hint(0), ex.question);
            let full = ex.prompt_with_hint(5);
            assert_eq!(full, format!("{}{}", ex.question, ex.hint.concat()));
            assert!(answer.starts_with(&ex.prompt_with_hint(1)[ex.question.len()..]));
        }
    }

    #[test]
    fn the_parsed_answer_is_what_the_official_rule_reads() {
        let ex = Example::from(crate::tasks::generate::generate_countdown(3, 1).remove(0));
        // Countdown reads the last line's last answer tag only.
        assert_eq!(
            ex.parsed_answer(" ok</think>\n<answer> 1 + 2 </answer>"),
            Some("1 + 2".to_string())
        );
        assert_eq!(ex.parsed_answer("<answer>1</answer>\nmore"), None);
        let logic = Example::from(crate::tasks::generate::generate_logic(3, 1).remove(0));
        // Knights and Knaves reads the whole response.
        assert_eq!(
            logic.parsed_answer("<answer>(1) A is a knight</answer>\nmore"),
            Some("(1) A is a knight".to_string())
        );
        assert_eq!(logic.parsed_answer("no tags"), None);
    }
}
