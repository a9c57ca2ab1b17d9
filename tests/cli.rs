//! `repro` end to end, as a user runs it: results on disk, skipping finished cells, resuming
//! after kill -9, shards into one folder, per-cell locks, figures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use repro::experiment::Experiment;
use repro::metrics::{SeedRow, read_cell_metrics};
use repro::store::CellDir;

use crate::{repro, scratch};

fn write_experiment(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("exp.toml");
    std::fs::write(
        &path,
        format!("name = \"exp\"\nkind = \"tree_search\"\n{body}"),
    )
    .unwrap();
    path
}

/// All rows of every cell, sorted, keyed by cell id.
fn all_rows(results: &Path, exp: &Experiment) -> BTreeMap<String, Vec<(u64, u64, String, u64)>> {
    exp.cells
        .iter()
        .map(|cell| {
            let path = CellDir::new(results, &exp.name, &cell.id).metrics();
            let metrics = read_cell_metrics(&path).unwrap_or_else(|e| panic!("{e:#}"));
            let mut rows: Vec<_> = metrics
                .rows
                .iter()
                .map(|r: &SeedRow| (r.seed, r.step, r.metric.clone(), r.value.to_bits()))
                .collect();
            rows.sort();
            (cell.id.clone(), rows)
        })
        .collect()
}

const SMALL: &str =
    "seeds = [0, 1]\n[sweep]\nmethod = [\"rft\", \"uft\", \"sft\"]\nheight = [3, 5]\n";

#[test]
fn run_writes_results_and_a_second_run_skips_every_cell() {
    let dir = scratch("cli-skip");
    let file = write_experiment(&dir, SMALL);
    let results = dir.join("results");
    let (f, r) = (file.to_str().unwrap(), results.to_str().unwrap());
    let out = repro(["run", f, "--results", r]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let exp = Experiment::from_file(&file).unwrap();
    let cell = CellDir::new(&results, "exp", &exp.cells[0].id);
    let config = std::fs::read_to_string(cell.config()).unwrap();
    assert!(
        config.contains("max_explorations = 1000000"),
        "every default is written: {config}"
    );
    let summary = std::fs::read_to_string(cell.summary()).unwrap();
    for key in [
        "status = \"complete\"",
        "git_commit",
        "git_dirty",
        "config_hash",
        "hostname",
        "cpu_model",
        "threads",
        "started_at",
        "finished_at",
        "wall_seconds",
        "repro_version",
    ] {
        assert!(summary.contains(key), "summary lacks {key}: {summary}");
    }
    let metrics = read_cell_metrics(&cell.metrics()).unwrap();
    assert_eq!(metrics.param("method").unwrap().as_str(), "rft");
    let seeds: std::collections::BTreeSet<u64> = metrics.rows.iter().map(|r| r.seed).collect();
    assert_eq!(seeds.into_iter().collect::<Vec<_>>(), vec![0, 1]);
    let before = all_rows(&results, &exp);

    let again = repro(["run", f, "--results", r]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success());
    assert!(
        stderr.contains("6 of 6 cells already complete, skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("0 cells run"), "{stderr}");
    assert_eq!(
        all_rows(&results, &exp),
        before,
        "nothing was rewritten differently"
    );

    // A damaged metrics file is rebuilt from the kept per-seed parts.
    std::fs::write(cell.metrics(), b"not parquet").unwrap();
    let repaired = repro(["run", f, "--results", r]);
    assert!(String::from_utf8_lossy(&repaired.stderr).contains("1 cells run"));
    assert_eq!(all_rows(&results, &exp), before);
}

#[test]
fn kill_9_midway_then_rerun_gives_exactly_the_uninterrupted_rows() {
    let dir = scratch("cli-kill");
    // Cells slow enough (RFT on deep trees) that the kill lands mid-sweep.
    let file = write_experiment(
        &dir,
        "seeds = [0, 1, 2]\n[defaults]\nmethod = \"rft\"\nbranching = 3\nmax_explorations = 400000\n[sweep]\nheight = [8, 9, 10, 11]\n",
    );
    let f = file.to_str().unwrap();
    let interrupted = dir.join("interrupted");
    let exp = Experiment::from_file(&file).unwrap();

    let mut child = crate::spawn_run(&file, &interrupted);
    // Wait until the first seed part exists, then kill -9.
    let first_part = CellDir::new(&interrupted, "exp", &exp.cells[0].id).seed_part(0);
    let start = Instant::now();
    while !first_part.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let finished = exp
        .cells
        .iter()
        .filter(|c| CellDir::new(&interrupted, "exp", &c.id).metrics().exists())
        .count();
    assert!(
        finished < exp.cells.len(),
        "the kill should land before the sweep ends"
    );

    let resumed = repro(["run", f, "--results", interrupted.to_str().unwrap()]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let clean = dir.join("clean");
    assert!(
        repro(["run", f, "--results", clean.to_str().unwrap(), "-q"])
            .status
            .success()
    );
    assert_eq!(
        all_rows(&interrupted, &exp),
        all_rows(&clean, &exp),
        "no duplicate, missing or different rows"
    );
}

#[test]
fn shards_fill_one_folder_and_match_a_full_run() {
    let dir = scratch("cli-shard");
    let file = write_experiment(&dir, SMALL);
    let f = file.to_str().unwrap();
    let sharded = dir.join("sharded");
    let s = sharded.to_str().unwrap();
    for shard in ["0/3", "1/3", "2/3"] {
        let out = repro(["run", f, "--results", s, "--shard", shard, "-q"]);
        assert!(out.status.success());
    }
    let full = dir.join("full");
    assert!(
        repro([
            "run",
            f,
            "--results",
            full.to_str().unwrap(),
            "--jobs",
            "2",
            "-q"
        ])
        .status
        .success()
    );
    let exp = Experiment::from_file(&file).unwrap();
    assert_eq!(all_rows(&sharded, &exp), all_rows(&full, &exp));

    let bad = repro(["run", f, "--shard", "3/3"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("need 0 ≤ I < N"));
}

#[test]
fn a_locked_cell_is_left_to_its_holder() {
    let dir = scratch("cli-lock");
    let file = write_experiment(&dir, SMALL);
    let (f, results) = (file.to_str().unwrap(), dir.join("results"));
    let exp = Experiment::from_file(&file).unwrap();
    let held = CellDir::new(&results, "exp", &exp.cells[2].id);
    let lock = held.try_lock().unwrap().expect("free");
    let out = repro(["run", f, "--results", results.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 cells run") && stderr.contains("1 busy"),
        "{stderr}"
    );
    assert!(!held.metrics().exists());
    drop(lock);
    let out = repro(["run", f, "--results", results.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 cells run"));
}

/// The `N` of "N cells run" in a run's closing line.
fn cells_run(stderr: &str) -> usize {
    let before = stderr.split(" cells run").next().expect("a closing line");
    let number = before.rsplit(' ').next().expect("a count");
    number
        .parse()
        .unwrap_or_else(|_| panic!("no count in {stderr}"))
}

#[test]
fn two_concurrent_runs_count_each_cell_once() {
    let dir = scratch("cli-concurrent");
    let file = write_experiment(&dir, SMALL);
    let results = dir.join("results");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_repro"))
            .args(["run", file.to_str().unwrap(), "--results"])
            .arg(&results)
            .output()
            .expect("the binary runs")
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(run);
        let b = scope.spawn(run);
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr),
    );
    let exp = Experiment::from_file(&file).unwrap();
    assert_eq!(cells_run(&a) + cells_run(&b), exp.cells.len(), "{a}\n{b}");
}

#[test]
fn check_lists_cells_and_rejects_bad_files_with_the_location() {
    let dir = scratch("cli-check");
    let file = write_experiment(&dir, SMALL);
    let out = repro(["check", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("6 cells × 2 seeds = 12 runs") && stdout.contains("method=uft height=5"),
        "{stdout}"
    );

    let bad = write_experiment(&dir, "seeds = [0]\n[defaults]\nheigth = 4\n");
    let out = repro(["check", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "exp.toml:5: `defaults.heigth`: unknown parameter `heigth` (did you mean `height`?"
        ),
        "{stderr}"
    );
}

#[test]
fn plot_writes_figures_from_parquet_and_reports_missing_results() {
    let dir = scratch("cli-plot");
    let file = write_experiment(
        &dir,
        "seeds = [0, 1, 2]\n[sweep]\nmethod = [\"rft\", \"uft\", \"uft_cosine\", \"r3\", \"sft\"]\nbranching = [2, 3]\nheight = [2, 3, 4, 5]\n",
    );
    let results = dir.join("results");
    assert!(
        repro([
            "run",
            file.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
            "-q"
        ])
        .status
        .success()
    );
    let out_dir = dir.join("figures");
    let exp_dir = results.join("exp");
    let out = repro([
        "plot",
        exp_dir.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--height",
        "4",
        "--branching",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "sample_complexity.png",
        "sample_complexity.svg",
        "convergence_h4_b3.png",
        "convergence_h4_b3.svg",
    ] {
        let bytes = std::fs::read(out_dir.join(name)).unwrap();
        assert!(bytes.len() > 10_000, "{name} is {} bytes", bytes.len());
    }
    assert!(
        std::fs::read(out_dir.join("sample_complexity.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let fit = std::fs::read_to_string(out_dir.join("sample_complexity_fit.csv")).unwrap();
    assert!(
        fit.starts_with("method,branching,heights,slope_log_per_level") && fit.contains("\nrft,3,"),
        "{fit}"
    );

    let empty = repro(["plot", dir.join("nothing").to_str().unwrap()]);
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("cannot read results folder"));
}
