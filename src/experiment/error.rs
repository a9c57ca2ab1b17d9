//! Errors in experiment files: every message names the file, the line and the key, and
//! suggests the closest valid key when a name is misspelled.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A problem found while reading or validating an experiment file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The experiment file.
    pub path: PathBuf,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted path of the key (`defaults.height`, `sweep[1].method`, ...).
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// A suggestion such as "did you mean `height`?".
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The text of an experiment file, kept to turn byte spans into line numbers.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// An error located at `span`.
    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: Some(self.line_of(span.start)),
            key: key.to_string(),
            message: message.into(),
            hint: None,
        }
    }

    /// An "unknown key" error with the closest valid name as a suggestion.
    pub fn unknown_key(
        &self,
        span: Range<usize>,
        key_path: &str,
        name: &str,
        what: &str,
        valid: &[&str],
    ) -> ConfigError {
        let mut err = self.error(span, key_path, format!("unknown {what} `{name}`"));
        err.hint = Some(match closest(name, valid) {
            Some(best) => format!("did you mean `{best}`? valid: {}", valid.join(", ")),
            None => format!("valid: {}", valid.join(", ")),
        });
        err
    }
}

/// The candidate closest to `name` by edit distance, if any is reasonably close.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("height", "height"), 0);
        assert_eq!(edit_distance("heigth", "height"), 2);
        assert_eq!(edit_distance("hight", "height"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_suggests_only_near_names() {
        let valid = ["height", "branching", "method"];
        assert_eq!(closest("heigth", &valid), Some("height"));
        assert_eq!(closest("branchng", &valid), Some("branching"));
        assert_eq!(closest("zzzzzzzzzz", &valid), None);
    }

    #[test]
    fn line_numbers_are_one_based() {
        let src = Source {
            path: Path::new("x.toml"),
            text: "a = 1\nb = 2\n",
        };
        assert_eq!(src.line_of(0), 1);
        assert_eq!(src.line_of(6), 2);
    }
}
