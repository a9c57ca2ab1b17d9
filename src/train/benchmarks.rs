//! The test sets a final model is scored on, by name (`bench_<name>_accuracy` in the metrics):
//! the generated Countdown and Logic test splits (the CPU-scale Table 2 analogue), the nine
//! Table 2 benchmarks from the official files, and the §8 suite from the LUFFY files.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::config::Benchmarks;
use crate::tasks::example::Example;

/// The Table 2 columns and where each comes from: (name, file, `data_source` or `None` for
/// every row). Countdown and Logic use their test splits; the others `ood_test.parquet`
/// (the official `data/others/test.parquet`), split by `data_source`.
const TABLE2: [(&str, &str, Option<&str>); 9] = [
    (
        "math345",
        "ood_test.parquet",
        Some("DigitalLearningGmbH/MATH-lighteval"),
    ),
    ("aime24", "ood_test.parquet", Some("aime")),
    ("amc", "ood_test.parquet", Some("amc")),
    ("countdown", "countdown_test.parquet", None),
    ("logic", "kk_logic_test.parquet", None),
    ("math500", "ood_test.parquet", Some("math500")),
    ("minerva", "ood_test.parquet", Some("minerva")),
    ("olympiad", "ood_test.parquet", Some("olympiad_bench")),
    ("gsm8k", "ood_test.parquet", Some("openai/gsm8k")),
];

/// The §8 suite (LUFFY's `valid.*.parquet`; AIME and AMC rows are repeated 32 times in the
/// file, so one sample per row is avg@32). MMLU-Pro is not among the published files.
const SUITE: [(&str, &str, Option<&str>); 8] = [
    ("aime24", "valid.all.parquet", Some("aime")),
    ("aime25", "valid.all.parquet", Some("aime25")),
    ("amc", "valid.all.parquet", Some("amc")),
    ("math500", "valid.all.parquet", Some("math")),
    ("minerva", "valid.all.parquet", Some("minerva")),
    ("olympiad", "valid.all.parquet", Some("olympiad_bench")),
    ("arc_c", "valid.arc_c.parquet", None),
    ("gpqa", "valid.gpqa.parquet", None),
];

fn sources(set: Benchmarks) -> &'static [(&'static str, &'static str, Option<&'static str>)] {
    match set {
        Benchmarks::Table2 => &TABLE2,
        Benchmarks::Suite => &SUITE,
        Benchmarks::Own | Benchmarks::Generated => &[],
    }
}

/// The benchmark names of a set (for `Generated`: the two generated tasks).
pub fn names(set: Benchmarks) -> Vec<&'static str> {
    match set {
        Benchmarks::Own => Vec::new(),
        Benchmarks::Generated => vec!["countdown", "logic"],
        other => sources(other).iter().map(|(name, _, _)| *name).collect(),
    }
}

/// The files a set reads under `data_dir` (one entry per benchmark, so names repeat).
pub fn files(set: Benchmarks) -> impl Iterator<Item = &'static str> {
    sources(set).iter().map(|(_, file, _)| *file)
}

/// The problems of benchmark `name` of `set`, read from `data_dir`.
pub fn problems(set: Benchmarks, name: &str, data_dir: &Path) -> Result<Vec<Example>> {
    let Some((_, file, source)) = sources(set).iter().find(|(n, _, _)| *n == name) else {
        bail!("`{name}` is not a benchmark of this set");
    };
    let path = data_dir.join(file);
    let rows =
        crate::tasks::data::load(&path).with_context(|| format!("loading benchmark {name}"))?;
    let picked: Vec<Example> = match source {
        None => rows,
        Some(source) => rows
            .into_iter()
            .filter(|e| e.data_source == *source)
            .collect(),
    };
    if picked.is_empty() {
        bail!(
            "{} has no rows of data_source `{}` (benchmark {name})",
            path.display(),
            source.unwrap_or("")
        );
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_2_set_has_the_papers_nine_columns_in_order() {
        let names = names(Benchmarks::Table2);
        let reported: Vec<&str> = crate::reported::TABLE2_BENCHMARKS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(names, reported);
    }

    /// Against the official files when they are present: every benchmark has the size §2.2
    /// gives (the counts the Table 2 cells are fractions of).
    #[test]
    fn official_benchmarks_have_the_sizes_of_table_2() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/uft");
        if !dir.exists() {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        }
        for (name, size) in crate::reported::TABLE2_BENCHMARKS {
            let found = problems(Benchmarks::Table2, name, &dir).unwrap().len();
            assert_eq!(found, size, "{name}");
        }
    }
}
