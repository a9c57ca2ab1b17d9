//! Table 1 analogue: the hyperparameters the cells were run with, read from their resolved
//! parameters. A parameter with one value in every cell is listed once; the others are listed
//! with each value they take.

use std::collections::BTreeMap;

use super::data::Results;
use super::format::{Table, value_text};

/// The two halves of Table 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Table1 {
    /// `Parameter | Value`: the same in every cell.
    pub constant: Table,
    /// `Parameter | Values`: differs between cells (values sorted, comma-separated).
    pub varying: Table,
}

pub fn build(results: &Results) -> Table1 {
    let mut values: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for cell in &results.cells {
        for (name, value) in &cell.params {
            let seen = values.entry(name).or_default();
            let text = value_text(value);
            if !seen.contains(&text) {
                seen.push(text);
            }
        }
    }
    let mut constant = Table::new(&["Parameter", "Value"], 2);
    let mut varying = Table::new(&["Parameter", "Values"], 2);
    for (name, mut seen) in values {
        let in_every_cell = results.cells.iter().all(|c| c.params.contains_key(name));
        if seen.len() == 1 && in_every_cell {
            constant.push(vec![name.to_string(), seen.remove(0)]);
        } else {
            seen.sort_by(|a, b| number(a).total_cmp(&number(b)).then(a.cmp(b)));
            let note = if in_every_cell {
                ""
            } else {
                " (not in every cell)"
            };
            varying.push(vec![name.to_string(), format!("{}{note}", seen.join(", "))]);
        }
    }
    Table1 { constant, varying }
}

/// The sort key that puts numbers in numeric order, before names.
fn number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::INFINITY)
}

/// The Markdown section.
pub fn markdown(t: &Table1, cells: usize) -> String {
    let mut out = format!(
        "Constant across the {cells} cells:\n\n{}",
        t.constant.markdown()
    );
    if t.varying.rows.is_empty() {
        out.push_str("\nNo parameter varies between cells.\n");
    } else {
        out.push_str(&format!(
            "\nVarying between cells:\n\n{}",
            t.varying.markdown()
        ));
    }
    out
}

/// One table for CSV and LaTeX: `Parameter | Value(s) | Varies`.
pub fn combined(t: &Table1) -> Table {
    let mut out = Table::new(&["Parameter", "Value(s)", "Varies"], 3);
    for row in &t.constant.rows {
        out.push(vec![row[0].clone(), row[1].clone(), "no".into()]);
    }
    for row in &t.varying.rows {
        out.push(vec![row[0].clone(), row[1].clone(), "yes".into()]);
    }
    out
}
