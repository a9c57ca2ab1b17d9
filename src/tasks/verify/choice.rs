//! The multiple-choice reward of the §8 suite (ARC-c, GPQA-diamond, MMLU-Pro: the
//! reference is one option letter).
//!
//! Input: the **response only**. [`extract_choice`] tries these rules in order and the
//! first that yields a letter wins (within a rule, the **last** occurrence in the text):
//!
//! 1. **Boxed**: the last `\boxed{…}` / `\fbox{…}` ([`boxed::last_boxed`]), cleaned like a
//!    math answer ([`equiv::clean`]: `$`, `\text{}`/`\textbf{}` wrappers, a trailing `.`),
//!    then one pair of surrounding `( )` removed. A single letter `A`–`J` in either case
//!    (`\boxed{c}`), or an upper-case letter followed by `)`, `.` or `:` and the option
//!    text (`\boxed{C) Planetary days}`), is the choice.
//! 2. **Answer cue**: `answer` (any case), optionally `is`, optional `:`, `*` (markdown
//!    bold) and spaces, an optional `(` or `[`, then an upper-case letter `A`–`J` that is
//!    not followed by another letter or digit: `ANSWER: C` (GPQA's requested format),
//!    `The answer is (B).`, `**Answer:** D`, `Final answer: A`.
//! 3. **Last line**: the last non-empty line, with `*`, `$`, spaces, a trailing `.` and one
//!    pair of surrounding parentheses removed, is a single upper-case letter `A`–`J`.
//!
//! No letter → 0 ([`Rule::NoChoiceFound`]); a different letter → 0.1
//! ([`Rule::WrongChoice`]); the reference letter (compared in upper case) → 1.0.
//! Letters run to `J` because MMLU-Pro has ten options; the rules never read the option
//! texts, so `The answer is Planetary days shorter` finds nothing. Some ARC-c questions
//! label their options `1)`–`4)` (22 of 1,172 rows): when the reference label is a digit,
//! the same rules look for a digit `1`–`9` instead of a letter ([`Labels`]).

use std::sync::OnceLock;

use regex::Regex;

use super::{boxed, equiv};
use crate::tasks::reward::{Reward, Rule};

/// How the options of a question are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// `A`–`J` (ARC-c, GPQA, MMLU-Pro).
    Letters,
    /// `1`–`9` (a few ARC-c questions).
    Digits,
}

impl Labels {
    /// The label kind of a reference label.
    pub fn of(label: char) -> Labels {
        if label.is_ascii_digit() {
            Labels::Digits
        } else {
            Labels::Letters
        }
    }

    fn contains(self, c: char) -> bool {
        match self {
            Labels::Letters => ('A'..='J').contains(&c),
            Labels::Digits => ('1'..='9').contains(&c),
        }
    }
}

/// Scores `response` against the reference option `label` (e.g. `'C'`, or `'2'`).
pub fn score(response: &str, label: char) -> Reward {
    let label = label.to_ascii_uppercase();
    let rule = match extract_choice(response, Labels::of(label)) {
        None => Rule::NoChoiceFound,
        Some(c) if c == label => Rule::Matches,
        Some(_) => Rule::WrongChoice,
    };
    Reward::from_rule(rule)
}

/// The chosen option label (letters in upper case), by the rules of the module docs.
pub fn extract_choice(response: &str, labels: Labels) -> Option<char> {
    boxed_choice(response, labels)
        .or_else(|| answer_cue(response, labels))
        .or_else(|| last_line_choice(response, labels))
}

fn unparenthesize(s: &str) -> &str {
    s.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(s)
        .trim()
}

/// Rule 1.
fn boxed_choice(response: &str, labels: Labels) -> Option<char> {
    let cleaned = equiv::clean(boxed::last_boxed(response)?);
    let inner = unparenthesize(&cleaned);
    let mut chars = inner.chars();
    let first = chars.next()?;
    match chars.next() {
        None => Some(first.to_ascii_uppercase()).filter(|&c| labels.contains(c)),
        Some(')' | '.' | ':') if labels.contains(first) => Some(first),
        _ => None,
    }
}

/// Rule 2.
fn answer_cue(response: &str, labels: Labels) -> Option<char> {
    static LETTER: OnceLock<Regex> = OnceLock::new();
    static DIGIT: OnceLock<Regex> = OnceLock::new();
    let cue = |label: &str| {
        let pattern =
            format!(r"(?i:answer)(?:\s+(?i:is))?[\s:*]*[(\[]?({label})(?:[^A-Za-z0-9]|$)");
        Regex::new(&pattern).expect("valid regex")
    };
    let cue = match labels {
        Labels::Letters => LETTER.get_or_init(|| cue("[A-J]")),
        Labels::Digits => DIGIT.get_or_init(|| cue("[1-9]")),
    };
    let last = cue.captures_iter(response).last()?;
    last[1].chars().next()
}

/// Rule 3.
fn last_line_choice(response: &str, labels: Labels) -> Option<char> {
    let line = response.lines().rev().find(|l| !l.trim().is_empty())?;
    let squashed: String = line
        .chars()
        .filter(|c| !matches!(c, '*' | '$') && !c.is_whitespace())
        .collect();
    let squashed = squashed.strip_suffix('.').unwrap_or(&squashed);
    let mut chars = unparenthesize(squashed).chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if labels.contains(c) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract_choice(response: &str) -> Option<char> {
        super::extract_choice(response, Labels::Letters)
    }

    #[test]
    fn boxed_letters() {
        assert_eq!(extract_choice(r"so the answer is $\boxed{C}$."), Some('C'));
        assert_eq!(extract_choice(r"\boxed{(b)}"), Some('B'));
        assert_eq!(extract_choice(r"\boxed{\text{D}}"), Some('D'));
        assert_eq!(
            extract_choice(r"\boxed{C) Planetary days will become shorter.}"),
            Some('C')
        );
        assert_eq!(
            extract_choice(r"\boxed{A} then, on reflection, \boxed{B}"),
            Some('B')
        );
        // A boxed non-letter falls through to the later rules.
        assert_eq!(extract_choice("\\boxed{42}\nANSWER: E"), Some('E'));
        assert_eq!(extract_choice(r"\boxed{K}"), None);
    }

    #[test]
    fn answer_cues() {
        assert_eq!(extract_choice("Reasoning...\nANSWER: C"), Some('C'));
        assert_eq!(extract_choice("The answer is (B)."), Some('B'));
        assert_eq!(extract_choice("**Answer:** D"), Some('D'));
        assert_eq!(extract_choice("Final answer: A\nThanks"), Some('A'));
        assert_eq!(
            extract_choice("The answer is A. No wait, the answer is J"),
            Some('J')
        );
        assert_eq!(extract_choice("the answer is a planet"), None); // lower-case article
        assert_eq!(extract_choice("The answer is Apple"), None); // a word, not a letter
        assert_eq!(extract_choice("answer: B2"), None);
    }

    #[test]
    fn last_line() {
        assert_eq!(extract_choice("I think\n\n**(C)**\n"), Some('C'));
        assert_eq!(extract_choice("I think\nD."), Some('D'));
        assert_eq!(extract_choice("I think\nDone."), None);
        assert_eq!(extract_choice(""), None);
    }

    #[test]
    fn digit_labels() {
        assert_eq!(
            super::extract_choice(r"\boxed{2}", Labels::Digits),
            Some('2')
        );
        assert_eq!(
            super::extract_choice("The answer is (3).", Labels::Digits),
            Some('3')
        );
        assert_eq!(
            super::extract_choice("The answer is 42.", Labels::Digits),
            None
        );
        assert_eq!(super::extract_choice("ANSWER: C", Labels::Digits), None);
        assert_eq!(score("ANSWER: 4", '4').rule, Rule::Matches);
    }

    #[test]
    fn hostile_inputs_are_cheap() {
        let start = std::time::Instant::now();
        let long = format!("{}ANSWER: C", "answer is ".repeat(100_000));
        assert_eq!(extract_choice(&long), Some('C'));
        assert_eq!(extract_choice(&"\\boxed{".repeat(100_000)), None);
        println!("hostile choice inputs in {:?}", start.elapsed());
    }

    #[test]
    fn levels() {
        assert_eq!(score("ANSWER: C", 'C').total, 1.0);
        assert_eq!(score("ANSWER: C", 'c').rule, Rule::Matches);
        assert_eq!(score("ANSWER: B", 'C').total, 0.1);
        assert_eq!(score("no idea", 'C').total, 0.0);
        assert_eq!(score("no idea", 'C').rule, Rule::NoChoiceFound);
    }
}
