//! The integration test binary: one module per area.

mod cli; // `repro run` / `check` / `plot` end to end, resume after kill -9, shards, locks
mod damage; // bit flips in results and models, NaN weights, bad tokenizers; verify; pretraining resume
mod experiment_files; // every experiments/*.toml loads; each class of bad file gets a clear error
mod gguf_import; // SmolLM2's GGUF through `repro model import` against transformers (skips without it)
mod model_cli; // tokenizer train → model init → generate, and their errors
mod model_parity; // the transformer against transformers: logits, greedy tokens, checkpoints
mod official_data; // the verifiers on every official row (from ../shared/datasets when present)
mod pretrain; // tiny base models: trained once per recipe, reused, reproduced exactly
mod probe; // repro probe: the competence curve of a committed base model, written and drawn
mod profiles; // experiment profiles, --set / --steps / --limit, the check before a run
mod report; // repro table / report
mod task_data; // generated and official task files, `repro data`, `repro score`
mod training; // SFT and RL steps on a tiny model: loss goes down, accumulation, UFT(no hint) = RFT

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `repro` binary built for these tests.
fn repro<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repro"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `repro run FILE --results RESULTS --quiet`, started in the background with its output
/// discarded (for tests that kill it midway).
fn spawn_run(file: &Path, results: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_repro"))
        .args([
            "run".as_ref(),
            file.as_os_str(),
            "--results".as_ref(),
            results.as_os_str(),
            "--quiet".as_ref(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// `repro run FILE --results RESULTS --quiet`, to completion.
fn run_quiet(file: &Path, results: &Path) -> Output {
    repro([
        "run".as_ref(),
        file.as_os_str(),
        "--results".as_ref(),
        results.as_os_str(),
        "--quiet".as_ref(),
    ])
}

/// Copies the folder `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("repro-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An official data file beside the repository (`../shared/datasets/<file>`), or `None` with a
/// message when it is absent (the test then skips it).
fn official(file: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets")
        .join(file);
    if path.is_file() {
        Some(path)
    } else {
        println!("skipping: {} not present", path.display());
        None
    }
}
