//! The run engine behind `repro run`: which cells still need work, running them (in parallel,
//! one shard of a sweep, under a per-cell lock), and recording each result so that nothing
//! finished is ever recomputed and nothing unfinished ever looks finished.
//!
//! - `summary`    — `summary.toml` (status and provenance of a cell)
//! - `provenance` — version, commit, host, CPU, timestamps
//! - `record`     — `experiment.toml`: file, profile, overrides and tolerance of the results
//! - `diff`       — two results folders compared row by row and file by file (`repro diff`)
//! - `integrity`  — the SHA-256 of every file a cell wrote, checked before it is skipped
//! - `pool`       — the threads each cell computes with when several run at once
//! - `verify`     — `repro verify`: every damaged file of a results folder

pub mod diff;
pub mod integrity;
mod pool;
pub mod provenance;
pub mod record;
pub mod summary;
pub mod verify;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::experiment::{Cell, Experiment, ExperimentKind, resolved_toml};
use crate::metrics::{self, SeedRow};
use crate::store::{CellDir, write_text};
use provenance::{Provenance, utc_timestamp};
use summary::{Status, Summary};

/// How `repro run` should proceed.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The results root (`results/`); the experiment writes into `<results>/<name>/`.
    pub results: PathBuf,
    /// Cells run at once.
    pub jobs: usize,
    /// `Some((i, n))`: run only the cells whose index ≡ i (mod n).
    pub shard: Option<(usize, usize)>,
    /// Recompute cells even if complete.
    pub force: bool,
    /// No progress bars and no per-cell lines.
    pub quiet: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub ran: usize,
    pub skipped: usize,
    /// Cells another process was working on (locked).
    pub busy: usize,
}

/// Whether a cell's results are complete for exactly these seeds and this configuration.
pub fn is_complete(dir: &CellDir, seeds: &[u64], config_hash: &str) -> bool {
    let Ok(summary) = Summary::read(&dir.summary()) else {
        return false;
    };
    let want: BTreeSet<u64> = seeds.iter().copied().collect();
    let have: BTreeSet<u64> = summary.seeds.iter().copied().collect();
    // A damaged file makes the cell incomplete: `run_cell` recomputes the seeds it belongs to
    // and rebuilds the rest from the per-seed parts.
    summary.status == Status::Complete
        && summary.config_hash == config_hash
        && want == have
        && integrity::check(&dir.root, &summary.files).is_empty()
        && metrics::read_cell_metrics(&dir.metrics()).is_ok()
}

fn config_hash(config: &str) -> String {
    integrity::hash_text(config)
}

/// Runs every cell of `exp` (or of one shard) that is not already complete.
pub fn run(exp: &Experiment, opts: &RunOptions) -> Result<RunReport> {
    let provenance = Provenance::collect();
    let cells: Vec<&Cell> = match opts.shard {
        Some((i, n)) => exp.shard(i, n).collect(),
        None => exp.cells.iter().collect(),
    };
    let mut report = RunReport::default();
    let mut pending = Vec::new();
    let name = exp.results_name();
    std::fs::create_dir_all(opts.results.join(&name))
        .with_context(|| format!("cannot create {}", opts.results.join(&name).display()))?;
    record::ExperimentRecord {
        name: exp.name.clone(),
        profile: exp.profile.clone(),
        file: exp.path.display().to_string(),
        tolerance: exp.tolerance,
        overrides: exp.overrides.clone(),
        source: exp.source.clone(),
    }
    .write(&opts.results.join(&name))?;
    for cell in cells {
        let dir = CellDir::new(&opts.results, &name, &cell.id);
        let hash = config_hash(&resolved_toml(exp.kind, cell));
        if !opts.force && is_complete(&dir, &exp.seeds, &hash) {
            report.skipped += 1;
        } else {
            pending.push((cell, dir, hash));
        }
    }

    // The longest cells first, so that with several workers none is left running alone at the
    // end (the sort is stable: equal estimates keep the file's order).
    let mut estimated: Vec<_> = pending
        .into_iter()
        .map(|item| (estimated_work(exp.kind, item.0), item))
        .collect();
    estimated.sort_by(|(a, _), (b, _)| b.total_cmp(a));
    let pending: Vec<_> = estimated.into_iter().map(|(_, item)| item).collect();

    let multi = MultiProgress::with_draw_target(if opts.quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    // Per-cell lines go above the bars, or to stderr when there are no bars (not a terminal).
    let say = |line: String| match (opts.quiet, multi.is_hidden()) {
        (true, _) => {}
        (false, true) => eprintln!("{line}"),
        (false, false) => {
            let _ = multi.println(line);
        }
    };
    if report.skipped > 0 {
        say(format!(
            "{}: {} of {} cells already complete, skipped",
            name,
            report.skipped,
            report.skipped + pending.len()
        ));
    }
    let sweep = multi.add(ProgressBar::new(pending.len() as u64));
    sweep.set_style(
        ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} cells, ETA {eta}",
        )
        .expect("valid template"),
    );
    sweep.set_prefix(name.clone());

    let next = AtomicUsize::new(0);
    let outcome = Mutex::new((0usize, 0usize, 0usize, Vec::<String>::new()));
    let workers = opts.jobs.max(1).min(pending.len().max(1));
    let pools = pool::per_worker(workers)?;
    let work = |pool: &pool::WorkerPool| {
        pool.run(|| {
            // The threads this worker's cells compute with.
            let cell_provenance = Provenance {
                threads: rayon::current_num_threads(),
                ..provenance.clone()
            };
            let bar = multi.insert_before(&sweep, ProgressBar::new(1000));
            bar.set_style(
                ProgressStyle::with_template("  {msg:40!} {bar:30} {percent:>3}%")
                    .expect("valid template"),
            );
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((cell, dir, hash)) = pending.get(i) else {
                    break;
                };
                bar.set_message(cell.label());
                bar.set_position(0);
                let result = run_cell(exp, cell, dir, hash, opts.force, &cell_provenance, &|f| {
                    bar.set_position((f * 1000.0) as u64)
                });
                let mut out = outcome.lock().expect("no panics while holding the lock");
                match result {
                    Ok(CellOutcome::Ran { seconds, line }) => {
                        out.0 += 1;
                        say(format!(
                            "done {} [{}] {seconds:.1}s: {line}",
                            cell.label(),
                            cell.id
                        ));
                    }
                    Ok(CellOutcome::CompletedElsewhere) => {
                        out.2 += 1;
                        say(format!(
                            "skip {} [{}]: completed by another process meanwhile",
                            cell.label(),
                            cell.id
                        ));
                    }
                    Ok(CellOutcome::Busy) => {
                        out.1 += 1;
                        say(format!(
                            "busy {} [{}]: another process holds its lock, left to it",
                            cell.label(),
                            cell.id
                        ));
                    }
                    Err(e) => out.3.push(format!("{} [{}]: {e:#}", cell.label(), cell.id)),
                }
                sweep.inc(1);
            }
            bar.finish_and_clear();
        })
    };
    match pools.as_slice() {
        // One worker computes on this thread, which main.rs made one of the global pool's.
        [only] => work(only),
        pools => std::thread::scope(|scope| {
            for pool in pools {
                scope.spawn(|| work(pool));
            }
        }),
    }
    sweep.finish_and_clear();
    let (ran, busy, completed_elsewhere, failures) =
        outcome.into_inner().expect("workers finished");
    report.ran = ran;
    report.busy = busy;
    report.skipped += completed_elsewhere;
    if !failures.is_empty() {
        bail!(
            "{} cell(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    Ok(report)
}

enum CellOutcome {
    Ran {
        seconds: f64,
        line: String,
    },
    /// Another process finished the cell between our completeness check and taking its lock
    /// (counted as already complete, so concurrent runs never count a cell twice).
    CompletedElsewhere,
    Busy,
}

/// Runs the missing seeds of one cell under its lock and writes its files.
fn run_cell(
    exp: &Experiment,
    cell: &Cell,
    dir: &CellDir,
    hash: &str,
    force: bool,
    provenance: &Provenance,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<CellOutcome> {
    let Some(_lock) = dir.try_lock()? else {
        return Ok(CellOutcome::Busy);
    };
    // Another process may have finished the cell between our check and the lock.
    if !force && is_complete(dir, &exp.seeds, hash) {
        return Ok(CellOutcome::CompletedElsewhere);
    }
    let started = Instant::now();
    let config = resolved_toml(exp.kind, cell);
    // Seeds with a damaged file (per the previous record) are computed again from scratch.
    let previous = Summary::read(&dir.summary())
        .map(|s| s.files)
        .unwrap_or_default();
    let damaged: BTreeSet<u64> = integrity::check(&dir.root, &previous)
        .iter()
        .filter_map(integrity::Damaged::seed)
        .collect();
    let mut summary = Summary::new(provenance);
    summary.files = previous;
    summary.experiment = exp.results_name();
    summary.cell = cell.id.clone();
    summary.label = cell.label();
    summary.kind = exp.kind.name().into();
    summary.seeds = exp.seeds.clone();
    summary.config_hash = hash.to_string();
    summary.started_at = utc_timestamp(SystemTime::now());
    summary.write(&dir.summary())?;
    write_text(&dir.config(), &config)?;

    let mut rows: Vec<SeedRow> = Vec::new();
    for (k, &seed) in exp.seeds.iter().enumerate() {
        let part = dir.seed_part(seed);
        let reusable = !force && part.is_file() && !damaged.contains(&seed);
        let seed_rows = match reusable.then(|| metrics::read_seed_part(&part)) {
            Some(Ok(rows)) => rows,
            // A missing or unreadable part is (re)computed; parts are only ever written whole.
            _ => {
                let n = exp.seeds.len() as f64;
                let mut report = |f: f64| progress((k as f64 + f) / n);
                let work = dir.seed_work(seed);
                if force && work.exists() {
                    std::fs::remove_dir_all(&work)
                        .with_context(|| format!("cannot clear {}", work.display()))?;
                }
                let rows = match run_seed(exp.kind, cell, &exp.cells, seed, dir, force, &mut report)
                {
                    Ok(rows) => rows,
                    Err(error) => {
                        summary.status = Status::Failed;
                        summary.error = Some(format!("seed {seed}: {error:#}"));
                        summary.write(&dir.summary())?;
                        return Err(error.context(format!("seed {seed}")));
                    }
                };
                if let Some(bad) = rows.iter().find(|r| !r.value.is_finite()) {
                    summary.status = Status::Failed;
                    summary.error = Some(format!(
                        "seed {seed}: metric `{}` is {} at step {}",
                        bad.metric, bad.value, bad.step
                    ));
                    summary.write(&dir.summary())?;
                    bail!("{}", summary.error.as_deref().unwrap_or_default());
                }
                metrics::write_seed_part(&part, &rows)?;
                if work.exists() {
                    std::fs::remove_dir_all(&work)
                        .with_context(|| format!("cannot remove {}", work.display()))?;
                }
                rows
            }
        };
        rows.extend(seed_rows);
    }
    metrics::write_cell_metrics(
        &dir.metrics(),
        &exp.results_name(),
        exp.kind.name(),
        cell,
        &rows,
    )?;
    summary.files = integrity::record(&dir.root)?;
    summary.status = Status::Complete;
    summary.finished_at = Some(utc_timestamp(SystemTime::now()));
    let seconds = started.elapsed().as_secs_f64();
    summary.wall_seconds = Some(seconds);
    summary.write(&dir.summary())?;
    Ok(CellOutcome::Ran {
        seconds,
        line: summarize(exp.kind, &rows),
    })
}

fn run_seed(
    kind: ExperimentKind,
    cell: &Cell,
    cells: &[Cell],
    seed: u64,
    dir: &CellDir,
    force: bool,
    progress: &mut dyn FnMut(f64),
) -> Result<Vec<SeedRow>> {
    match kind {
        ExperimentKind::TreeSearch => Ok(crate::theory::run_seed(cell, seed, progress)),
        ExperimentKind::FineTune => {
            let dirs = crate::train::run::SeedDirs {
                work: dir.seed_work(seed),
                model: dir.seed_model(seed),
                base_models: dir.base_models(),
                sft_stage: crate::train::sft_stage::is_shared(cell, cells).then(|| {
                    crate::train::sft_stage::SharedStage::of(
                        dir.root
                            .parent()
                            .expect("a cell folder is inside its experiment's"),
                        cell,
                        seed,
                        !force,
                    )
                }),
            };
            crate::train::run::run_seed(cell, seed, &dirs, progress)
        }
    }
}

/// A cell's rough cost, to order the pending cells; the same for every tree-search cell.
fn estimated_work(kind: ExperimentKind, cell: &Cell) -> f64 {
    match kind {
        ExperimentKind::TreeSearch => 0.0,
        ExperimentKind::FineTune => {
            crate::train::config::FineTuneConfig::from_cell(cell, 0).estimated_work()
        }
    }
}

fn summarize(kind: ExperimentKind, rows: &[SeedRow]) -> String {
    match kind {
        ExperimentKind::TreeSearch => crate::theory::summarize(rows),
        ExperimentKind::FineTune => crate::train::run::summarize(rows),
    }
}
