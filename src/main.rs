//! The `repro` command line: a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use repro::experiment::cli::ExperimentArgs;
use repro::model::commands as model_commands;
use repro::runner::{self, RunOptions};
use repro::tasks::commands::{self as task_commands, GeneratedTask};

/// Training allocates and frees tensors of the same few sizes millions of times. The system
/// allocator hands large blocks back to the kernel and faults them in again, zeroed, on the
/// next step; mimalloc told never to purge keeps them for reuse (the README's CPU section has
/// the measurement).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps freed memory in the process (the measured gain) and allows 2 MiB pages (no gain of
/// its own was measured), unless the environment sets these options (`MIMALLOC_PURGE_DELAY`,
/// `MIMALLOC_ALLOW_LARGE_OS_PAGES`).
fn tune_allocator() {
    // `mi_option_purge_delay` in mimalloc 2's `mimalloc.h`; libmimalloc-sys names no constant.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    let unset = |name: &str| std::env::var_os(name).is_none();
    // SAFETY: mimalloc's options may be set at any time; these take effect from the next
    // allocation from the OS or the next purge.
    unsafe {
        if unset("MIMALLOC_PURGE_DELAY") {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
        if unset("MIMALLOC_ALLOW_LARGE_OS_PAGES") && unset("MIMALLOC_LARGE_OS_PAGES") {
            libmimalloc_sys::mi_option_set_enabled(libmimalloc_sys::mi_option_large_os_pages, true);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "repro",
    version,
    about = "Reproduce \"UFT: Unifying Supervised and Reinforcement Fine-Tuning\""
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every cell of an experiment file that is not already complete.
    Run {
        #[command(flatten)]
        experiment: ExperimentArgs,
        /// Results root; cells go to <results>/<experiment name>[-profile]/<cell id>/.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Cells to run at once.
        #[arg(long, short, default_value_t = 1)]
        jobs: usize,
        /// Run one shard I/N of the sweep: the cells whose index ≡ I (mod N).
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
        /// Recompute cells that are already complete.
        #[arg(long)]
        force: bool,
        /// No progress bars and no per-cell lines.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate an experiment file and list its cells.
    Check {
        #[command(flatten)]
        experiment: ExperimentArgs,
        /// Also print every parameter the experiment's kind accepts, with defaults.
        #[arg(long)]
        schema: bool,
    },
    /// Draw the figures of an experiment from its results (Parquet only).
    Plot(repro::plot::PlotArgs),
    /// Print the paper's tables from a fine_tune results folder; write Markdown, CSV and LaTeX.
    Table(repro::report::TableArgs),
    /// Write one Markdown report of a fine_tune results folder: record, tables, figures.
    Report(repro::report::ReportArgs),
    /// Compare two results folders of one experiment: every metric row bit for bit (wall-clock
    /// rows aside) and every model file byte for byte; exits non-zero when they differ or a
    /// cell is in one folder only.
    Diff {
        /// The first results folder (`results/<experiment>`).
        first: PathBuf,
        /// The second, e.g. a rerun with `--results other_root`.
        second: PathBuf,
        /// Match cells without this parameter (repeatable), e.g. `device` to compare a GPU run
        /// with a CPU one: cells pair by the rest of their configuration.
        #[arg(long, value_name = "PARAM")]
        ignore_param: Vec<String>,
        /// Accept |a − b| ≤ T × max(1, |a|, |b|) instead of equal bits; weight files are then
        /// not compared.
        #[arg(long, value_name = "T", default_value_t = 0.0)]
        tolerance: f64,
    },
    /// Check a results folder for damage: every file a cell wrote against the SHA-256 recorded
    /// in its summary.toml, every metrics table, every base model's weights; exits non-zero and
    /// names each damaged file (`repro run` recomputes what is damaged).
    Verify {
        /// A results root (`results`), an experiment's folder or one cell's.
        results: PathBuf,
    },
    /// Task data: generate it, or look inside a file.
    #[command(subcommand)]
    Data(DataCommand),
    /// Score completions from any system against a task file (official or generated).
    Score {
        /// The task file (official UFT or LUFFY schema, or generated).
        #[arg(long)]
        data: PathBuf,
        /// JSON lines `{"completion": "..."}` (row = line number) or `{"index": i, "completion": ...}`;
        /// without it, the file's own reference answers are scored.
        #[arg(long)]
        completions: Option<PathBuf>,
        /// Also write one row per completion (index, data_source, score, verdict, rule, answer,
        /// completion): Parquet, or JSON lines when the name ends in .jsonl.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Evaluate a model folder (repro's or a Hugging Face checkpoint) on a task: greedy pass@1 as
    /// the paper does, or sampled mean@k and pass@k.
    Eval(repro::train::commands::EvalArgs),
    /// The competence curve of a model folder: pass@1/4/16 on a task's training problems
    /// against the share of the worked solution given in the prompt (0, 0.2, …, 1.0).
    Probe(repro::train::probe_command::ProbeArgs),
    /// Generate continuations of a prompt with a model folder: a quick look at a checkpoint.
    Generate(model_commands::GenerateArgs),
    /// Model folders: describe one, or create a randomly initialised one from a preset.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Tokenizers: train a small byte-level BPE for the tiny models.
    #[command(subcommand)]
    Tokenizer(TokenizerCommand),
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Architecture and parameter count of a model folder or a preset name.
    Info {
        /// A model folder, or a preset (tiny-1m, tiny-4m, tiny-16m, qwen2.5-0.5b, …).
        model: String,
    },
    /// Write a randomly initialised model folder for a preset, with its tokenizer.
    Init {
        /// The architecture: tiny-125k, tiny-250k, tiny-500k, tiny-1m, tiny-4m, tiny-16m,
        /// qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-3b, llama-3.2-1b, llama-3.2-3b or qwen2.5-math-7b.
        #[arg(long)]
        preset: String,
        /// tokenizer.json to pair with the model (tiny presets take its vocabulary size).
        #[arg(long)]
        tokenizer: PathBuf,
        /// The model folder to write (created if needed): config.json, model.safetensors and a
        /// copy of the tokenizer.
        #[arg(long, short)]
        out: PathBuf,
        /// Seed of the random initialisation (the same seed gives the same weights).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Time a no-grad forward (or, with --train, a training step) at a fixed shape on fixed
    /// tokens (one warm-up, then --repeat timed runs); prints a JSON line with the seconds of
    /// each and the tokens/s of the median.
    Speed {
        /// A model folder: config.json, model.safetensors (or shards) and tokenizer.json.
        #[arg(long)]
        model: PathBuf,
        /// Rows of the batch.
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Tokens per row.
        #[arg(long, default_value_t = 128)]
        len: usize,
        /// Timed forwards.
        #[arg(long, default_value_t = 10)]
        repeat: usize,
        /// Where to run: cpu, or a GPU backend repro was built with.
        #[arg(long, default_value_t = repro::model::DeviceKind::Cpu)]
        device: repro::model::DeviceKind,
        /// Time a training step instead: forward with autodiff, the mean negative
        /// log-likelihood of every next token, backward, clipping and AdamW.
        #[arg(long)]
        train: bool,
    },
    /// Time f32 matrix products `[M, K] × [K, N]`, or linear layers `[B, M, K] × [K, N]`, as the
    /// model computes them (5 warm-ups, then --repeat timed runs); prints a JSON line per shape
    /// with the seconds of each and the GFLOP/s of the median.
    MatmulSpeed {
        /// Shapes as MxKxN (a product) or BxMxKxN (a linear layer over B rows of M tokens),
        /// comma-separated (e.g. 1808x256x768,8x226x256x768).
        #[arg(long, value_delimiter = ',', required = true)]
        shapes: Vec<String>,
        /// Timed products per shape.
        #[arg(long, default_value_t = 20)]
        repeat: usize,
        /// Where to run: cpu, or a GPU backend repro was built with.
        #[arg(long, default_value_t = repro::model::DeviceKind::Cpu)]
        device: repro::model::DeviceKind,
    },
    /// Run one model on the CPU and on a GPU backend and compare logits, greedy tokens (KV
    /// cache, left-padded batch) and log-probabilities; prints a JSON line, fails on a mismatch.
    Parity(repro::model::device_parity::ParityArgs),
    /// List the GPU adapters wgpu finds (JSON lines); needs a build with `--features wgpu`.
    Devices,
    /// Convert a llama.cpp GGUF file (a Llama with a byte-level BPE vocabulary) into a Hugging
    /// Face model folder: f32 model.safetensors, config.json, tokenizer.json and their configs.
    Import {
        /// The .gguf file (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K or Q6_K tensors).
        file: PathBuf,
        /// The folder to write (created if needed).
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenizerCommand {
    /// Train a byte-level BPE tokenizer on a task file or a text file.
    Train {
        /// A task file (.parquet or .jsonl: its prompts and reference responses) or plain text
        /// (one training sequence per line).
        #[arg(long)]
        data: PathBuf,
        /// Vocabulary size, including the 256 byte symbols and <|endoftext|>.
        #[arg(long)]
        vocab: usize,
        /// The tokenizer.json to write.
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Write N generated examples in the official Parquet schema.
    Generate {
        /// countdown or logic, with the official generators' settings.
        task: GeneratedTask,
        /// Number of examples to write.
        #[arg(long, short)]
        n: usize,
        /// Generator seed (`fine_tune` cells use 0 for training, 1 for test, 2 for validation).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Value of extra_info.split.
        #[arg(long, default_value = "train")]
        split: String,
        /// The Parquet file to write.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Row count, task mix and the first example of a task file.
    Inspect {
        /// A task file: official UFT or LUFFY Parquet, generated Parquet, or JSON lines.
        file: PathBuf,
    },
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 0/4")?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("bad shard index `{i}`"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("bad shard count `{n}`"))?;
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 ≤ I < N"));
    }
    Ok((i, n))
}

/// `repro check FILE | head` ends quietly when `head` closes the pipe, as other command-line
/// tools do, instead of panicking on the failed write.
#[cfg(unix)]
fn default_broken_pipe() {
    // SAFETY: restoring the default disposition of a signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_broken_pipe() {}

fn main() -> ExitCode {
    tune_allocator();
    default_broken_pipe();
    // Damaged Parquet files make polars panic; `store::read_guarded` reports them as errors.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !repro::store::is_decoding_panic(info) {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    match on_a_compute_thread(move || run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command on a thread of rayon's global pool, the pool burn's CPU kernels split their
/// work over. Called from any other thread, each parallel kernel is handed to the pool through
/// its queue while the caller sleeps until it is done, a wake-up and a sleep of that thread per
/// kernel, thousands per training step; called from a thread of the pool, it is split in place.
/// The numbers are the same (the kernels split rows and tiles, never a sum's order); the threads
/// get the main thread's 8 MiB of stack.
fn on_a_compute_thread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    // Fails only if the global pool already exists, which is then used as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(8 << 20)
        .build_global();
    rayon::scope(|_| work())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            experiment,
            results,
            jobs,
            shard,
            force,
            quiet,
        } => {
            let exp = experiment.load()?;
            repro::train::preflight::check(&exp)?;
            if jobs == 0 {
                bail!("--jobs must be at least 1");
            }
            let opts = RunOptions {
                results,
                jobs,
                shard,
                force,
                quiet,
            };
            let started = std::time::Instant::now();
            let report = runner::run(&exp, &opts)
                .with_context(|| format!("running {}", experiment.file.display()))?;
            if !quiet {
                eprintln!(
                    "{}: {} cells run, {} already complete, {} busy elsewhere ({:.1}s); results in {}",
                    exp.results_name(),
                    report.ran,
                    report.skipped,
                    report.busy,
                    started.elapsed().as_secs_f64(),
                    opts.results.join(exp.results_name()).display()
                );
            }
            Ok(())
        }
        Command::Check { experiment, schema } => {
            let exp = experiment.load()?;
            print!("{}", repro::experiment::describe(&exp, schema));
            // Without --profile, every profile of the file must be valid too.
            if experiment.profile.is_none() && exp.profiles.len() > 1 {
                for profile in &exp.profiles[1..] {
                    let other = ExperimentArgs {
                        profile: Some(profile.clone()),
                        ..experiment.clone()
                    };
                    let checked = other.load()?;
                    println!(
                        "profile {profile}: valid, {} cells × {} seeds",
                        checked.cells.len(),
                        checked.seeds.len()
                    );
                }
            }
            Ok(())
        }
        Command::Plot(args) => repro::plot::plot(&args),
        Command::Table(args) => repro::report::table(&args),
        Command::Report(args) => repro::report::report(&args),
        Command::Diff {
            first,
            second,
            ignore_param,
            tolerance,
        } => {
            if !(tolerance >= 0.0) {
                bail!("--tolerance must be a number ≥ 0");
            }
            let options = runner::diff::DiffOptions {
                ignore_params: ignore_param,
                tolerance,
            };
            let report = runner::diff::diff_with(&first, &second, &options)?;
            print!("{}", report.describe());
            if !report.identical() {
                bail!("{} and {} differ", first.display(), second.display());
            }
            Ok(())
        }
        Command::Verify { results } => {
            let found = runner::verify::verify(&results)?;
            print!("{}", found.describe());
            if !found.problems.is_empty() {
                bail!("{} has damaged or incomplete files", results.display());
            }
            Ok(())
        }
        Command::Data(DataCommand::Generate {
            task,
            n,
            seed,
            split,
            out,
        }) => {
            task_commands::generate(task, n, seed, &split, &out)?;
            eprintln!(
                "wrote {n} {task:?} examples (seed {seed}) to {}",
                out.display()
            );
            Ok(())
        }
        Command::Data(DataCommand::Inspect { file }) => {
            print!("{}", task_commands::inspect(&file)?);
            Ok(())
        }
        Command::Score {
            data,
            completions,
            out,
        } => {
            let report = task_commands::score(&data, completions.as_deref())?;
            print!("{report}");
            if let Some(out) = out {
                report.write(&out)?;
                eprintln!("wrote {} rows to {}", report.scores.len(), out.display());
            }
            Ok(())
        }
        Command::Eval(args) => {
            print!("{}", repro::train::commands::eval_command(&args)?);
            Ok(())
        }
        Command::Probe(args) => {
            print!("{}", repro::train::probe_command::probe_command(&args)?);
            Ok(())
        }
        Command::Generate(args) => {
            print!("{}", model_commands::generate_command(&args)?);
            Ok(())
        }
        Command::Model(ModelCommand::Info { model }) => {
            print!("{}", model_commands::info_command(&model)?);
            Ok(())
        }
        Command::Model(ModelCommand::Init {
            preset,
            tokenizer,
            out,
            seed,
        }) => {
            eprint!(
                "{}",
                model_commands::init_command(&preset, &tokenizer, &out, seed)?
            );
            Ok(())
        }
        Command::Model(ModelCommand::Speed {
            model,
            batch,
            len,
            repeat,
            device,
            train,
        }) => {
            use repro::model::speed::{Work, speed_command};
            let work = if train { Work::Train } else { Work::Forward };
            print!(
                "{}",
                speed_command(&model, batch, len, repeat, device, work)?
            );
            Ok(())
        }
        Command::Model(ModelCommand::MatmulSpeed {
            shapes,
            repeat,
            device,
        }) => {
            use repro::model::matmul_speed::matmul_speed_command;
            print!("{}", matmul_speed_command(&shapes, repeat, device)?);
            Ok(())
        }
        Command::Model(ModelCommand::Parity(args)) => {
            let (json, passed) = repro::model::device_parity::parity_command(&args)?;
            print!("{json}");
            if !passed {
                bail!(
                    "{} disagrees with the CPU beyond the tolerance (the line above says where)",
                    args.device
                );
            }
            Ok(())
        }
        Command::Model(ModelCommand::Devices) => {
            for adapter in repro::model::device::gpu_adapters()? {
                println!("{}", serde_json::to_string(&adapter)?);
            }
            Ok(())
        }
        Command::Model(ModelCommand::Import { file, out }) => {
            eprint!("{}", repro::model::gguf::import::import(&file, &out)?);
            Ok(())
        }
        Command::Tokenizer(TokenizerCommand::Train { data, vocab, out }) => {
            eprint!(
                "{}",
                model_commands::train_tokenizer_command(&data, vocab, &out)?
            );
            Ok(())
        }
    }
}
