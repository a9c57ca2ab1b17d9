//! The Countdown reward (`liumy2010/UFT:verl/utils/reward_score/countdown.py`, spec §5.3).
//!
//! Input: the decoded **prompt + hint + response** text (it contains the prompt's
//! `"Assistant:"`). The rules, in the official order:
//!
//! 1. Extract the answer ([`extract::uft_answer`]): no `"Assistant:"` marker, or no
//!    `<answer>…</answer>` on the last line → 0.
//! 2. `validate_equation`: the integers found by regex `\d+` (Unicode digits, as Python's
//!    `re`; leading zeros ignored, as `int()` does), sorted, must equal the sorted given
//!    numbers — each number used exactly once → else 0.1 ([`Rule::NumbersMismatch`]).
//!    Note that a decimal such as `3.5` contributes the integers 3 and 5.
//! 3. `evaluate_equation`: every character must be in `[\d+\-*/().\s]` (Python's `\d` and
//!    `\s`: Unicode digits and Python whitespace) → else 0.1 ([`Rule::IllegalCharacters`]);
//!    then Python's `eval` must succeed with a real number ([`arith::eval_python`]) → else
//!    0.1 ([`Rule::EvaluationFailed`]). Allowed-but-odd input behaves as in Python: `**` is a
//!    power, `//` floor division, `05` a syntax error, non-ASCII digits pass the character
//!    filter but fail `eval`.
//! 4. `|value - target| < 1e-5` → 1.0 ([`Rule::Matches`]), else 0.1 ([`Rule::ValueMismatch`]).
//!
//! Python returns the same 0.1 for "illegal characters" and "eval failed"; the two rules
//! only refine the reason. Differences in evaluation (exact rationals instead of floats) are
//! listed in [`arith`].

use super::arith::{self, EvalError};
use super::{extract, py};
use crate::tasks::reward::{Reward, Rule};

/// Scores `text` (prompt + hint + response) for the given numbers and target.
pub fn score(text: &str, numbers: &[i64], target: i64) -> Reward {
    match extract::uft_answer(text) {
        Ok(equation) => Reward::from_rule(check_equation(equation, numbers, target)),
        Err(rule) => Reward::from_rule(rule),
    }
}

/// Rules 2–4 for an already extracted equation.
pub fn check_equation(equation: &str, numbers: &[i64], target: i64) -> Rule {
    if !uses_numbers_once(equation, numbers) {
        return Rule::NumbersMismatch;
    }
    if equation.is_empty() || !equation.chars().all(is_allowed_char) {
        return Rule::IllegalCharacters;
    }
    match arith::eval_python(equation) {
        Ok(value) if value.within_1e5_of(target) => Rule::Matches,
        Ok(_) => Rule::ValueMismatch,
        Err(
            EvalError::Syntax | EvalError::ZeroDivision | EvalError::Overflow | EvalError::NotReal,
        ) => Rule::EvaluationFailed,
    }
}

/// `^[\d+\-*/().\s]+$` per character, with Python's Unicode `\d` and `\s`.
fn is_allowed_char(c: char) -> bool {
    matches!(c, '+' | '-' | '*' | '/' | '(' | ')' | '.') || py::is_decimal(c) || py::is_space(c)
}

/// `sorted(int(n) for n in re.findall(r'\d+', equation)) == sorted(numbers)`.
pub fn uses_numbers_once(equation: &str, numbers: &[i64]) -> bool {
    let mut found = match integers_in(equation, numbers.len()) {
        Some(found) => found,
        None => return false,
    };
    let mut given: Vec<i128> = numbers.iter().map(|&n| i128::from(n)).collect();
    found.sort_unstable();
    given.sort_unstable();
    found == given
}

/// The integers of the maximal runs of decimal digits, or `None` as soon as the list
/// cannot equal `expected_len` given `i64` numbers (more runs, or a run too large for
/// `i64`), which keeps the work bounded on hostile input.
fn integers_in(text: &str, expected_len: usize) -> Option<Vec<i128>> {
    let mut out = Vec::new();
    let mut current: Option<i128> = None;
    for c in text.chars().chain(std::iter::once(' ')) {
        match py::decimal_value(c) {
            Some(d) => {
                let v = current
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(i128::from(d))?;
                if v > i128::from(i64::MAX) {
                    return None; // int(run) > every i64: cannot match a given number
                }
                current = Some(v);
            }
            None => {
                if let Some(v) = current.take() {
                    out.push(v);
                    if out.len() > expected_len {
                        return None;
                    }
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const PROMPT: &str = "User: Using the numbers [44, 19, 35], create an equation that equals 98. \
        Show your work in <think> </think> tags. And return the final answer in <answer> </answer> \
        tags, for example <answer> (1 + 2) / 3 </answer>.\nAssistant: Let me solve this step by step.\n<think> ";

    fn run(answer: &str) -> Rule {
        score(
            &format!("{PROMPT}19 + 35 = 54 </think>\n<answer> {answer} </answer>"),
            &[44, 19, 35],
            98,
        )
        .rule
    }

    #[test]
    fn official_levels() {
        assert_eq!(run("44 + (19 + 35)"), Rule::Matches);
        assert_eq!(
            score(
                &format!("{PROMPT}<answer>44+19+35</answer>"),
                &[44, 19, 35],
                98
            )
            .total,
            1.0
        );
        assert_eq!(run("44 + 19 - 35"), Rule::ValueMismatch);
        assert_eq!(
            score(
                &format!("{PROMPT}<answer>44+19-35</answer>"),
                &[44, 19, 35],
                98
            )
            .total,
            0.1
        );
        let no_tag = score(&format!("{PROMPT}44 + 19 + 35"), &[44, 19, 35], 98);
        assert_eq!((no_tag.rule, no_tag.total), (Rule::NoAnswerTag, 0.0));
        assert_eq!(
            score("44 + 19 + 35", &[44, 19, 35], 98).rule,
            Rule::NoAssistantMarker
        );
    }

    #[test]
    fn numbers_each_once() {
        assert_eq!(run("44 + 19 + 35 + 0"), Rule::NumbersMismatch);
        assert_eq!(run("44 + 54"), Rule::NumbersMismatch);
        assert_eq!(run("35 + 19 + 44"), Rule::Matches); // any order
        assert_eq!(run("044 + 19 + 35"), Rule::EvaluationFailed); // int('044') == 44; eval: SyntaxError
        assert_eq!(run("44.0 + 19 + 35"), Rule::NumbersMismatch); // 44.0 contains 44 and 0
        assert!(uses_numbers_once("3.5", &[5, 3]));
        assert!(uses_numbers_once("1 + 1", &[1, 1]));
        assert!(!uses_numbers_once("1", &[1, 1]));
        assert!(!uses_numbers_once("", &[1]));
        assert!(uses_numbers_once("", &[]));
        // Non-ASCII digits count as in Python's re/int, then fail eval.
        assert_eq!(run("\u{664}\u{664} + 19 + 35"), Rule::EvaluationFailed);
    }

    #[test]
    fn characters_then_eval() {
        assert_eq!(run("44 + 19 + 35 = 98"), Rule::NumbersMismatch);
        assert_eq!(run("44 + 19 + 35 x"), Rule::IllegalCharacters);
        assert_eq!(run("44 × (19 + 35)"), Rule::IllegalCharacters);
        assert_eq!(run("44 + 19 +\u{1c} 35"), Rule::EvaluationFailed); // \s in Python, not to eval
        assert_eq!(run("(44 + 19 + 35"), Rule::EvaluationFailed);
        assert_eq!(run("44 / (19 - 19) + 35"), Rule::NumbersMismatch);
        assert_eq!(
            check_equation("44 / (35 - 35) + 19", &[44, 35, 35, 19], 98),
            Rule::EvaluationFailed
        );
        assert_eq!(check_equation("", &[], 0), Rule::IllegalCharacters);
    }

    #[test]
    fn python_operators() {
        assert_eq!(
            check_equation("2 ** 5 * 3 + 2", &[2, 5, 3, 2], 98),
            Rule::Matches
        );
        assert_eq!(
            check_equation("99 // 2 * 2", &[99, 2, 2], 98),
            Rule::Matches
        );
        assert_eq!(check_equation("-(-98)", &[98], 98), Rule::Matches);
        assert_eq!(
            check_equation("(95 + 3) / 1", &[95, 3, 1], 98),
            Rule::Matches
        );
        assert_eq!(
            check_equation("98 + 1 / 100001", &[98, 1, 100001], 98),
            Rule::Matches
        );
        assert_eq!(
            check_equation("98 + 1 / 100000", &[98, 1, 100000], 98),
            Rule::ValueMismatch
        );
        assert_eq!(
            check_equation("2(49)", &[2, 49], 98),
            Rule::EvaluationFailed
        );
    }

    /// Hostile inputs: every call returns promptly with a clean verdict.
    #[test]
    fn robustness() {
        let huge = "9".repeat(1000);
        let nested = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let megabyte_sum = vec!["1"; 500_000].join("+");
        let cases: Vec<(String, Vec<i64>, Rule)> = vec![
            (
                format!("{huge} - {huge} + 98"),
                vec![98],
                Rule::NumbersMismatch,
            ),
            (
                "99 ** 99 ** 99".into(),
                vec![99, 99, 99],
                Rule::EvaluationFailed,
            ), // Python: hangs
            (
                "(99 ** 99 - 99 ** 99) + 98".into(),
                vec![99, 99, 99, 99, 98],
                Rule::Matches,
            ),
            (nested, vec![1], Rule::EvaluationFailed),
            (megabyte_sum.clone(), vec![1; 500_000], Rule::ValueMismatch),
            (megabyte_sum, vec![1; 3], Rule::NumbersMismatch),
            ("-".repeat(1_000_000) + "98", vec![98], Rule::Matches),
            ("*".repeat(1_000_000), vec![], Rule::EvaluationFailed),
            ("9".repeat(1_000_000), vec![9], Rule::NumbersMismatch),
        ];
        for (eq, numbers, want) in cases {
            let start = Instant::now();
            let got = check_equation(&eq, &numbers, 98);
            println!("{} bytes -> {got:?} in {:?}", eq.len(), start.elapsed());
            assert_eq!(got, want, "{}", &eq[..eq.len().min(60)]);
        }
        // Random bytes (a fixed LCG stream), as a full completion: no panic.
        let alphabet = b"0123456789+-*/(). \t\r\x0b<>answer/Assistant:\n";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let start = Instant::now();
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(state >> 33) as usize % alphabet.len()]
                })
                .collect();
            let text = format!(
                "Assistant: <answer>{}</answer>",
                String::from_utf8_lossy(&bytes)
            );
            let r = score(&text, &[1, 2, 3], 6);
            assert!([0.0, 0.1, 1.0].contains(&r.total));
        }
        println!("2000 random completions in {:?}", start.elapsed());
    }
}
