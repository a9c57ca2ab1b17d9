//! The Knights & Knaves reward (`liumy2010/UFT:verl/utils/reward_score/kk_logic.py`,
//! spec §5.3).
//!
//! Input: the decoded **prompt + hint + response** text. The official rules, in order:
//!
//! 1. The text after the first `"Assistant:"` (else `"<|im_start|>assistant"`); the last
//!    `<answer>(.*?)</answer>` in it, across lines (`re.DOTALL`), stripped. No marker or no
//!    tag → 0; an **empty** answer → 0 as well (`if answer_text:` is false for `""`).
//! 2. `answer.lower().count('knight') + answer.lower().count('knave')` must equal the number
//!    of inhabitants. These are plain **substring** counts: `knights`, `knaves` and
//!    `knightly` count too → else 0.1 ([`Rule::RoleCountMismatch`]).
//! 3. For every inhabitant, the first match of `\bNAME\b\s+is\s+a\s+\b(knight|knave)\b`
//!    (case-insensitive) gives the role. A missing name → 0.1 ([`Rule::MissingName`]).
//! 4. All roles right → 1.0, else 0.1 ([`Rule::RolesMismatch`]).
//!
//! The official reference is the dict parsed from `solution_text_format`
//! ([`parse_solution_text`]); on every row of the official files it equals the
//! `names`/`solution` columns, which [`score`] takes.
//!
//! Regex details: Python's `re` and the `regex` crate both match case-insensitively by
//! Unicode simple case folding and have Unicode `\b`. Python's `\s` also matches
//! U+001C–U+001F, so we spell it `[\s\x1C-\x1F]`. The crates' `\w` (for `\b`) differs
//! from Python's in rare characters (combining marks, superscript digits) — not matched.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::extract;
use crate::tasks::reward::{Reward, Rule};

/// Scores `text` (prompt + hint + response) against inhabitants `names`, where
/// `solution[i]` is true when `names[i]` is a knight.
pub fn score(text: &str, names: &[String], solution: &[bool]) -> Reward {
    debug_assert_eq!(names.len(), solution.len());
    let answer = match extract::logic_answer(text) {
        Ok("") => return Reward::from_rule(Rule::EmptyAnswer),
        Ok(answer) => answer,
        Err(rule) => return Reward::from_rule(rule),
    };
    Reward::from_rule(check_answer(answer, names, solution))
}

/// Rules 2–4 for an extracted, non-empty answer.
pub fn check_answer(answer: &str, names: &[String], solution: &[bool]) -> Rule {
    let lower = answer.to_lowercase();
    if lower.matches("knight").count() + lower.matches("knave").count() != names.len() {
        return Rule::RoleCountMismatch;
    }
    // Python returns format_score when the parsed dict is empty ("Fail to parse answer"),
    // which only happens for zero inhabitants.
    if names.is_empty() {
        return Rule::MissingName;
    }
    let mut all_right = true;
    for (name, &is_knight) in names.iter().zip(solution) {
        match stated_role(answer, name) {
            Some(knight) => all_right &= knight == is_knight,
            None => return Rule::MissingName,
        }
    }
    if all_right {
        Rule::Matches
    } else {
        Rule::RolesMismatch
    }
}

/// The role given to `name` by the first `NAME is a knight|knave` in `answer`
/// (`Some(true)` for knight), or `None` when there is none.
pub fn stated_role(answer: &str, name: &str) -> Option<bool> {
    let caps = name_pattern(name)?.captures(answer)?;
    Some(caps[1].to_lowercase() == "knight")
}

/// The compiled statement pattern for `name`, cached per thread (compiling costs ~0.1 ms,
/// and the same few hundred names recur in every batch).
fn name_pattern(name: &str) -> Option<Regex> {
    const CACHE_LIMIT: usize = 4096;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    CACHE.with_borrow_mut(|cache| {
        if let Some(re) = cache.get(name) {
            return Some(re.clone());
        }
        let pattern = format!(
            r"(?i)\b{}\b[\s\x1C-\x1F]+is[\s\x1C-\x1F]+a[\s\x1C-\x1F]+\b(knight|knave)\b",
            regex::escape(name)
        );
        let re = Regex::new(&pattern).ok()?;
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(name.to_string(), re.clone());
        Some(re)
    })
}

/// The official ground-truth parser (`parse_solution_text_format`): for each non-empty
/// line, the first ASCII word and the first later `knight`/`knave` word
/// (`\b([A-Za-z]+)\b.*?\b(knight|knave)\b`, case-insensitive). Later lines overwrite an
/// earlier entry for the same name, keeping its position, as a Python dict does.
pub fn parse_solution_text(text: &str) -> Vec<(String, bool)> {
    static LINE: OnceLock<Regex> = OnceLock::new();
    let re = LINE.get_or_init(|| {
        Regex::new(r"(?i)\b([A-Za-z]+)\b.*?\b(knight|knave)\b").expect("valid regex")
    });
    let mut out: Vec<(String, bool)> = Vec::new();
    for line in text.split('\n') {
        let Some(caps) = re.captures(line) else {
            continue;
        };
        let (name, knight) = (caps[1].to_string(), caps[2].to_lowercase() == "knight");
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = knight,
            None => out.push((name, knight)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn run(answer: &str) -> Reward {
        let text = format!(
            "User: ... <answer> (1) Zoey is a knight </answer>.\nAssistant: <think> </think>\n<answer>{answer}</answer>"
        );
        score(
            &text,
            &names(&["Michael", "Zoey", "Ethan"]),
            &[true, false, true],
        )
    }

    #[test]
    fn official_levels() {
        let right = "(1) Michael is a knight\n(2) Zoey is a knave\n(3) Ethan is a knight";
        assert_eq!(run(right).rule, Rule::Matches);
        assert_eq!(run(right).total, 1.0);
        let wrong = "(1) Michael is a knight\n(2) Zoey is a knight\n(3) Ethan is a knight";
        assert_eq!(
            (run(wrong).rule, run(wrong).total),
            (Rule::RolesMismatch, 0.1)
        );
        assert_eq!(run("  \n ").rule, Rule::EmptyAnswer);
        assert_eq!(run("  \n ").total, 0.0);
        let no_tag = score(
            "Assistant: Michael is a knight",
            &names(&["Michael"]),
            &[true],
        );
        assert_eq!((no_tag.rule, no_tag.total), (Rule::NoAnswerTag, 0.0));
    }

    #[test]
    fn counts_are_substring_counts() {
        // "knights" counts once, so four role words for three people.
        let extra = "Michael is a knight, Zoey is a knave, Ethan is a knight; knights win";
        assert_eq!(run(extra).rule, Rule::RoleCountMismatch);
        // "Knaves" in a preamble makes the count wrong too.
        let preamble = "Knaves lie. Michael is a knight, Zoey is a knave, Ethan is a knight";
        assert_eq!(run(preamble).rule, Rule::RoleCountMismatch);
    }

    #[test]
    fn name_pattern_details() {
        // Case-insensitive, any whitespace run, first statement wins.
        let answer = "MICHAEL\tis  a KNIGHT. zoey is\na knave. Ethan is a knight";
        assert_eq!(run(answer).rule, Rule::Matches);
        // A name inside a longer word does not count (\b).
        assert_eq!(stated_role("Michaela is a knight", "Michael"), None);
        // "knights" is not the word "knight".
        assert_eq!(stated_role("Michael is a knights", "Michael"), None);
        // "is an knave" / "is the knight" do not match.
        let missing = "Michael is a knight, Zoey is the knave, Ethan is a knight";
        assert_eq!(run(missing).rule, Rule::MissingName);
        // Python's \s includes U+001C.
        assert_eq!(stated_role("Michael\x1cis a knave", "Michael"), Some(false));
        // Regex metacharacters in a name are escaped.
        assert_eq!(stated_role("A.B is a knight", "A.B"), Some(true));
        assert_eq!(stated_role("AxB is a knight", "A.B"), None);
    }

    #[test]
    fn last_answer_tag_wins() {
        let text = "Assistant: <answer>Michael is a knave</answer> then <answer>Michael is a knight</answer>";
        assert_eq!(
            score(text, &names(&["Michael"]), &[true]).rule,
            Rule::Matches
        );
    }

    #[test]
    fn hostile_inputs_are_cheap() {
        let start = std::time::Instant::now();
        let long = format!("{}Michael is a knight", "Michael is ".repeat(100_000));
        assert_eq!(
            check_answer(&long, &names(&["Michael"]), &[true]),
            Rule::Matches
        );
        let many = "knight ".repeat(150_000);
        assert_eq!(
            check_answer(&many, &names(&["A", "B"]), &[true, true]),
            Rule::RoleCountMismatch
        );
        // Names are regex-escaped; `\b` then needs a word character next to the name, as in
        // Python (these three agree with the official parse_model_answer).
        let weird = names(&["(a|b)*c"]);
        assert_eq!(
            check_answer("(a|b)*c is a knight", &weird, &[true]),
            Rule::MissingName
        );
        assert_eq!(
            check_answer("x(a|b)*c is a knight", &weird, &[true]),
            Rule::Matches
        );
        assert_eq!(
            check_answer("a knight;  is a knave", &names(&[""]), &[true]),
            Rule::RoleCountMismatch
        );
        println!("hostile logic inputs in {:?}", start.elapsed());
    }

    #[test]
    fn solution_text_parser() {
        let text = "(1) Michael is a knight\n(2) Zoey is a knave\n\n(3) Ethan is a KNIGHT";
        let want = vec![
            ("Michael".to_string(), true),
            ("Zoey".to_string(), false),
            ("Ethan".to_string(), true),
        ];
        assert_eq!(parse_solution_text(text), want);
        assert_eq!(
            parse_solution_text("(1) Ann is a knave\n(2) Ann is a knight"),
            vec![("Ann".to_string(), true)]
        );
    }
}
