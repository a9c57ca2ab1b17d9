//! `repro diff FIRST SECOND`: whether two results folders of one experiment hold the same
//! numbers, the check behind "a rerun with the same seeds reproduces every number".
//!
//! Cells are matched by id (a hash of their configuration). In each shared cell every metric
//! row (seed, step, metric) is compared bit for bit, except wall-clock measurements, and every
//! file under `models/` (final weights, tokenizers, evaluated completions) byte for byte.
//!
//! Across backends (`--ignore-param device --tolerance 1e-3`) the same study cannot agree bit
//! for bit: cells are matched by their configuration without the ignored parameters, values
//! agree within the tolerance, and weight files are not compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::metrics::{CellMetrics, read_experiment};

/// Rows that measure the machine rather than the run: seconds and throughput.
pub fn is_wall_clock(metric: &str) -> bool {
    metric.ends_with("seconds") || metric.ends_with("tokens_per_second")
}

/// One metric that differs, or is present on one side only (`None`).
#[derive(Clone, Debug, PartialEq)]
pub struct RowDifference {
    pub cell: String,
    pub seed: u64,
    pub step: u64,
    pub metric: String,
    pub first: Option<f64>,
    pub second: Option<f64>,
}

/// How cells are matched and values compared; the default is bit for bit, by cell id.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Parameters left out when matching cells (e.g. `device`): cells then pair by the rest of
    /// their configuration rather than by id (the id hashes every parameter).
    pub ignore_params: Vec<String>,
    /// Values agree when |a − b| ≤ tolerance × max(1, |a|, |b|); 0 is bit for bit. Above 0,
    /// `*.safetensors` files are not compared (their last bits differ).
    pub tolerance: f64,
}

impl DiffOptions {
    fn agree(&self, a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits()
            || (self.tolerance > 0.0
                && (a - b).abs() <= self.tolerance * 1f64.max(a.abs()).max(b.abs()))
    }
}

/// What `diff` found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffReport {
    pub cells_compared: usize,
    pub rows_compared: usize,
    pub rows_skipped_as_timing: usize,
    pub files_compared: usize,
    /// Weight files left out under a tolerance.
    pub files_skipped_as_weights: usize,
    pub only_in_first: Vec<String>,
    pub only_in_second: Vec<String>,
    pub rows_differing: Vec<RowDifference>,
    /// `<cell>/models/…` paths whose bytes differ or that exist on one side only.
    pub files_differing: Vec<String>,
}

impl DiffReport {
    /// Both folders hold the same cells, and they agree in every row and file: a cell present
    /// on one side only is a difference (one run finished work the other did not).
    pub fn identical(&self) -> bool {
        self.cells_compared > 0
            && self.only_in_first.is_empty()
            && self.only_in_second.is_empty()
            && self.rows_differing.is_empty()
            && self.files_differing.is_empty()
    }

    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} cells compared: {} metric rows ({} wall-clock rows not compared), {} model files\n",
            self.cells_compared,
            self.rows_compared,
            self.rows_skipped_as_timing,
            self.files_compared
        );
        if self.files_skipped_as_weights > 0 {
            out.push_str(&format!(
                "{} weight files not compared (a tolerance was given)\n",
                self.files_skipped_as_weights
            ));
        }
        for (side, cells) in [
            ("first", &self.only_in_first),
            ("second", &self.only_in_second),
        ] {
            if !cells.is_empty() {
                out.push_str(&format!(
                    "only in the {side} folder ({}): {}\n",
                    cells.len(),
                    cells.join(", ")
                ));
            }
        }
        let shown = |v: Option<f64>| v.map_or("absent".to_string(), |v| format!("{v}"));
        let rows: Vec<String> = self
            .rows_differing
            .iter()
            .map(|d| {
                format!(
                    "cell {} seed {} step {} {}: {} vs {}",
                    d.cell,
                    d.seed,
                    d.step,
                    d.metric,
                    shown(d.first),
                    shown(d.second)
                )
            })
            .collect();
        push_capped(&mut out, &rows, "rows");
        push_capped(&mut out, &self.files_differing, "files");
        out.push_str(match (self.identical(), self.cells_compared) {
            (_, 0) => "no cell is in both folders\n",
            (true, _) => "identical\n",
            (false, _) => "the runs differ\n",
        });
        out
    }
}

/// Appends `differs: <item>` for the first 20 items, and a count of the rest.
fn push_capped(out: &mut String, items: &[String], what: &str) {
    const SHOWN: usize = 20;
    for item in items.iter().take(SHOWN) {
        out.push_str(&format!("differs: {item}\n"));
    }
    if items.len() > SHOWN {
        out.push_str(&format!(
            "… and {} more differing {what}\n",
            items.len() - SHOWN
        ));
    }
}

/// Compares the results folders `first` and `second` (each `results/<experiment>`) bit for bit.
pub fn diff(first: &Path, second: &Path) -> Result<DiffReport> {
    diff_with(first, second, &DiffOptions::default())
}

/// Compares the results folders `first` and `second` as `options` say.
pub fn diff_with(first: &Path, second: &Path, options: &DiffOptions) -> Result<DiffReport> {
    let by_key = |dir: &Path| -> Result<BTreeMap<String, CellMetrics>> {
        let mut cells = BTreeMap::new();
        for cell in read_experiment(dir)? {
            let key = match options.ignore_params.is_empty() {
                true => cell.cell.clone(),
                false => matching_key(&cell, &options.ignore_params),
            };
            if let Some(other) = cells.insert(key, cell) {
                bail!(
                    "{}: cells {} and another differ only in the ignored parameters ({}); \
                     diff one of them at a time",
                    dir.display(),
                    other.cell,
                    options.ignore_params.join(", ")
                );
            }
        }
        Ok(cells)
    };
    let (a, b) = (by_key(first)?, by_key(second)?);
    let mut report = DiffReport {
        only_in_first: a.keys().filter(|k| !b.contains_key(*k)).cloned().collect(),
        only_in_second: b.keys().filter(|k| !a.contains_key(*k)).cloned().collect(),
        ..DiffReport::default()
    };
    for (key, cell_a) in &a {
        let Some(cell_b) = b.get(key) else { continue };
        report.cells_compared += 1;
        let id = &cell_a.cell;
        compare_rows(id, cell_a, cell_b, options, &mut report);
        let (dir_a, dir_b) = (first.join(id), second.join(&cell_b.cell));
        compare_files(id, &dir_a, &dir_b, options, &mut report)?;
    }
    Ok(report)
}

/// A cell's kind and parameters without the ignored ones, as one string.
fn matching_key(cell: &CellMetrics, ignored: &[String]) -> String {
    let kept: Vec<String> = cell
        .params
        .iter()
        .filter(|(name, _)| !ignored.contains(name))
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("{} {}", cell.kind, kept.join(" "))
}

fn compare_rows(
    id: &str,
    a: &CellMetrics,
    b: &CellMetrics,
    options: &DiffOptions,
    report: &mut DiffReport,
) {
    let keyed = |cell: &CellMetrics| -> BTreeMap<(u64, u64, String), f64> {
        cell.rows
            .iter()
            .map(|r| ((r.seed, r.step, r.metric.clone()), r.value))
            .collect()
    };
    let (ra, rb) = (keyed(a), keyed(b));
    let keys: BTreeSet<&(u64, u64, String)> = ra.keys().chain(rb.keys()).collect();
    for key in keys {
        if is_wall_clock(&key.2) {
            report.rows_skipped_as_timing += 1;
            continue;
        }
        report.rows_compared += 1;
        let (va, vb) = (ra.get(key).copied(), rb.get(key).copied());
        let agree = match (va, vb) {
            (Some(x), Some(y)) => options.agree(x, y),
            _ => false,
        };
        if !agree {
            report.rows_differing.push(RowDifference {
                cell: id.into(),
                seed: key.0,
                step: key.1,
                metric: key.2.clone(),
                first: va,
                second: vb,
            });
        }
    }
}

fn compare_files(
    id: &str,
    a: &Path,
    b: &Path,
    options: &DiffOptions,
    report: &mut DiffReport,
) -> Result<()> {
    let (fa, fb) = (model_files(a)?, model_files(b)?);
    let names: BTreeSet<&PathBuf> = fa.iter().chain(fb.iter()).collect();
    for name in names {
        if options.tolerance > 0.0 && name.extension().is_some_and(|e| e == "safetensors") {
            report.files_skipped_as_weights += 1;
            continue;
        }
        report.files_compared += 1;
        let read = |root: &Path| -> Result<Option<Vec<u8>>> {
            let path = root.join(name);
            match path.is_file() {
                true => std::fs::read(&path)
                    .map(Some)
                    .with_context(|| format!("cannot read {}", path.display())),
                false => Ok(None),
            }
        };
        if read(a)? != read(b)? {
            report
                .files_differing
                .push(format!("{id}/{}", name.display()));
        }
    }
    Ok(())
}

/// Every file below `<cell>/models/`, relative to the cell folder, sorted.
fn model_files(cell: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![cell.join("models")];
    while let Some(dir) = pending.pop() {
        if !dir.is_dir() {
            continue;
        }
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(cell) {
                found.push(relative.to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Value;
    use crate::metrics::SeedRow;

    fn cell(rows: Vec<SeedRow>) -> CellMetrics {
        CellMetrics {
            cell: "c".into(),
            kind: "fine_tune".into(),
            params: BTreeMap::new(),
            rows,
        }
    }

    #[test]
    fn rows_are_compared_bit_for_bit_and_timing_is_ignored() {
        let first = cell(vec![
            SeedRow::new(0, 4, "test_accuracy", 0.25),
            SeedRow::new(0, 4, "seconds", 3.0),
            SeedRow::new(1, 4, "test_accuracy", f64::NAN),
        ]);
        let mut report = DiffReport::default();
        compare_rows(
            "c",
            &first,
            &first.clone(),
            &DiffOptions::default(),
            &mut report,
        );
        assert_eq!(report.rows_compared, 2);
        assert_eq!(report.rows_skipped_as_timing, 1);
        assert!(
            report.rows_differing.is_empty(),
            "NaN equals itself bit for bit"
        );

        let second = cell(vec![
            SeedRow::new(0, 4, "test_accuracy", 0.25 + 1e-16 * 4.0),
            SeedRow::new(0, 4, "seconds", 9.0),
            SeedRow::new(0, 8, "test_accuracy", 0.5),
        ]);
        let mut report = DiffReport::default();
        compare_rows("c", &first, &second, &DiffOptions::default(), &mut report);
        let found: Vec<(u64, u64, Option<f64>, Option<f64>)> = report
            .rows_differing
            .iter()
            .map(|d| (d.seed, d.step, d.first, d.second))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], (0, 4, Some(0.25), Some(0.25 + 4e-16)));
        assert_eq!(found[1], (0, 8, None, Some(0.5)));
        assert_eq!((found[2].0, found[2].1, found[2].3), (1, 4, None));
        assert!(report.rows_differing[2].first.unwrap().is_nan());
        assert!(!report.identical());
    }

    #[test]
    fn a_tolerance_accepts_float_noise_and_nothing_more() {
        let options = DiffOptions {
            ignore_params: vec![],
            tolerance: 1e-4,
        };
        assert!(options.agree(0.25, 0.25 + 1e-6));
        assert!(options.agree(1000.0, 1000.05), "relative above 1");
        assert!(!options.agree(1000.0, 1000.2));
        assert!(!options.agree(0.25, 0.2502), "absolute below 1");
        assert!(options.agree(f64::NAN, f64::NAN), "the same NaN bits");
        assert!(!options.agree(0.0, f64::NAN));
        assert!(!DiffOptions::default().agree(0.25, 0.25 + 1e-12));
    }

    #[test]
    fn ignored_parameters_leave_the_matching_key() {
        let with = |device: &str, lr: f64| CellMetrics {
            params: BTreeMap::from([
                ("device".to_string(), Value::Str(device.into())),
                ("lr".to_string(), Value::Float(lr)),
            ]),
            ..cell(vec![])
        };
        let ignored = ["device".to_string()];
        assert_eq!(
            matching_key(&with("cpu", 1e-3), &ignored),
            matching_key(&with("wgpu", 1e-3), &ignored)
        );
        assert_ne!(
            matching_key(&with("cpu", 1e-3), &ignored),
            matching_key(&with("cpu", 3e-3), &ignored)
        );
        assert_ne!(
            matching_key(&with("cpu", 1e-3), &[]),
            matching_key(&with("wgpu", 1e-3), &[])
        );
    }

    #[test]
    fn a_cell_on_one_side_only_makes_the_folders_differ() {
        let mut report = DiffReport {
            cells_compared: 2,
            ..DiffReport::default()
        };
        assert!(report.identical());
        report.only_in_second.push("0123abcd".into());
        assert!(!report.identical());
        let text = report.describe();
        assert!(
            text.contains("only in the second folder (1): 0123abcd"),
            "{text}"
        );
        assert!(text.ends_with("the runs differ\n"), "{text}");
    }

    #[test]
    fn timing_rows_are_the_machine_not_the_run() {
        for name in [
            "seconds",
            "sft_seconds",
            "tokens_per_second",
            "sft_tokens_per_second",
        ] {
            assert!(is_wall_clock(name), "{name}");
        }
        for name in [
            "test_accuracy",
            "reward_mean",
            "sft_loss",
            "annotation_tokens",
        ] {
            assert!(!is_wall_clock(name), "{name}");
        }
    }
}
