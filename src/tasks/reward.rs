//! The result of one reward-function call: a scalar, the verdict level it comes from, and
//! the rule that decided it.
//!
//! The official reward functions (`liumy2010/UFT:verl/utils/reward_score/*.py`, spec
//! `uft-paper.md` §5.3) return one of three levels: 1.0 for a correct answer, 0.1 (the
//! "format score") for an answer that was found but is wrong or cannot be evaluated, and 0
//! when no answer could be extracted. [`Verdict`] names the level; [`Rule`] names the
//! check that decided it, so that logs and tests can say *why* a completion got its score.
//! Each rule implies exactly one verdict ([`Rule::verdict`]), so a [`Reward`] is built
//! from its rule alone ([`Reward::from_rule`]).

/// The three official reward levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The answer matches the reference: reward 1.0.
    Correct,
    /// An answer was extracted but is wrong, or could not be checked: reward 0.1 (the
    /// official `format_score`).
    WrongAnswer,
    /// No answer could be extracted: reward 0.0.
    Unparsable,
}

impl Verdict {
    /// The official reward value of this level: 1.0, 0.1 or 0.0.
    pub fn score(self) -> f64 {
        match self {
            Verdict::Correct => 1.0,
            Verdict::WrongAnswer => 0.1,
            Verdict::Unparsable => 0.0,
        }
    }

    /// `"correct"`, `"wrong_answer"` or `"unparsable"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Correct => "correct",
            Verdict::WrongAnswer => "wrong_answer",
            Verdict::Unparsable => "unparsable",
        }
    }
}

/// Which rule decided a reward. Grouped by the verdict each one implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    // ---- Correct (1.0) ----
    /// The answer matches the reference.
    Matches,

    // ---- Unparsable (0.0) ----
    /// Neither `"Assistant:"` nor `"<|im_start|>assistant"` occurs in the scored text
    /// (`utils.extract_solution` / `kk_logic.extract_solution` return `None`).
    NoAssistantMarker,
    /// No `<answer>…</answer>` pair where the scorer looks for one (the last line for
    /// Countdown/MATH/GSM8k, the whole response for Knights & Knaves).
    NoAnswerTag,
    /// Knights & Knaves only: the last answer tag is empty after stripping whitespace
    /// (`kk_logic.compute_score` tests `if answer_text:` and returns 0).
    EmptyAnswer,
    /// Boxed scorer: no `\boxed{…}` / `\fbox{…}` with balanced braces in the response.
    NoBoxedAnswer,
    /// Multiple-choice scorer: no option letter could be extracted from the response.
    NoChoiceFound,
    /// GSM8k/AIME/AMC: the *reference* target is not a number. The official
    /// `gsm8k.compute_score` raises `ValueError` here (before looking at the response);
    /// we score such a row 0 instead of crashing.
    TargetNotNumeric,

    // ---- WrongAnswer (0.1) ----
    /// Countdown: the sorted integers in the expression (regex `\d+`) differ from the
    /// sorted given numbers (`countdown.validate_equation` is false).
    NumbersMismatch,
    /// Countdown: the expression has a character outside `[\d+\-*/().\s]`.
    IllegalCharacters,
    /// Countdown: Python's `eval` would fail (syntax error, division by zero, overflow, a
    /// value that is not a real number).
    EvaluationFailed,
    /// The answer was evaluated or parsed to a number, but it differs from the target
    /// (Countdown: `|value - target| >= 1e-5`; GSM8k: `|float(answer) - target| >= 1e-5`).
    ValueMismatch,
    /// GSM8k/AIME/AMC: `float(answer)` raises (the answer is not a number).
    NotANumber,
    /// MATH / boxed scorer: the answer is not equivalent to the reference.
    NotEquivalent,
    /// Knights & Knaves: the number of `knight` + `knave` substrings in the answer differs
    /// from the number of inhabitants.
    RoleCountMismatch,
    /// Knights & Knaves: some inhabitant has no `NAME is a knight|knave` statement.
    MissingName,
    /// Knights & Knaves: every inhabitant was assigned a role, but not all roles are right.
    RolesMismatch,
    /// Multiple-choice scorer: a letter was found but it is not the reference letter.
    WrongChoice,
}

impl Rule {
    /// The verdict (and hence the reward level) this rule implies.
    pub fn verdict(self) -> Verdict {
        match self {
            Rule::Matches => Verdict::Correct,
            Rule::NoAssistantMarker
            | Rule::NoAnswerTag
            | Rule::EmptyAnswer
            | Rule::NoBoxedAnswer
            | Rule::NoChoiceFound
            | Rule::TargetNotNumeric => Verdict::Unparsable,
            Rule::NumbersMismatch
            | Rule::IllegalCharacters
            | Rule::EvaluationFailed
            | Rule::ValueMismatch
            | Rule::NotANumber
            | Rule::NotEquivalent
            | Rule::RoleCountMismatch
            | Rule::MissingName
            | Rule::RolesMismatch
            | Rule::WrongChoice => Verdict::WrongAnswer,
        }
    }

    /// A stable snake_case name, for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Matches => "matches",
            Rule::NoAssistantMarker => "no_assistant_marker",
            Rule::NoAnswerTag => "no_answer_tag",
            Rule::EmptyAnswer => "empty_answer",
            Rule::NoBoxedAnswer => "no_boxed_answer",
            Rule::NoChoiceFound => "no_choice_found",
            Rule::TargetNotNumeric => "target_not_numeric",
            Rule::NumbersMismatch => "numbers_mismatch",
            Rule::IllegalCharacters => "illegal_characters",
            Rule::EvaluationFailed => "evaluation_failed",
            Rule::ValueMismatch => "value_mismatch",
            Rule::NotANumber => "not_a_number",
            Rule::NotEquivalent => "not_equivalent",
            Rule::RoleCountMismatch => "role_count_mismatch",
            Rule::MissingName => "missing_name",
            Rule::RolesMismatch => "roles_mismatch",
            Rule::WrongChoice => "wrong_choice",
        }
    }

    /// Every rule, for exhaustive tests and metric tables.
    pub const ALL: [Rule; 17] = [
        Rule::Matches,
        Rule::NoAssistantMarker,
        Rule::NoAnswerTag,
        Rule::EmptyAnswer,
        Rule::NoBoxedAnswer,
        Rule::NoChoiceFound,
        Rule::TargetNotNumeric,
        Rule::NumbersMismatch,
        Rule::IllegalCharacters,
        Rule::EvaluationFailed,
        Rule::ValueMismatch,
        Rule::NotANumber,
        Rule::NotEquivalent,
        Rule::RoleCountMismatch,
        Rule::MissingName,
        Rule::RolesMismatch,
        Rule::WrongChoice,
    ];
}

/// One scored completion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reward {
    /// The scalar reward placed on the last response token: `verdict.score()`.
    pub total: f64,
    /// The official level the reward comes from.
    pub verdict: Verdict,
    /// The rule that decided it.
    pub rule: Rule,
}

impl Reward {
    /// The reward decided by `rule` (its verdict and that verdict's score).
    pub fn from_rule(rule: Rule) -> Reward {
        let verdict = rule.verdict();
        Reward {
            total: verdict.score(),
            verdict,
            rule,
        }
    }

    /// True when the verdict is [`Verdict::Correct`] (the paper's `correctness_accuracy`
    /// counts these).
    pub fn is_correct(&self) -> bool {
        self.verdict == Verdict::Correct
    }
}

impl From<Rule> for Reward {
    fn from(rule: Rule) -> Reward {
        Reward::from_rule(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_the_official_ones() {
        assert_eq!(Verdict::Correct.score(), 1.0);
        assert_eq!(Verdict::WrongAnswer.score(), 0.1);
        assert_eq!(Verdict::Unparsable.score(), 0.0);
    }

    #[test]
    fn reward_total_follows_rule() {
        for rule in Rule::ALL {
            let r = Reward::from_rule(rule);
            assert_eq!(r.rule, rule);
            assert_eq!(r.verdict, rule.verdict());
            assert_eq!(r.total, rule.verdict().score());
        }
        assert!(Reward::from_rule(Rule::Matches).is_correct());
        assert!(!Reward::from(Rule::NotEquivalent).is_correct());
    }

    #[test]
    fn rule_names_are_unique_snake_case() {
        let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
            assert!(!names[..i].contains(n), "duplicate {n}");
        }
    }
}
