//! The pretrain stage: a tiny preset becomes a *base model* by next-token training on the
//! generated corpus (`tasks::generate::corpus`): correct worked solutions of Countdown problems
//! easier than, and disjoint from, the fine-tuning ones, and arithmetic facts — the position the
//! paper's pretrained models start from (they know the format and the steps, and rarely solve
//! the fine-tuning problems). The stage is an ordinary SFT loop over the corpus (each document seen
//! once, cosine learning rate with 5 % warmup) from a fixed initialisation (seed 0), so a base
//! model depends only on its recipe, not on the fine-tuning seed.
//!
//! Base models are cached in `<results>/base_models/<preset>-<recipe hash>/` and shared by every
//! experiment under the same results root; a finished one is never trained again, and cells
//! that need the same one while it is being trained wait for it (a file lock). A pretraining
//! run keeps about ten checkpoints' worth of progress in `<folder>.work/` (the latest only): a
//! killed run continues from there, to the same bytes.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::module::Module;
use burn::tensor::Device;
use sha2::{Digest, Sha256};

use super::checkpoint;
use super::optimizer::{AdamW, AdamWConfig};
use super::sft::{SftConfig, sft_step};
use crate::metrics::SeedRow;
use crate::model::tokenizer::Tokenizer;
use crate::model::weights::{RandomInit, SaveDtype};
use crate::model::{Transformer, presets};
use crate::tasks::generate::TaskOptions;
use crate::tasks::generate::corpus::{self, Document};

/// A base model's recipe: everything its weights depend on.
#[derive(Clone, Debug, PartialEq)]
pub struct PretrainConfig {
    pub model: String,
    pub tokenizer: TokenizerKind,
    pub steps: u64,
    /// Documents per step.
    pub batch: usize,
    pub lr: f64,
    /// The corpus's problems are drawn like the fine-tuning data's.
    pub tasks: TaskOptions,
}

/// How the base model's tokenizer is made from the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenizerKind {
    /// A byte-level BPE of this vocabulary size.
    Bpe { vocab: usize },
    /// Word-level: words whole, digits and marks alone (`model::word_level`).
    Word,
}

impl TokenizerKind {
    fn describe(self) -> String {
        match self {
            TokenizerKind::Bpe { vocab } => format!("vocab={vocab}"),
            TokenizerKind::Word => "tokenizer=word".into(),
        }
    }

    fn train(self, documents: &[Document]) -> Result<Tokenizer> {
        let texts = documents
            .iter()
            .flat_map(|d| [d.prompt.clone(), d.continuation.clone()]);
        match self {
            TokenizerKind::Bpe { vocab } => Tokenizer::train_bpe(texts, vocab),
            TokenizerKind::Word => Tokenizer::train_word_level(texts),
        }
    }
}

/// Version of the corpus and the loop; part of the cache key (3: solutions of easier problems,
/// loss on the continuation).
const RECIPE_VERSION: u32 = 3;
/// Marks a finished base model folder.
const DONE: &str = "pretrain.toml";
/// Examples per forward/backward pass.
const MICRO_BATCH: usize = 8;

impl PretrainConfig {
    /// `tiny-1m-3f2a9c0d`: the preset and a hash of the recipe.
    pub fn folder_name(&self) -> String {
        let recipe = format!(
            "v{RECIPE_VERSION} {} {} steps={} batch={} lr={:e} {}",
            self.model,
            self.tokenizer.describe(),
            self.steps,
            self.batch,
            self.lr,
            self.tasks.describe()
        );
        let digest = Sha256::digest(recipe.as_bytes());
        let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{}-{hash}", self.model)
    }

    fn sft(&self) -> SftConfig {
        SftConfig {
            epochs: 1,
            max_steps: self.steps,
            batch_examples: self.batch,
            micro_batch_examples: MICRO_BATCH.min(self.batch),
            lr: self.lr,
            warmup_ratio: 0.05,
            optimizer: AdamWConfig::SFT,
            seed: 0,
        }
    }
}

/// The folder of the base model for `config` under `root`, pretraining it first if no
/// finished one exists. `progress` receives the fraction done while it trains.
pub fn base_model(
    config: &PretrainConfig,
    root: &Path,
    device: &Device,
    progress: &mut dyn FnMut(f64),
) -> Result<PathBuf> {
    let dir = root.join(config.folder_name());
    if dir.join(DONE).exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let lock_path = root.join(format!("{}.lock", config.folder_name()));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    if dir.join(DONE).exists() {
        return Ok(dir);
    }
    let partial = root.join(format!("{}.partial", config.folder_name()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("cannot clear {}", partial.display()))?;
    }
    let work = root.join(format!("{}.work", config.folder_name()));
    pretrain(config, &partial, &work, device, progress)?;
    std::fs::rename(&partial, &dir)
        .with_context(|| format!("cannot move the base model into {}", dir.display()))?;
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot remove {}", work.display()))?;
    }
    Ok(dir)
}

/// Steps between two checkpoints of a pretraining run: about ten per run.
fn checkpoint_every(total: u64) -> u64 {
    (total / 10).max(1)
}

/// Trains the tokenizer and the model and writes them, the loss curve and the recipe to `out`.
/// Checkpoints go to `work` (as a fine-tuning seed's do, `train::checkpoint`), so a killed run
/// continues from its last one and ends with the same bytes as a run never stopped.
fn pretrain(
    config: &PretrainConfig,
    out: &Path,
    work: &Path,
    device: &Device,
    progress: &mut dyn FnMut(f64),
) -> Result<()> {
    let started = std::time::Instant::now();
    let sft = config.sft();
    let documents: Vec<Document> =
        corpus::corpus(0, config.steps as usize * config.batch, &config.tasks);
    let tokenizer = config.tokenizer.train(&documents)?;
    let eos = tokenizer
        .end_of_text()
        .context("the corpus tokenizer has no end-of-text token")?;
    let shape = presets::by_name(&config.model)?.with_vocab(tokenizer.vocab_size(), eos);
    let autodiff = device.clone().autodiff();
    let total = sft.total_steps(documents.len());
    let (mut model, mut optimizer, mut rows, first) =
        match checkpoint::load_latest(work, &autodiff, device, |_| sft.optimizer)? {
            Some(r) => (r.model, r.optimizer, r.position.rows, r.position.step),
            None => (
                Transformer::build(&shape, &mut RandomInit::new(0), &autodiff)?,
                AdamW::new(sft.optimizer),
                Vec::new(),
                0,
            ),
        };
    for step in first..total {
        let m = sft_step(
            &mut model,
            &mut optimizer,
            &sft,
            &tokenizer,
            &documents,
            step,
            &autodiff,
        )?;
        if !m.loss.is_finite() {
            anyhow::bail!(
                "pretraining {}: the loss became {} at step {}",
                config.model,
                m.loss,
                m.step
            );
        }
        rows.push(SeedRow::new(0, m.step, "pretrain_loss", m.loss));
        if m.step % checkpoint_every(total) == 0 && m.step < total {
            let position = checkpoint::Position {
                stage: checkpoint::Stage::Sft,
                step: m.step,
                annotation_tokens: 0.0,
                rows: rows.clone(),
                first_success: Default::default(),
            };
            checkpoint::save(work, &position, &model, None, &optimizer)?;
        }
        progress(m.step as f64 / total as f64);
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    crate::model::checkpoint::save(&model, out, SaveDtype::F32)?;
    tokenizer.save(&out.join("tokenizer.json"))?;
    crate::metrics::write_seed_part(&out.join("pretrain_metrics.parquet"), &rows)?;
    let last = |n: usize| {
        let tail = &rows[rows.len().saturating_sub(n)..];
        tail.iter().map(|r| r.value).sum::<f64>() / tail.len().max(1) as f64
    };
    let summary = format!(
        "model = \"{}\"\nparameters = {}\ntokenizer = \"{}\"\nvocab = {}\nsteps = {}\nbatch = {}\nlr = {:e}\n\
         problems = \"{}\"\nfinal_loss = {:.4}\nseconds = {:.1}\n",
        config.model,
        model.num_params(),
        config.tokenizer.describe(),
        tokenizer.vocab_size(),
        total,
        config.batch,
        config.lr,
        config.tasks.describe(),
        last(20),
        started.elapsed().as_secs_f64()
    );
    crate::store::write_text(&out.join(DONE), &summary)
}
