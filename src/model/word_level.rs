//! The word-level tokenizer of the tiny base models: every word of the template whole, every
//! digit its own token, every operator and punctuation mark its own token, a following space
//! glued to the piece before it. The vocabulary is whatever pieces the corpus holds (about a
//! hundred and fifty for Countdown), so a tiny model's parameters sit in its layers rather than
//! in its embeddings, and sequences are several times shorter than with a byte-level BPE.
//!
//! It is still an ordinary Hugging Face `tokenizer.json` (a `Split` pre-tokenizer, a `WordLevel`
//! model, a `Fuse` decoder), written with the `tokenizers` crate, so other tools read it.
//!
//! Why the space goes *after* a piece: a prompt ends in `<think> ` and a hint is appended right
//! after it. With the space glued to what follows (`" 4"`), the prompt's last space would be a
//! token of its own when the model answers the plain prompt but part of the hint's first digit
//! when a hint follows; glued to what precedes it (`"<think> "`), both tokenize alike. The one
//! exception is the space before a tag, which the tag takes: a complete solution given as a hint
//! ends in `… + 7` and the model's answer starts ` </think>`, which must be the same tokens as in
//! `… + 7 </think>` written in one piece.

use anyhow::{Result, anyhow};
use tokenizers::decoders::fuse::Fuse;
use tokenizers::models::wordlevel::{WordLevel, WordLevelTrainer};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, TokenizerBuilder};

use super::tokenizer::{END_OF_TEXT, Tokenizer};

/// The pieces, tried left to right: an answer-format tag with at most one space on each side; a
/// word, one digit or one other non-space character, each with its following space unless a tag
/// or another `<` comes next; or a lone whitespace character.
pub const PIECES: &str =
    r" ?</?(?:think|answer)> ?|[A-Za-z]+(?: (?!<))?|[0-9](?: (?!<))?|[^\sA-Za-z0-9](?: (?!<))?|\s";

/// Stands for pieces the corpus never held (decoded as nothing).
pub const UNKNOWN: &str = "<unk>";

impl Tokenizer {
    /// A word-level tokenizer whose vocabulary is every piece of `texts`, most frequent first
    /// (ties by text, so the ids are deterministic), after [`END_OF_TEXT`] and [`UNKNOWN`].
    /// Every digit, with and without its space, is in the vocabulary whatever `texts` holds.
    pub fn train_word_level<I>(texts: I) -> Result<Self>
    where
        I: Iterator<Item = String> + Send,
    {
        let split = Split::new(
            SplitPattern::Regex(PIECES.into()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| anyhow!("cannot build the word-level pre-tokenizer: {e}"))?;
        let model = WordLevel::builder()
            .unk_token(UNKNOWN.into())
            .build()
            .map_err(|e| anyhow!("cannot build a word-level model: {e}"))?;
        let mut tokenizer = TokenizerBuilder::<
            WordLevel,
            NormalizerWrapper,
            Split,
            PostProcessorWrapper,
            Fuse,
        >::new()
        .with_model(model)
        .with_pre_tokenizer(Some(split))
        .with_decoder(Some(Fuse::new()))
        .build()
        .map_err(|e| anyhow!("cannot build a word-level tokenizer: {e}"))?;
        let mut trainer = WordLevelTrainer::builder()
            .vocab_size(100_000)
            .min_frequency(1)
            .show_progress(false)
            .special_tokens(vec![
                AddedToken::from(END_OF_TEXT, true),
                AddedToken::from(UNKNOWN, true),
            ])
            .build()
            .map_err(|e| anyhow!("cannot build the word-level trainer: {e}"))?;
        let digits = (0..10).flat_map(|d| [format!("{d}"), format!("{d} ")]);
        tokenizer
            .train(&mut trainer, texts.chain(digits))
            .map_err(|e| anyhow!("word-level training failed: {e}"))?;
        Ok(Tokenizer {
            inner: tokenizer.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMPT: &str = "A conversation between User and Assistant.\nUser: Using the numbers \
        [4, 2, 17], create an equation that equals 25. Show your work in <think> </think> tags.\n\
        Assistant: Let me solve this step by step.\n<think> ";
    const ANSWER: &str = "4 * 2 = 8\n8 + 17 = 25\nTherefore, the final equation is (4 * 2) + 17 \
        </think>\n<answer> (4 * 2) + 17 </answer>";

    fn trained() -> Tokenizer {
        Tokenizer::train_word_level([PROMPT.to_string(), ANSWER.to_string()].into_iter()).unwrap()
    }

    fn pieces(tokenizer: &Tokenizer, text: &str) -> Vec<String> {
        let ids = tokenizer.encode(text).unwrap();
        ids.iter()
            .map(|&id| tokenizer.inner.id_to_token(id).unwrap())
            .collect()
    }

    #[test]
    fn pieces_are_words_digits_and_marks_with_their_following_space() {
        let tokenizer = trained();
        assert_eq!(
            pieces(
                &tokenizer,
                "8 + 17 = 25\nTherefore, the final equation is (4"
            ),
            [
                "8 ",
                "+ ",
                "1",
                "7 ",
                "= ",
                "2",
                "5",
                "\n",
                "Therefore",
                ", ",
                "the ",
                "final ",
                "equation ",
                "is ",
                "(",
                "4"
            ]
        );
        assert_eq!(
            pieces(&tokenizer, "+ 17 </think>\n<answer> (4"),
            ["+ ", "1", "7", " </think>", "\n", "<answer> ", "(", "4"]
        );
        assert_eq!(
            pieces(&tokenizer, "<think> 4 * 2 </think>\n<answer> (4"),
            [
                "<think> ",
                "4 ",
                "* ",
                "2",
                " </think>",
                "\n",
                "<answer> ",
                "(",
                "4"
            ]
        );
        assert_eq!(tokenizer.token_id(END_OF_TEXT), Some(0));
        assert_eq!(tokenizer.end_of_text(), Some(0));
        assert_eq!(tokenizer.token_id(UNKNOWN), Some(1));
        // Every digit is known, with and without its space, even those the texts lack.
        for d in 0..10 {
            assert!(tokenizer.token_id(&format!("{d}")).is_some(), "{d}");
            assert!(tokenizer.token_id(&format!("{d} ")).is_some(), "{d}");
        }
    }

    #[test]
    fn text_round_trips_and_a_hinted_prompt_tokenizes_as_prompt_then_answer() {
        let tokenizer = trained();
        for text in [PROMPT, ANSWER] {
            let ids = tokenizer.encode(text).unwrap();
            assert_eq!(tokenizer.decode(&ids).unwrap(), text);
        }
        // The prompt with the first solution line appended is the prompt's tokens, then the
        // line's: a hint continues the plain prompt's tokenization.
        let hint = "4 * 2 = 8\n";
        let together = tokenizer.encode(&format!("{PROMPT}{hint}")).unwrap();
        let apart = [
            tokenizer.encode(PROMPT).unwrap(),
            tokenizer.encode(hint).unwrap(),
        ]
        .concat();
        assert_eq!(together, apart);
        // So does the whole solution as a hint, followed by the answer block.
        let solution = &ANSWER[..ANSWER.find(" </think>").unwrap()];
        let rest = &ANSWER[solution.len()..];
        let whole = tokenizer.encode(&format!("{PROMPT}{ANSWER}")).unwrap();
        let split = [
            tokenizer.encode(&format!("{PROMPT}{solution}")).unwrap(),
            tokenizer.encode(rest).unwrap(),
        ]
        .concat();
        assert_eq!(whole, split);
    }

    #[test]
    fn an_unseen_piece_is_unknown_and_the_file_reloads_identically() {
        let tokenizer = trained();
        let ids = tokenizer.encode("Zebra 9").unwrap();
        assert_eq!(ids[0], 1, "an unseen word is <unk>");
        assert_eq!(tokenizer.decode(&ids).unwrap(), "9");
        let dir = std::env::temp_dir().join(format!("repro-word-level-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokenizer.json");
        tokenizer.save(&path).unwrap();
        let reloaded = Tokenizer::from_file(&path).unwrap();
        let text = format!("{PROMPT}{ANSWER}");
        assert_eq!(
            reloaded.encode(&text).unwrap(),
            tokenizer.encode(&text).unwrap()
        );
        assert_eq!(reloaded.vocab_size(), tokenizer.vocab_size());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The measurement behind the CPU study's tokenizer and frame (README): mean tokens of a
    /// study problem's prompt plus its reference answer, for a 512-token BPE and the
    /// word-level tokenizer trained on the same corpus, in the official and the short frame.
    #[test]
    fn the_word_level_tokenizer_and_the_short_frame_shorten_a_study_problem() {
        use crate::tasks::generate::{
            CountdownOptions, TaskOptions, corpus, generate_countdown_with,
        };
        use crate::tasks::prompt::Template;
        let mean_length = |template: Template, word: bool| {
            let countdown = CountdownOptions {
                min_numbers: 3,
                max_numbers: 3,
                number_range: (1, 9),
                target_range: (10, 27),
                template,
                ..CountdownOptions::default()
            };
            let tasks = TaskOptions {
                countdown: countdown.clone(),
                ..TaskOptions::default()
            };
            let texts: Vec<String> = corpus::corpus(0, 2000, &tasks)
                .into_iter()
                .flat_map(|d| [d.prompt, d.continuation])
                .collect();
            let tokenizer = if word {
                Tokenizer::train_word_level(texts.into_iter()).unwrap()
            } else {
                Tokenizer::train_bpe(texts.into_iter(), 512).unwrap()
            };
            let problems = generate_countdown_with(0, 100, &countdown);
            let total: usize = problems
                .iter()
                .map(|p| {
                    tokenizer
                        .encode(&format!("{}{}", p.question, p.answer))
                        .unwrap()
                        .len()
                })
                .sum();
            total as f64 / problems.len() as f64
        };
        let bpe_official = mean_length(Template::Official, false);
        let word_official = mean_length(Template::Official, true);
        let word_short = mean_length(Template::Short, true);
        println!(
            "tokens per prompt + answer: BPE-512 official {bpe_official:.1}, word-level official \
             {word_official:.1}, word-level short {word_short:.1}"
        );
        assert!(
            word_short * 2.0 < word_official,
            "{word_short} vs {word_official}"
        );
        assert!(
            word_short * 2.5 < bpe_official,
            "{word_short} vs {bpe_official}"
        );
        assert!(
            word_official < bpe_official,
            "{word_official} vs {bpe_official}"
        );
    }
}
