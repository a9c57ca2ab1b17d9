//! Tokenizers through Hugging Face's `tokenizers` crate: a model folder's `tokenizer.json`, a
//! small byte-level BPE trained by repro (`repro tokenizer train`), and the word-level tokenizer
//! of the tiny base models (`word_level.rs`).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, TokenizerBuilder};

/// End-of-text markers of the tokenizers repro meets, in order of preference when a model's
/// config does not name its EOS token: Qwen2.5 base, Qwen chat, Llama-3 base, Llama-3 chat.
const EOS_CANDIDATES: [&str; 4] = [
    "<|endoftext|>",
    "<|im_end|>",
    "<|end_of_text|>",
    "<|eot_id|>",
];

/// The special token of tokenizers trained by repro (end of text and padding).
pub const END_OF_TEXT: &str = "<|endoftext|>";

pub struct Tokenizer {
    pub(super) inner: tokenizers::Tokenizer,
}

impl Tokenizer {
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| anyhow!("cannot load the tokenizer {}: {e}", path.display()))?;
        Ok(Tokenizer { inner })
    }

    /// `tokenizer.json` in a model folder.
    pub fn from_model_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("tokenizer.json");
        if !path.exists() {
            bail!(
                "{} has no tokenizer.json (repro reads tokenizers in the Hugging Face JSON format)",
                dir.display()
            );
        }
        Self::from_file(&path)
    }

    /// Token ids of `text`, without special tokens (prompts carry their own template).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| anyhow!("cannot tokenize: {e}"))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Text of `ids`, dropping special tokens.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| anyhow!("cannot decode: {e}"))
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The first end-of-text marker this tokenizer knows.
    pub fn end_of_text(&self) -> Option<u32> {
        EOS_CANDIDATES.iter().find_map(|token| self.token_id(token))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self
            .inner
            .to_string(true)
            .map_err(|e| anyhow!("cannot serialise the tokenizer: {e}"))?;
        crate::store::write_text(path, &json)
    }

    /// Trains a byte-level BPE tokenizer (the scheme of Qwen2 and Llama-3, at a small vocabulary)
    /// on `lines`, with [`END_OF_TEXT`] as its only special token.
    pub fn train_bpe<I>(lines: I, vocab_size: usize) -> Result<Self>
    where
        I: Iterator<Item = String> + Send,
    {
        let alphabet = ByteLevel::alphabet();
        if vocab_size <= alphabet.len() + 1 {
            bail!(
                "--vocab must exceed {} (the 256 byte symbols and {END_OF_TEXT})",
                alphabet.len() + 1
            );
        }
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
            .initial_alphabet(alphabet.into_iter().collect())
            .build();
        let byte_level = ByteLevel::default().add_prefix_space(false);
        let mut tokenizer = TokenizerBuilder::<
            BPE,
            NormalizerWrapper,
            ByteLevel,
            PostProcessorWrapper,
            ByteLevel,
        >::new()
        .with_model(BPE::default())
        .with_pre_tokenizer(Some(byte_level))
        .with_decoder(Some(byte_level))
        .build()
        .map_err(|e| anyhow!("cannot build a BPE tokenizer: {e}"))?;
        tokenizer
            .train(&mut trainer, lines)
            .map_err(|e| anyhow!("BPE training failed: {e}"))?;
        Ok(Tokenizer {
            inner: tokenizer.into(),
        })
    }

    /// `repro tokenizer train`: a task file (`.parquet`, `.jsonl`: every prompt and reference
    /// response) or plain text (one training sequence per line).
    pub fn train_from_file(data: &Path, vocab_size: usize) -> Result<Self> {
        let is_task_file = matches!(
            data.extension().and_then(|e| e.to_str()),
            Some("parquet" | "jsonl")
        );
        let sequences: Vec<String> = if is_task_file {
            crate::tasks::data::load(data)?
                .into_iter()
                .flat_map(|example| {
                    let response = example.answer.unwrap_or_else(|| example.hint.concat());
                    [example.question, response]
                })
                .collect()
        } else {
            let text = std::fs::read_to_string(data)
                .with_context(|| format!("cannot read {}", data.display()))?;
            text.lines().map(str::to_string).collect()
        };
        if sequences.iter().all(|s| s.trim().is_empty()) {
            bail!(
                "{} holds no text; BPE needs text to learn merges from",
                data.display()
            );
        }
        Self::train_bpe(sequences.into_iter(), vocab_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> impl Iterator<Item = String> + Send {
        (0..200).map(|i| {
            format!(
                "Using the numbers [{i}, {}, 25], create an equation that equals {}.",
                i + 3,
                2 * i
            )
        })
    }

    #[test]
    fn a_trained_tokenizer_round_trips_text_and_knows_its_end_token() {
        let tokenizer = Tokenizer::train_bpe(corpus(), 300).unwrap();
        assert!(
            tokenizer.vocab_size() <= 300 && tokenizer.vocab_size() > 257,
            "{}",
            tokenizer.vocab_size()
        );
        let text = "Using the numbers [7, 10, 25], create an equation that equals 14.\n<answer> 7 + 7 </answer>";
        let ids = tokenizer.encode(text).unwrap();
        assert!(
            ids.len() < text.len(),
            "merges shorten the text: {} ids",
            ids.len()
        );
        assert_eq!(tokenizer.decode(&ids).unwrap(), text);
        assert_eq!(tokenizer.end_of_text(), tokenizer.token_id(END_OF_TEXT));
        assert!(tokenizer.end_of_text().is_some());
    }

    #[test]
    fn a_too_small_vocabulary_is_refused() {
        let error = Tokenizer::train_bpe(corpus(), 100)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("--vocab must exceed 257"), "{error}");
    }
}
