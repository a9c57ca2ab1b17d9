//! The boxed-answer reward of the §8 benchmark suite (LUFFY protocol: the model ends its
//! solution with `\boxed{answer}`; the answer is checked for mathematical equivalence).
//!
//! Input: the **response only** (no prompt is needed; a prompt containing `\boxed` would
//! be harmless only if the response also has one, since the last box wins).
//!
//! Extraction ([`last_boxed`]) follows the Hendrycks/DeepScaleR `last_boxed_only_string`:
//! the last `\boxed` (or, only if there is none, the last `\fbox`); if the command is
//! followed (after optional spaces) by `{`, the content up to the matching `}` counting
//! every `{` and `}` (escaped `\{` `\}` included, as the Python counts them); if it is
//! followed by a space and no brace (`\boxed 5`), the text up to the next `$` or line end.
//! No match or unbalanced braces → 0 ([`Rule::NoBoxedAnswer`]). Equivalence is
//! [`equiv::math_equal`] → 1.0, else 0.1 ([`Rule::NotEquivalent`]).
//!
//! The LUFFY evaluation itself reports binary accuracy; 0.1 keeps the UFT convention for
//! "answer found but wrong" so that the three levels mean the same thing everywhere.

use super::equiv;
use crate::tasks::reward::{Reward, Rule};

/// Scores `response` against `ground_truth` (a bare answer such as `\frac{1}{2}`).
pub fn score(response: &str, ground_truth: &str) -> Reward {
    let rule = match last_boxed(response) {
        None => Rule::NoBoxedAnswer,
        Some(answer) if equiv::math_equal(answer, ground_truth) => Rule::Matches,
        Some(_) => Rule::NotEquivalent,
    };
    Reward::from_rule(rule)
}

/// The content of the last `\boxed{…}` (else `\fbox{…}`), or `None`.
pub fn last_boxed(text: &str) -> Option<&str> {
    let (start, command) = match text.rfind("\\boxed") {
        Some(i) => (i, "\\boxed"),
        None => (text.rfind("\\fbox")?, "\\fbox"),
    };
    let after = &text[start + command.len()..];
    let trimmed = after.trim_start_matches(' ');
    if let Some(body) = trimmed.strip_prefix('{') {
        let mut depth = 1usize;
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&body[..i]);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    if trimmed.len() < after.len() {
        // `\boxed 5$`: up to the next `$` or line end.
        let end = trimmed.find(['$', '\n']).unwrap_or(trimmed.len());
        let answer = trimmed[..end].trim();
        return (!answer.is_empty()).then_some(answer);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction() {
        assert_eq!(
            last_boxed(r"so \boxed{1} or \boxed{\frac{1}{2}}."),
            Some(r"\frac{1}{2}")
        );
        assert_eq!(last_boxed(r"\boxed {7}"), Some("7"));
        assert_eq!(last_boxed(r"$\boxed 42$ done"), Some("42"));
        assert_eq!(last_boxed(r"\fbox{3} and \fbox{4}"), Some("4"));
        assert_eq!(last_boxed(r"\boxed{1} \fbox{2}"), Some("1")); // \boxed is preferred
        assert_eq!(last_boxed(r"\boxed{\{1,2\}}"), Some(r"\{1,2\}"));
        assert_eq!(last_boxed(r"\boxed{(1, 2}"), Some("(1, 2")); // parentheses are not counted
        assert_eq!(last_boxed(r"\boxed{\frac{1}{2}"), None);
        assert_eq!(last_boxed(r"\boxed{}"), Some(""));
        assert_eq!(last_boxed(r"\boxed"), None);
        assert_eq!(last_boxed(r"\boxedx"), None);
        assert_eq!(last_boxed("no box"), None);
        assert_eq!(last_boxed(r"\boxed{日本}"), Some("日本"));
    }

    #[test]
    fn levels() {
        let r = score(r"Thus the answer is $\boxed{\dfrac{1}{2}}$.", "0.5");
        assert_eq!((r.rule, r.total), (Rule::Matches, 1.0));
        let r = score(r"\boxed{3}", "4");
        assert_eq!((r.rule, r.total), (Rule::NotEquivalent, 0.1));
        let r = score("The answer is 4.", "4");
        assert_eq!((r.rule, r.total), (Rule::NoBoxedAnswer, 0.0));
    }

    #[test]
    fn hostile_inputs_terminate() {
        let deep = format!(r"\boxed{}{}", "{".repeat(1_000_000), "}".repeat(1_000_000));
        let start = std::time::Instant::now();
        assert_eq!(score(&deep, "1").rule, Rule::NotEquivalent);
        let unclosed = format!(r"\boxed{}", "{".repeat(1_000_000));
        assert_eq!(score(&unclosed, "1").rule, Rule::NoBoxedAnswer);
        println!("1 MB boxed inputs in {:?}", start.elapsed());
    }
}
