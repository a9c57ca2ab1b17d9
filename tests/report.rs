//! `repro table` and `repro report` on synthetic results folders written with the library's own
//! writers: a CPU-scale study (two tiny models, three seeds, claims) and a paper-profile run
//! (Qwen2.5-0.5B, one seed, per-problem files, compared with Table 2), and their errors.

use std::collections::BTreeMap;
use std::path::Path;

use repro::experiment::{Cell, Value};
use repro::metrics::{SeedRow, write_cell_metrics, write_samples};
use repro::runner::provenance::Provenance;
use repro::runner::record::ExperimentRecord;
use repro::runner::summary::{Status, Summary};
use repro::store::CellDir;
use repro::train::eval::SampleRecord;

use crate::{repro, scratch};

/// The last step of every synthetic run.
const LAST: u64 = 100;

/// One synthetic cell: its parameters and its final accuracies per seed and benchmark.
struct Synthetic<'a> {
    model: &'a str,
    method: &'a str,
    task: &'a str,
    /// Per seed: the final in-domain test accuracy.
    test: Vec<(u64, f64)>,
    /// `(benchmark, seed, correct, problems)`: `bench_*` metrics and per-problem files where the
    /// first `correct` problems are solved.
    bench: Vec<(&'a str, u64, usize, usize)>,
    /// Per seed `(correct, problems)` of the in-domain test file, when one is written.
    test_files: Vec<(u64, usize, usize)>,
}

fn write_cell(results: &Path, experiment: &str, s: &Synthetic) {
    let beta = if s.method == "uft" { 0.001 } else { 0.0 };
    let params: BTreeMap<&'static str, Value> = BTreeMap::from([
        ("model", Value::Str(s.model.into())),
        ("method", Value::Str(s.method.into())),
        ("task", Value::Str(s.task.into())),
        ("lr", Value::Float(1e-3)),
        ("steps", Value::Int(LAST as i64)),
        ("beta", Value::Float(beta)),
    ]);
    let id = format!("{}-{}-{}", s.model, s.method, s.task).replace('.', "_");
    let cell = Cell {
        index: 0,
        id: id.clone(),
        axes: Vec::new(),
        params,
        options: BTreeMap::new(),
    };
    let dir = CellDir::new(results, experiment, &id);
    let mut rows = Vec::new();
    for &(seed, acc) in &s.test {
        rows.push(SeedRow::new(seed, 0, "test_accuracy", acc / 2.0));
        rows.push(SeedRow::new(seed, LAST, "test_accuracy", acc));
    }
    for &(bench, seed, correct, n) in &s.bench {
        let metric = format!("bench_{bench}_accuracy");
        rows.push(SeedRow::new(seed, LAST, &metric, correct as f64 / n as f64));
        let file = format!("bench_{bench}_samples.parquet");
        write_samples(&dir.seed_model(seed).join(file), &samples(correct, n)).unwrap();
    }
    for &(seed, correct, n) in &s.test_files {
        let path = dir.seed_model(seed).join("test_samples.parquet");
        write_samples(&path, &samples(correct, n)).unwrap();
    }
    write_cell_metrics(&dir.metrics(), experiment, "fine_tune", &cell, &rows).unwrap();
    let mut summary = Summary::new(&Provenance::collect());
    summary.experiment = experiment.into();
    summary.cell = id;
    summary.kind = "fine_tune".into();
    summary.status = Status::Complete;
    summary.seeds = s.test.iter().map(|(seed, _)| *seed).collect();
    summary.started_at = "2026-01-02T03:04:05Z".into();
    summary.finished_at = Some("2026-01-02T04:04:05Z".into());
    summary.write(&dir.summary()).unwrap();
}

/// Greedy records of `n` problems, the first `correct` of them solved (reward 1.1 with the
/// format bonus would not count: solved is 1.0, unsolved 0.1).
fn samples(correct: usize, n: usize) -> Vec<SampleRecord> {
    (0..n)
        .map(|i| SampleRecord {
            index: i,
            sample: 0,
            completion: format!("<answer>{i}</answer>"),
            answer: Some(i.to_string()),
            reward: if i < correct { 1.0 } else { 0.1 },
        })
        .collect()
}

/// In-domain accuracy of the CPU study at (model, method, task, seed). tiny-1m: SFT beats RFT,
/// Base solves nothing; tiny-4m: RFT beats SFT, Base solves some. Logic is half of Countdown.
fn cpu_accuracy(model: &str, method: &str, task: &str, seed: u64) -> f64 {
    let level = match (model, method) {
        ("tiny-1m", "base") => 0.0,
        ("tiny-1m", "sft") => 0.30,
        ("tiny-1m", "rft") => 0.02,
        ("tiny-1m", "sft_rft") => 0.35,
        ("tiny-1m", "uft") => 0.40,
        ("tiny-1m", "r3") => 0.25,
        ("tiny-4m", "base") => 0.20,
        ("tiny-4m", "sft") => 0.30,
        ("tiny-4m", "rft") => 0.60,
        ("tiny-4m", "sft_rft") => 0.40,
        ("tiny-4m", "uft") => 0.58,
        other => panic!("{other:?}"),
    };
    let level = if task == "logic" { level / 2.0 } else { level };
    let noise = [-0.01, 0.0, 0.01][seed as usize];
    if level == 0.0 { 0.0 } else { level + noise }
}

/// The CPU study: 2 models × 5 methods × 2 tasks × 3 seeds with `bench_*` metrics (cross-task
/// accuracy 2 %), plus tiny-1m R3 trained on Countdown only and without `bench_*` metrics; no
/// tiny-4m R3 at all; no experiment.toml.
fn cpu_study(root: &Path) -> std::path::PathBuf {
    let results = root.join("results");
    for model in ["tiny-1m", "tiny-4m"] {
        for method in ["base", "sft", "rft", "sft_rft", "uft"] {
            for task in ["countdown", "logic"] {
                let test: Vec<(u64, f64)> = (0..3)
                    .map(|s| (s, cpu_accuracy(model, method, task, s)))
                    .collect();
                let other = if task == "countdown" {
                    "logic"
                } else {
                    "countdown"
                };
                // bench accuracies as counts of 1000 problems.
                let bench = test
                    .iter()
                    .flat_map(|&(s, acc)| {
                        [
                            (task, s, (acc * 1000.0).round() as usize, 1000),
                            (other, s, 20, 1000),
                        ]
                    })
                    .collect();
                let cell = Synthetic {
                    model,
                    method,
                    task,
                    test,
                    bench,
                    test_files: vec![],
                };
                write_cell(&results, "cpu", &cell);
            }
        }
    }
    let test = (0..3)
        .map(|s| (s, cpu_accuracy("tiny-1m", "r3", "countdown", s)))
        .collect();
    let r3 = Synthetic {
        model: "tiny-1m",
        method: "r3",
        task: "countdown",
        test,
        bench: vec![],
        test_files: vec![],
    };
    write_cell(&results, "cpu", &r3);
    results.join("cpu")
}

fn stdout_of(args: &[&str]) -> String {
    let out = repro(args);
    assert!(
        out.status.success(),
        "repro {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The Markdown row of a table that starts with these cells.
fn row<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no row `{start}` in:\n{text}"))
}

#[test]
fn table_of_a_cpu_study_shows_cells_missing_partial_and_claims() {
    let root = scratch("report-cpu");
    let results = cpu_study(&root);
    let out = root.join("tables");
    let text = stdout_of(&[
        "table",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);

    assert!(
        text.contains("τ = 0.05 (default: experiment.toml is absent"),
        "{text}"
    );
    // Table 1: beta differs by method, lr is constant.
    assert!(row(&text, "| lr |").contains("0.001"), "{text}");
    assert!(row(&text, "| beta |").contains("0.0, 0.001"), "{text}");
    // tiny-1m UFT, Countdown column: seeds (0.39 + 0.02)/2, (0.40 + 0.02)/2, (0.41 + 0.02)/2 →
    // 21.00 %; Logic column: (0.02 + 0.19)/2, (0.02 + 0.20)/2, … → 11.00 %.
    let uft = row(&text, "| tiny-1m | UFT |");
    assert!(uft.contains("| 21.00 [20.50, 21.50] |"), "{uft}");
    assert!(uft.contains("| 11.00 [10.50, 11.50] |"), "{uft}");
    // R3 on tiny-1m: only the Countdown model, without bench_* (its own test accuracy).
    let r3 = row(&text, "| tiny-1m | R3 |");
    assert!(
        r3.contains("25.00 [24.00, 26.00] (partial: 1 of 2 tasks)"),
        "{r3}"
    );
    assert!(r3.contains("| missing |"), "{r3}");
    assert_eq!(
        row(&text, "| tiny-4m | R3 |"),
        "| tiny-4m | R3 | missing | missing | missing |"
    );
    assert!(
        text.contains("No reported values to compare with"),
        "{text}"
    );
    assert!(text.contains("No §8 results are present"), "{text}");

    // Claims (τ = 5 points).
    assert!(
        text.contains(
            "**(i)** at the smallest model (tiny-1m), UFT ≥ SFT and UFT ≥ SFT-RFT: **reproduced**"
        ),
        "{text}"
    );
    assert!(
        text.contains("tiny-1m, mean over 2 tasks, UFT − SFT: +7.50 ["),
        "{text}"
    );
    assert!(
        text.contains("**(ii)** at the largest model (tiny-4m), UFT ≥ RFT: **reproduced**"),
        "{text}"
    );
    // (iii): only tiny-1m's Base solves ≤ 1 %; RFT gains 2 and 1 points there.
    assert!(
        text.contains("- tiny-1m, countdown, RFT − Base: +2.00 ["),
        "{text}"
    );
    assert!(!text.contains("tiny-4m, countdown, RFT − Base"), "{text}");
    assert!(
        text.contains("RFT − Base ≤ τ wherever Base ≤ 1 %: **reproduced**"),
        "{text}"
    );
    assert!(
        text.contains("> 0 at the largest: **reproduced**"),
        "{text}"
    );
    assert!(
        text.contains("**(v)** SFT-RFT ≥ SFT at every size: **reproduced**"),
        "{text}"
    );

    for file in [
        "table1.md",
        "table1.csv",
        "table1.tex",
        "table2.md",
        "table2.csv",
        "table2.tex",
        "claims.md",
        "claims.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} not written");
    }
    assert!(!out.join("comparison.csv").exists(), "nothing to compare");
    let csv = std::fs::read_to_string(out.join("table2.csv")).unwrap();
    assert!(
        csv.contains("tiny-4m,r3,,countdown,,,,,0,2,missing"),
        "{csv}"
    );
    let tex = std::fs::read_to_string(out.join("table2.tex")).unwrap();
    assert!(
        tex.contains("\\toprule") && tex.contains("SFT-RFT") && !tex.contains(" % "),
        "{tex}"
    );
}

/// The paper profile: Qwen2.5-0.5B trained on Countdown and Logic, one seed, benchmarks with
/// per-problem files (1000 Countdown and 500 Logic problems), tolerance 0.05 recorded.
fn paper_run(root: &Path) -> std::path::PathBuf {
    let results = root.join("results");
    let cells: [(&str, &str, [usize; 2]); 5] = [
        // (method, task, [correct on countdown of 1000, correct on logic of 500])
        ("sft", "countdown", [150, 0]),
        ("sft", "logic", [74, 50]),
        ("uft", "countdown", [500, 40]),
        ("uft", "logic", [300, 60]),
        ("rft", "countdown", [100, 10]),
    ];
    for (method, task, [countdown, logic]) in cells {
        let cell = Synthetic {
            model: "qwen2.5-0.5b",
            method,
            task,
            test: vec![(0, 0.5)],
            bench: vec![("countdown", 0, countdown, 1000), ("logic", 0, logic, 500)],
            test_files: vec![(0, 1, 2)],
        };
        write_cell(&results, "paper", &cell);
    }
    let dir = results.join("paper");
    ExperimentRecord {
        name: "table2".into(),
        profile: Some("paper".into()),
        file: "experiments/table2.toml".into(),
        tolerance: 0.05,
        overrides: vec!["steps=100".into()],
        source: "name = \"table2\"\nkind = \"fine_tune\"\n".into(),
    }
    .write(&dir)
    .unwrap();
    dir
}

#[test]
fn table_of_a_paper_run_compares_with_table_2() {
    let root = scratch("report-paper");
    let results = paper_run(&root);
    let out = root.join("tables");
    let text = stdout_of(&[
        "table",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("τ = 0.05 from experiment.toml"), "{text}");
    // SFT Countdown: (150 + 74)/2000 = 11.20 %, the paper's value: PASS.
    let sft = row(&text, "| Qwen2.5-0.5B | SFT | Countdown |");
    assert!(
        sft.contains("| 11.20 | 11.20 | [") && sft.ends_with("| +0.00 | PASS |"),
        "{sft}"
    );
    // SFT Logic: (0 + 50)/1000 = 5.00 % against 1.87 %: within ±5 points.
    assert!(
        row(&text, "| Qwen2.5-0.5B | SFT | Logic |").ends_with("| +3.13 | PASS |"),
        "{text}"
    );
    // UFT Countdown: 40.00 % against 17.15 %: FAIL.
    assert!(
        row(&text, "| Qwen2.5-0.5B | UFT | Countdown |").ends_with("| +22.85 | FAIL |"),
        "{text}"
    );
    // UFT Logic: 10.00 % against 4.87 %: the interval straddles 9.87 %.
    assert!(
        row(&text, "| Qwen2.5-0.5B | UFT | Logic |").ends_with("| INCONCLUSIVE |"),
        "{text}"
    );
    // RFT has only the Countdown-trained model.
    let rft = row(&text, "| Qwen2.5-0.5B | RFT | Countdown |");
    assert!(
        rft.ends_with("| INCONCLUSIVE (partial: 1 of 2 tasks) |"),
        "{rft}"
    );
    // Table 2 analogue: every row, the paper's Avg. beside ours; Base is absent from the run.
    let table_row = row(&text, "| Qwen2.5-0.5B | SFT | 11.20 [");
    assert!(table_row.ends_with("| 4.46 |"), "{table_row}");
    assert!(
        text.contains("The §7 claims compare model sizes; these results have 1"),
        "{text}"
    );

    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert!(
        csv.starts_with("source,model,method,variant,benchmark,reported_pct"),
        "{csv}"
    );
    assert!(
        csv.contains("table2,qwen2.5-0.5b,uft,,countdown,17.15,40.00,"),
        "{csv}"
    );
    assert!(!out.join("claims.md").exists(), "claims do not apply");

    let report = root.join("report").join("report.md");
    let out = repro([
        "report",
        results.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    for part in [
        "# Report: paper",
        "- Experiment file: `experiments/table2.toml`",
        "- Profile: paper",
        "- Overrides: `steps=100`",
        "- Run between 2026-01-02T03:04:05Z and 2026-01-02T04:04:05Z",
        "## Figures",
        "## Comparison with the paper's Table 2",
        "name = \"table2\"",
    ] {
        assert!(text.contains(part), "report lacks {part}:\n{text}");
    }
    let figures: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("![")?.split("](").nth(1)?.strip_suffix(')'))
        .collect();
    assert!(!figures.is_empty(), "no figure linked:\n{text}");
    for f in figures {
        assert!(report.parent().unwrap().join(f).is_file(), "{f} not drawn");
    }
}

/// One tiny model, nothing to compare (the `quick` profile's situation): the tables say in one
/// sentence what the results can and cannot show, and where to go next. A study with two sizes
/// has no such sentence.
#[test]
fn a_study_with_nothing_to_compare_says_what_it_shows() {
    let root = scratch("report-scope");
    let results = root.join("results");
    for method in ["base", "sft"] {
        let cell = Synthetic {
            model: "tiny-125k",
            method,
            task: "countdown",
            test: vec![(0, 0.0)],
            bench: vec![],
            test_files: vec![],
        };
        write_cell(&results, "quick", &cell);
    }
    let out = root.join("tables");
    let quick = results.join("quick");
    let text = stdout_of(&[
        "table",
        quick.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("## What these results can say"), "{text}");
    assert!(
        text.contains("the pipeline ran end to end") && text.contains("for tiny-125k"),
        "{text}"
    );
    let cpu = cpu_study(&root);
    let text = stdout_of(&[
        "table",
        cpu.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!text.contains("What these results can say"), "{text}");
}

fn stderr_of_failure(args: &[&str]) -> String {
    let out = repro(args);
    assert!(!out.status.success(), "repro {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn table_errors_name_the_problem() {
    let root = scratch("report-errors");
    let missing = root.join("nowhere");
    let err = stderr_of_failure(&["table", missing.to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");

    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = stderr_of_failure(&["report", empty.to_str().unwrap()]);
    assert!(err.contains("no complete cell"), "{err}");

    let results = cpu_study(&root);
    let damaged = results.join("tiny-4m-uft-logic").join("models/seed-1");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("test_samples.parquet"), "not parquet").unwrap();
    let err = stderr_of_failure(&["table", results.to_str().unwrap()]);
    assert!(
        err.contains("test_samples.parquet") && err.contains("not a readable"),
        "{err}"
    );
    std::fs::write(
        results.join("tiny-1m-uft-logic").join("metrics.parquet"),
        "junk",
    )
    .unwrap();
    let err = stderr_of_failure(&["table", results.to_str().unwrap()]);
    assert!(err.contains("tiny-1m-uft-logic/metrics.parquet"), "{err}");

    let tree = root.join("tree");
    let cell = Cell {
        index: 0,
        id: "abc".into(),
        axes: Vec::new(),
        params: BTreeMap::from([("height", Value::Int(3))]),
        options: BTreeMap::new(),
    };
    let rows = [SeedRow::new(0, 1, "explorations", 5.0)];
    let path = CellDir::new(&tree, "tree", "abc").metrics();
    write_cell_metrics(&path, "tree", "tree_search", &cell, &rows).unwrap();
    let err = stderr_of_failure(&["table", tree.join("tree").to_str().unwrap()]);
    assert!(err.contains("apply to fine_tune results"), "{err}");
}
