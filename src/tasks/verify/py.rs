//! The few Python built-ins whose exact behaviour the official reward functions rely on:
//! `str.isspace` / `str.strip`, the Unicode decimal digits that `re`'s `\d` and `int()`
//! accept, and the string grammars of `int(s)` and `float(s)`.
//!
//! Behaviour checked against CPython 3.11 (the tables in the tests were produced with it).
//! One difference: CPython ≥ 3.11 refuses `int()` of a string with more than 4300 digits;
//! we accept any length (the official data never comes near it).

use std::sync::OnceLock;

use regex::Regex;

/// Python's `str.isspace()` for one character: Unicode `White_Space` plus the ASCII
/// separators U+001C–U+001F (which Python counts as whitespace and Rust does not).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `s.strip()` (no argument): trims [`is_space`] characters at both ends.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Whether `c` is a Unicode decimal digit (general category Nd): Python's `\d` in a `str`
/// pattern, and a digit `int()` / `float()` accept.
pub fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    static ND: OnceLock<Regex> = OnceLock::new();
    let nd = ND.get_or_init(|| Regex::new(r"^\p{Nd}$").expect("valid regex"));
    let mut buf = [0u8; 4];
    nd.is_match(c.encode_utf8(&mut buf))
}

/// The value 0–9 of a decimal digit (any script), as `int()` reads it.
///
/// Unicode encodes every set of Nd digits as a contiguous run 0..9, and runs that touch
/// are whole runs of ten, so the value is the distance to the start of the block mod 10.
pub fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    if !is_decimal(c) {
        return None;
    }
    let mut start = c as u32;
    while let Some(prev) = start.checked_sub(1).and_then(char::from_u32) {
        if !is_decimal(prev) {
            break;
        }
        start -= 1;
    }
    Some((c as u32 - start) % 10)
}

/// Whitespace that `int()` and `float()` strip: ASCII ` \t\n\v\f\r`, and any non-ASCII
/// character with `isspace()` (CPython maps those to spaces first; U+001C–U+001F are
/// ASCII and therefore *not* stripped).
fn is_number_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r') || (!c.is_ascii() && is_space(c))
}

/// Digits with single underscores between them (`1_000`), as Python's number grammar
/// allows. Returns the ASCII digits, or `None` if `s` is empty or badly formed.
fn digit_part(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut prev_underscore = true; // a leading '_' is an error
    for c in s.chars() {
        if c == '_' {
            if prev_underscore {
                return None;
            }
            prev_underscore = true;
        } else {
            out.push(char::from_digit(decimal_value(c)?, 10)?);
            prev_underscore = false;
        }
    }
    if prev_underscore { None } else { Some(out) }
}

/// Python's `int(s)` (base 10) as a sign and ASCII digit string, or `None` where
/// `int(s)` raises `ValueError`. The digits keep their leading zeros.
pub fn parse_int(s: &str) -> Option<(bool, String)> {
    let s = s.trim_matches(is_number_space);
    let (negative, body) = split_sign(s);
    Some((negative, digit_part(body)?))
}

/// Python's `float(s)`, or `None` where it raises `ValueError`.
pub fn parse_float(s: &str) -> Option<f64> {
    let s = s.trim_matches(is_number_space);
    let (negative, body) = split_sign(s);
    let lower = body.to_ascii_lowercase();
    let magnitude = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" {
        f64::NAN
    } else {
        // mantissa [e exponent], mantissa = digits [. [digits]] | . digits
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
            None => (mantissa, None),
        };
        let mut text = String::new();
        match (int_part.is_empty(), frac_part) {
            (true, None) => return None,
            (true, Some(f)) => text.push_str(&format!("0.{}", digit_part(f)?)),
            (false, None) => text.push_str(&digit_part(int_part)?),
            (false, Some("")) => text.push_str(&digit_part(int_part)?),
            (false, Some(f)) => {
                text.push_str(&format!("{}.{}", digit_part(int_part)?, digit_part(f)?))
            }
        }
        if let Some(e) = exponent {
            let (neg_exp, digits) = split_sign(e);
            text.push('e');
            if neg_exp {
                text.push('-');
            }
            text.push_str(&digit_part(digits)?);
        }
        text.parse::<f64>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Splits one optional leading `+` or `-`.
fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_matches_python_isspace() {
        assert_eq!(
            strip(" \t\x1c\x1d\x1e\x1f\u{85}\u{a0}\u{2028} x \u{3000}"),
            "x"
        );
        // Python 3.11: '\u200b\u180e\ufeff'.strip() keeps all three.
        assert_eq!(
            strip("\u{200b}\u{180e}\u{feff}"),
            "\u{200b}\u{180e}\u{feff}"
        );
    }

    #[test]
    fn decimal_digits_of_other_scripts() {
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{663}'), Some(3)); // ARABIC-INDIC DIGIT THREE
        assert_eq!(decimal_value('\u{1d7d9}'), Some(1)); // MATHEMATICAL DOUBLE-STRUCK ONE
        assert_eq!(decimal_value('\u{1d7d8}'), Some(0));
        assert_eq!(decimal_value('x'), None);
        assert_eq!(decimal_value('\u{b2}'), None); // superscript two is No, not Nd
    }

    #[test]
    fn int_grammar_matches_python() {
        // (input, Python int() result or None for ValueError), from CPython 3.11.
        let cases: [(&str, Option<(bool, &str)>); 12] = [
            ("007", Some((false, "007"))),
            ("+7", Some((false, "7"))),
            ("-0", Some((true, "0"))),
            ("1_0", Some((false, "10"))),
            ("\u{663}", Some((false, "3"))),
            ("\t3\n", Some((false, "3"))),
            ("3\u{85}", Some((false, "3"))),
            ("\x1c3", None),
            ("1__0", None),
            ("", None),
            ("-", None),
            ("1.0", None),
        ];
        for (s, want) in cases {
            let got = parse_int(s);
            assert_eq!(got.as_ref().map(|(n, d)| (*n, d.as_str())), want, "{s:?}");
        }
    }

    #[test]
    fn float_grammar_matches_python() {
        let ok: [(&str, f64); 14] = [
            ("1_000.5", 1000.5),
            ("1e1_0", 1e10),
            ("1.e5", 1e5),
            ("+.5", 0.5),
            ("-inf", f64::NEG_INFINITY),
            ("iNfInItY", f64::INFINITY),
            (" 1 ", 1.0),
            ("\u{663}", 3.0),
            ("1\u{a0}", 1.0),
            ("1E+05", 1e5),
            ("\u{661}\u{662}\u{663}.\u{664}", 123.4),
            ("1.5e-3", 0.0015),
            ("025", 25.0),
            ("5.", 5.0),
        ];
        for (s, want) in ok {
            assert_eq!(parse_float(s), Some(want), "{s:?}");
        }
        assert!(parse_float("nan").unwrap().is_nan());
        assert!(parse_float("-nan").unwrap().is_nan());
        for s in [
            "1__0",
            "_1",
            "1_",
            "1_.5",
            "1._5",
            ".e5",
            "1e",
            "+-1",
            "\x1c1\x1f",
            "1 2",
            "0x10",
            ".",
            "",
            "e5",
            "infi",
            "1e+",
            "1,000",
            "12 apples",
            "½",
        ] {
            assert_eq!(parse_float(s), None, "{s:?}");
        }
    }
}
