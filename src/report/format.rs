//! A table of strings written three ways: Markdown (printed and in reports), CSV, and LaTeX with
//! booktabs rules; and the number formats the tables share.

use anyhow::Result;

use super::bootstrap::Interval;
use super::estimate::Estimate;
use crate::experiment::Value;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Leading columns that hold text (left-aligned); the rest hold numbers (right-aligned).
    pub text_columns: usize,
}

impl Table {
    pub fn new(header: &[&str], text_columns: usize) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            text_columns,
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len(), "row width");
        self.rows.push(row);
    }

    pub fn markdown(&self) -> String {
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let rule: Vec<String> = (0..self.header.len())
            .map(|i| if i < self.text_columns { "---" } else { "---:" }.to_string())
            .collect();
        let mut out = line(&self.header);
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }

    pub fn csv(&self) -> Result<String> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        Ok(String::from_utf8(writer.into_inner()?)?)
    }

    /// A `table` float with a booktabs `tabular` (needs `\usepackage{booktabs}`). The caption
    /// is LaTeX source, written as given; the cells are escaped.
    pub fn latex(&self, caption: &str, label: &str) -> String {
        let spec: String = (0..self.header.len())
            .map(|i| if i < self.text_columns { 'l' } else { 'r' })
            .collect();
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| latex_escape(c)).collect();
            format!("{} \\\\\n", cells.join(" & "))
        };
        let mut out = String::from("\\begin{table}[t]\n\\centering\n");
        out.push_str(&format!("\\caption{{{caption}}}\n"));
        out.push_str(&format!("\\label{{{label}}}\n"));
        out.push_str(&format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n"));
        out.push_str(&line(&self.header));
        out.push_str("\\midrule\n");
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out.push_str("\\bottomrule\n\\end{tabular}\n\\end{table}\n");
        out
    }
}

/// Text made safe for LaTeX's text mode: the ten special characters escaped, and the few
/// non-ASCII symbols the tables use spelled as LaTeX.
pub fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(ch);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '≥' => out.push_str("$\\geq$"),
            '≤' => out.push_str("$\\leq$"),
            '±' => out.push_str("$\\pm$"),
            'τ' => out.push_str("$\\tau$"),
            'θ' => out.push_str("$\\theta$"),
            '³' => out.push_str("\\textsuperscript{3}"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '−' => out.push('-'),
            '§' => out.push_str("\\S{}"),
            _ => out.push(ch),
        }
    }
    out
}

/// A parameter value as a table shows it (strings without quotes).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An accuracy (0–1) in percent with two decimals: `12.34`.
pub fn pct(value: f64) -> String {
    format!("{:.2}", 100.0 * value)
}

/// A difference of accuracies in percentage points, signed: `+1.20` (and `+0.00`, never
/// `-0.00`, for a difference that rounds to zero).
pub fn points(value: f64) -> String {
    let points = 100.0 * value;
    let points = if (100.0 * points).round() == 0.0 {
        0.0
    } else {
        points
    };
    format!("{points:+.2}")
}

/// An interval in percent: `[10.10, 14.50]`.
pub fn pct_interval(interval: Interval) -> String {
    format!("[{}, {}]", pct(interval.lo), pct(interval.hi))
}

/// An interval of a difference in percentage points: `[−1.20, +3.40]`.
pub fn points_interval(interval: Interval) -> String {
    format!("[{}, {}]", points(interval.lo), points(interval.hi))
}

/// `12.34 [10.10, 14.50]`, or `12.34 (no interval)`.
pub fn pct_estimate(e: &Estimate) -> String {
    match e.interval {
        Some(i) => format!("{} {}", pct(e.mean), pct_interval(i)),
        None => format!("{} (no interval)", pct(e.mean)),
    }
}

/// `+1.20 [−0.50, +2.90]` in percentage points, or `+1.20 (no interval)`.
pub fn points_estimate(e: &Estimate) -> String {
    match e.interval {
        Some(i) => format!("{} {}", points(e.mean), points_interval(i)),
        None => format!("{} (no interval)", points(e.mean)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_escapes_every_special_character() {
        assert_eq!(
            latex_escape(r"a_b & 50% $x$ #1 {y} ~ ^ \ "),
            r"a\_b \& 50\% \$x\$ \#1 \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{} "
        );
        assert_eq!(latex_escape("τ ≥ −0.05"), r"$\tau$ $\geq$ -0.05");
    }

    #[test]
    fn tables_render_in_three_formats() {
        let mut t = Table::new(&["Model", "Acc_1"], 1);
        t.push(vec!["a|b".into(), "12.50".into()]);
        t.push(vec!["c,d".into(), "3.00".into()]);
        assert_eq!(
            t.markdown(),
            "| Model | Acc_1 |\n|---|---:|\n| a\\|b | 12.50 |\n| c,d | 3.00 |\n"
        );
        assert_eq!(t.csv().unwrap(), "Model,Acc_1\na|b,12.50\n\"c,d\",3.00\n");
        let tex = t.latex("Accuracy in \\%", "tab:x");
        assert!(tex.contains("\\begin{tabular}{lr}\n\\toprule\nModel & Acc\\_1 \\\\\n\\midrule\n"));
        assert!(tex.contains("\\caption{Accuracy in \\%}") && tex.contains("\\bottomrule"));
    }

    #[test]
    fn numbers_are_percent_and_signed_points() {
        assert_eq!(pct(0.1234), "12.34");
        assert_eq!(points(-0.012), "-1.20");
        assert_eq!(points(0.112 - (0.15 + 0.074) / 2.0), "+0.00");
        let e = Estimate {
            mean: 0.5,
            interval: Some(Interval { lo: 0.4, hi: 0.6 }),
            basis: super::super::estimate::Basis::Seeds(3),
        };
        assert_eq!(pct_estimate(&e), "50.00 [40.00, 60.00]");
    }
}
