//! The MATH and GSM8k/AIME/AMC rewards of UFT (`liumy2010/UFT:verl/utils/reward_score/
//! math.py` and `gsm8k.py`, spec §5.3).
//!
//! Input to both scorers: the decoded **prompt + hint + response** text; the answer is
//! extracted with [`extract::uft_answer`] (the last `<answer>` on the last line). No
//! `\boxed{}` is involved.
//!
//! * [`score_math`] (MATH-lighteval, math500, minerva, olympiad_bench): 1.0 if
//!   `is_equiv(answer, target)`, else 0.1. `is_equiv` compares the two strings after the
//!   lm-eval Hendrycks normalisation [`strip_string`]; if normalising either side raises in
//!   Python, it compares the raw strings instead ([`is_equiv`]).
//! * [`score_numeric`] (gsm8k, aime, amc): 1.0 if `|float(answer) - float(target)| < 1e-5`,
//!   0.1 if wrong or `float(answer)` raises. A non-numeric *target* makes the Python
//!   function raise; we return [`Rule::TargetNotNumeric`] (0.0).

use super::{extract, py};
use crate::tasks::reward::{Reward, Rule};

/// MATH-type reward of `text` (prompt + hint + response) against `target`.
pub fn score_math(text: &str, target: &str) -> Reward {
    match extract::uft_answer(text) {
        Ok(answer) if is_equiv(answer, target) => Reward::from_rule(Rule::Matches),
        Ok(_) => Reward::from_rule(Rule::NotEquivalent),
        Err(rule) => Reward::from_rule(rule),
    }
}

/// GSM8k/AIME/AMC reward of `text` (prompt + hint + response) against `target`.
pub fn score_numeric(text: &str, target: &str) -> Reward {
    let Some(target) = py::parse_float(target) else {
        return Reward::from_rule(Rule::TargetNotNumeric);
    };
    let rule = match extract::uft_answer(text) {
        Err(rule) => rule,
        Ok(answer) => match py::parse_float(answer) {
            None => Rule::NotANumber,
            Some(x) if (x - target).abs() < 1e-5 => Rule::Matches,
            Some(_) => Rule::ValueMismatch,
        },
    };
    Reward::from_rule(rule)
}

/// `is_equiv(str1, str2)`: equal after [`strip_string`], or — when normalising either one
/// fails (a Python exception) — equal as raw strings.
pub fn is_equiv(a: &str, b: &str) -> bool {
    match (strip_string(a), strip_string(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The points where the Python normalisation raises (each makes `is_equiv` fall back to
/// comparing raw strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripError {
    /// `remove_right_units`: `"\text{ "` occurs more than once (`AssertionError`).
    RepeatedUnits,
    /// `fix_sqrt`: the string ends with `\sqrt` (`IndexError` on `split[0]`).
    TrailingSqrt,
    /// `fix_fracs`: a `\frac` is directly followed by another `\frac` or ends the string
    /// (`IndexError` on `substr[0]`).
    EmptyFrac,
    /// `fix_a_slash_b`: exactly one `/` and a side that `int()` rejects (`ValueError`,
    /// which its `except AssertionError` does not catch).
    SlashNotInt,
}

/// The lm-eval Hendrycks `strip_string`, step by step.
pub fn strip_string(s: &str) -> Result<String, StripError> {
    let mut s = s.replace('\n', ""); // linebreaks
    s = s.replace("\\!", ""); // inverse spaces
    s = s.replace("\\\\", "\\"); // `\\` -> `\`
    s = s.replace("tfrac", "frac").replace("dfrac", "frac");
    s = s.replace("\\left", "").replace("\\right", "");
    s = s.replace("^{\\circ}", "").replace("^\\circ", ""); // degrees
    s = s.replace("\\$", ""); // dollar signs (only the escaped ones)
    s = remove_right_units(&s)?.to_string();
    s = s.replace("\\%", ""); // percent (the Python code removes `\%` twice)
    s = s.replace(" .", " 0.").replace("{.", "{0.");
    if s.is_empty() {
        return Ok(s);
    }
    if s.starts_with('.') {
        s.insert(0, '0');
    }
    s = drop_short_lhs(&s).to_string();
    s = fix_sqrt(&s)?;
    s = s.replace(' ', "");
    s = fix_fracs(&s)?;
    if s == "0.5" {
        s = "\\frac{1}{2}".to_string();
    }
    fix_a_slash_b(&s)
}

/// `remove_right_units`: keeps what precedes `"\text{ "` (with the space) when it occurs
/// once; more than once is an `AssertionError`.
pub fn remove_right_units(s: &str) -> Result<&str, StripError> {
    let mut parts = s.split("\\text{ ");
    let head = parts.next().unwrap_or("");
    match (parts.next(), parts.next()) {
        (None, _) => Ok(s),
        (Some(_), None) => Ok(head),
        (Some(_), Some(_)) => Err(StripError::RepeatedUnits),
    }
}

/// "get rid of e.g. `k = ` or `q = ` at beginning": with exactly one `=`, drop the left
/// side if it is at most two characters long.
pub fn drop_short_lhs(s: &str) -> &str {
    match s.split_once('=') {
        Some((lhs, rhs)) if !rhs.contains('=') && lhs.chars().count() <= 2 => rhs,
        _ => s,
    }
}

/// `fix_sqrt`: `\sqrt3` → `\sqrt{3}` (the one character after `\sqrt` gets braces).
pub fn fix_sqrt(s: &str) -> Result<String, StripError> {
    let mut parts = s.split("\\sqrt");
    let mut out = parts.next().unwrap_or("").to_string();
    for part in parts {
        let mut chars = part.chars();
        match chars.next() {
            None => return Err(StripError::TrailingSqrt),
            Some('{') => out.push_str(&format!("\\sqrt{part}")),
            Some(c) => out.push_str(&format!("\\sqrt{{{c}}}{}", chars.as_str())),
        }
    }
    Ok(out)
}

/// `fix_fracs`: `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`, `\frac1b` →
/// `\frac{1}{b}`. A `\frac` followed by a single character returns the input unchanged.
pub fn fix_fracs(s: &str) -> Result<String, StripError> {
    let mut parts = s.split("\\frac");
    let mut out = parts.next().unwrap_or("").to_string();
    for part in parts {
        out.push_str("\\frac");
        let mut chars = part.chars();
        let Some(a) = chars.next() else {
            return Err(StripError::EmptyFrac);
        };
        if a == '{' {
            out.push_str(part);
            continue;
        }
        let Some(b) = chars.next() else {
            return Ok(s.to_string());
        };
        let rest = chars.as_str();
        if b == '{' {
            out.push_str(&format!("{{{a}}}{{{rest}"));
        } else {
            out.push_str(&format!("{{{a}}}{{{b}}}{rest}"));
        }
    }
    Ok(out)
}

/// `fix_a_slash_b`: `"a/b"` with `a`, `b` canonical integers → `\frac{a}{b}`. With one
/// `/`: if `int()` accepts both sides but they are not canonical (`"01/2"`, `"+1/2"`) the
/// string is unchanged (the `AssertionError` is caught); if `int()` rejects a side the
/// `ValueError` escapes ([`StripError::SlashNotInt`]).
pub fn fix_a_slash_b(s: &str) -> Result<String, StripError> {
    let mut parts = s.split('/');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(s.to_string());
    };
    let (Some(x), Some(y)) = (canonical_int(a), canonical_int(b)) else {
        return Err(StripError::SlashNotInt);
    };
    if format!("{x}/{y}") == s {
        Ok(format!("\\frac{{{x}}}{{{y}}}"))
    } else {
        Ok(s.to_string())
    }
}

/// `str(int(s))`, or `None` where `int(s)` raises.
fn canonical_int(s: &str) -> Option<String> {
    let (negative, digits) = py::parse_int(s)?;
    let digits = match digits.trim_start_matches('0') {
        "" => "0",
        d => d,
    };
    Some(if negative && digits != "0" {
        format!("-{digits}")
    } else {
        digits.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_string_matches_python() {
        // Expected outputs from the official `strip_string` under CPython 3.11.
        let cases: [(&str, Result<&str, StripError>); 36] = [
            (r"\frac{1}{2}", Ok(r"\frac{1}{2}")),
            (r"\dfrac12", Ok(r"\frac{1}{2}")),
            (r"\frac1{72}", Ok(r"\frac{1}{72}")),
            (r"\frac1b", Ok(r"\frac{1}{b}")),
            ("0.5", Ok(r"\frac{1}{2}")),
            (".5", Ok(r"\frac{1}{2}")),
            ("1/2", Ok(r"\frac{1}{2}")),
            ("1 / 2", Ok(r"\frac{1}{2}")),
            ("01/2", Ok("01/2")),
            ("+1/2", Ok("+1/2")),
            ("-1/2", Ok(r"\frac{-1}{2}")),
            ("a/b", Err(StripError::SlashNotInt)),
            ("1/2/3", Ok("1/2/3")),
            ("x = 5", Ok("5")),
            (r"k=\frac{\pi}{2}", Ok(r"\frac{\pi}{2}")),
            ("x^2 + y^2 = 1", Ok("x^2+y^2=1")),
            ("2 = x = 3", Ok("2=x=3")),
            (r"10 \text{ cm}", Ok("10")),
            (r"5\text{ m} + 3\text{ m}", Err(StripError::RepeatedUnits)),
            (r"\sqrt3", Ok(r"\sqrt{3}")),
            (r"\sqrt{3}", Ok(r"\sqrt{3}")),
            (r"2\sqrt", Err(StripError::TrailingSqrt)),
            (r"\sqrt\frac12", Ok(r"\sqrt{\}frac12")),
            (r"\left( 3, \frac{\pi}{2} \right)", Ok(r"(3,\frac{\pi}{2})")),
            (r"90^\circ", Ok("90")),
            (r"50\%", Ok("50")),
            (r"\$5.00", Ok("5.00")),
            (r"\frac", Err(StripError::EmptyFrac)),
            (r"\frac{1}{2}\frac", Err(StripError::EmptyFrac)),
            (r"\frac3", Ok(r"\frac3")),
            ("(1, .5)", Ok("(1,0.5)")),
            ("{.5}", Ok("{0.5}")),
            (r"a\!b", Ok("ab")),
            (r"\tfrac{3}{4}", Ok(r"\frac{3}{4}")),
            (r"\\frac{1}{2}", Ok(r"\frac{1}{2}")),
            ("\n", Ok("")),
        ];
        for (input, want) in cases {
            assert_eq!(strip_string(input), want.map(String::from), "{input:?}");
        }
        assert_eq!(strip_string("12,345"), Ok("12,345".to_string()));
    }

    #[test]
    fn helpers_by_hand() {
        assert_eq!(remove_right_units(r"3 \text{ inches}"), Ok("3 "));
        assert_eq!(remove_right_units(r"3\text{inches}"), Ok(r"3\text{inches}")); // needs the space
        assert_eq!(drop_short_lhs("ab=3"), "3");
        assert_eq!(drop_short_lhs("abc=3"), "abc=3");
        assert_eq!(drop_short_lhs("é =3"), "3"); // two characters, not bytes
        assert_eq!(
            fix_sqrt(r"\sqrtπ+\sqrt{2}").as_deref(),
            Ok(r"\sqrt{π}+\sqrt{2}")
        );
        assert_eq!(
            fix_fracs(r"\frac{a}{b}+\frac34").as_deref(),
            Ok(r"\frac{a}{b}+\frac{3}{4}")
        );
        assert_eq!(fix_fracs(r"\frac1{2}").as_deref(), Ok(r"\frac{1}{2}"));
        assert_eq!(fix_a_slash_b("-0/1").as_deref(), Ok("-0/1")); // int('-0') prints as 0
        assert_eq!(fix_a_slash_b("3/\u{664}").as_deref(), Ok("3/\u{664}")); // int() ok, not canonical
        assert_eq!(fix_a_slash_b("3/x"), Err(StripError::SlashNotInt));
        assert_eq!(fix_a_slash_b("10/-4").as_deref(), Ok(r"\frac{10}{-4}"));
    }

    #[test]
    fn is_equiv_falls_back_to_raw_strings() {
        assert!(is_equiv("0.5", r"\frac12"));
        assert!(is_equiv(r"\dfrac{3}{4}", r"\frac{3}{4}"));
        assert!(is_equiv("x = 5", "5"));
        assert!(!is_equiv("5.0", "5")); // no numeric comparison
        assert!(!is_equiv("a/b", r"\frac{a}{b}")); // ValueError: raw strings differ
        assert!(is_equiv("a/b", "a/b"));
        assert!(!is_equiv(r"2\sqrt", r"2 \sqrt")); // IndexError: raw strings differ
    }

    #[test]
    fn hostile_inputs_are_cheap() {
        let start = std::time::Instant::now();
        let fracs = r"\frac12".repeat(150_000);
        assert_eq!(
            strip_string(&fracs).map(|s| s.len()),
            Ok(r"\frac{1}{2}".len() * 150_000)
        );
        let sqrts = r"\sqrt2 ".repeat(150_000);
        assert!(strip_string(&sqrts).is_ok());
        let digits = "9".repeat(1_000_000);
        assert_eq!(score_numeric(&text(&digits), "1").rule, Rule::ValueMismatch); // 1e999999 is inf
        assert_eq!(score_math(&text(&digits), &digits).rule, Rule::Matches);
        assert_eq!(
            score_math(&text(&"/".repeat(1_000_000)), "1").rule,
            Rule::NotEquivalent
        );
        println!("hostile MATH inputs in {:?}", start.elapsed());
    }

    fn text(answer: &str) -> String {
        format!(
            "User: q? for example <answer> 12 </answer>.\nAssistant: Let me solve this step by step.\n<think> x </think>\n<answer> {answer} </answer>"
        )
    }

    #[test]
    fn math_levels() {
        assert_eq!(score_math(&text(r"\frac{1}{2}"), "0.5").total, 1.0);
        assert_eq!(score_math(&text("0.4"), "0.5").rule, Rule::NotEquivalent);
        assert_eq!(score_math(&text("0.4"), "0.5").total, 0.1);
        assert_eq!(score_math("Assistant: 0.5", "0.5").rule, Rule::NoAnswerTag);
        assert_eq!(score_math("0.5", "0.5").rule, Rule::NoAssistantMarker);
    }

    #[test]
    fn numeric_levels() {
        assert_eq!(score_numeric(&text("025"), "25").rule, Rule::Matches);
        assert_eq!(score_numeric(&text("25.000001"), "25").rule, Rule::Matches);
        // In binary, 25.00001 - 25 is 9.9999999996e-06 < 1e-5: Python says correct too.
        assert_eq!(score_numeric(&text("25.00001"), "25").rule, Rule::Matches);
        assert_eq!(
            score_numeric(&text("25.000011"), "25").rule,
            Rule::ValueMismatch
        );
        assert_eq!(score_numeric(&text("1,000"), "1000").rule, Rule::NotANumber);
        assert_eq!(
            score_numeric(&text(r"\frac{1}{2}"), "0.5").rule,
            Rule::NotANumber
        );
        assert_eq!(score_numeric(&text("nan"), "0").rule, Rule::ValueMismatch);
        assert_eq!(score_numeric(&text("inf"), "inf").rule, Rule::ValueMismatch); // inf - inf is nan
        assert_eq!(score_numeric(&text("1_000"), "1000").rule, Rule::Matches);
        assert_eq!(
            score_numeric(&text("5"), "five").rule,
            Rule::TargetNotNumeric
        );
        assert_eq!(score_numeric(&text("5"), "five").total, 0.0);
    }
}
