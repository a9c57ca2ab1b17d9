//! A Hugging Face `tokenizer.json` (and `tokenizer_config.json`) rebuilt from a GGUF file's
//! `tokenizer.ggml.*` metadata, for byte-level BPE vocabularies (`tokenizer.ggml.model` =
//! "gpt2", which llama.cpp writes for GPT-2, SmolLM, Llama-3, Qwen2 and most BPE models).
//!
//! What the file holds (llama.cpp `gguf-py/gguf/constants.py`, `Keys.Tokenizer`):
//! `tokens` (strings, already in the GPT-2 byte-to-unicode spelling, `Ġ` for a space), `merges`
//! ("a b" strings, best first), `token_type` (1 normal, 2 unknown, 3 control, 4 user-defined,
//! 5 unused, 6 byte: `llama_token_type`), the bos/eos/unknown/padding ids, and `pre`, the name
//! llama.cpp gives the pre-tokenizer (its split regexes are in `src/llama-vocab.cpp`).
//!
//! Control tokens become special added tokens and user-defined ones plain added tokens, as
//! transformers' own GGUF loader does (`integrations/gguf/gguf_tokenizer_mapping.py`).

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value as Json, json};
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, SplitDelimiterBehavior};

use super::{GgufFile, Value};

/// `llama_token_type::LLAMA_TOKEN_TYPE_CONTROL`.
const CONTROL: i64 = 3;
/// `llama_token_type::LLAMA_TOKEN_TYPE_USER_DEFINED`.
const USER_DEFINED: i64 = 4;

/// The split regex of Llama-3 (`LLAMA_VOCAB_PRE_TYPE_LLAMA3` in llama-vocab.cpp; the same as
/// the `Split` pre-tokenizer of Llama-3's own tokenizer.json).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// The split regex of Qwen2 (`LLAMA_VOCAB_PRE_TYPE_QWEN2`).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The rebuilt tokenizer and the `tokenizer_config.json` that goes with it.
pub struct Rebuilt {
    pub tokenizer: tokenizers::Tokenizer,
    pub config: Json,
}

/// Rebuilds the tokenizer described by `file`'s metadata.
pub fn rebuild(file: &GgufFile, model_max_length: usize) -> Result<Rebuilt> {
    let model = file.string("tokenizer.ggml.model")?;
    if model != "gpt2" {
        bail!(
            "tokenizer.ggml.model is \"{model}\"; only byte-level BPE (\"gpt2\") vocabularies \
             can be rebuilt"
        );
    }
    let tokens = strings(file, "tokenizer.ggml.tokens")?;
    let merges = strings(file, "tokenizer.ggml.merges")?;
    let types = token_types(file, tokens.len())?;

    let mut vocab = Vocab::default();
    for (id, token) in tokens.iter().enumerate() {
        if vocab.insert(token.to_string(), id as u32).is_some() {
            bail!("tokenizer.ggml.tokens lists `{token}` twice (the second time as id {id})");
        }
    }
    let merges = merges
        .iter()
        .map(|merge| {
            merge
                .split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .with_context(|| format!("tokenizer.ggml.merges holds `{merge}`, not \"a b\""))
        })
        .collect::<Result<Vec<_>>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| anyhow!("cannot build the BPE model: {e}"))?;

    let mut tokenizer = tokenizers::Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(pre_tokenizer(
        file.optional_string("tokenizer.ggml.pre")?,
    )?));
    tokenizer.with_decoder(Some(ByteLevel::default()));

    let id_of = |key: &str| -> Result<Option<(u32, &str)>> {
        match file.optional_u64(key)? {
            None => Ok(None),
            Some(id) => {
                let token = tokens.get(id as usize).with_context(|| {
                    format!(
                        "metadata `{key}` = {id} is past the vocabulary ({} tokens)",
                        tokens.len()
                    )
                })?;
                Ok(Some((id as u32, *token)))
            }
        }
    };
    let bos = id_of("tokenizer.ggml.bos_token_id")?;
    let eos = id_of("tokenizer.ggml.eos_token_id")?;
    let unk = id_of("tokenizer.ggml.unknown_token_id")?;
    let pad = id_of("tokenizer.ggml.padding_token_id")?;
    let add_bos = optional_bool(file, "tokenizer.ggml.add_bos_token")?;
    let add_eos = optional_bool(file, "tokenizer.ggml.add_eos_token")?;
    tokenizer.with_post_processor(Some(post_processor(
        bos.filter(|_| add_bos == Some(true)),
        eos.filter(|_| add_eos == Some(true)),
    )?));

    // Control tokens are special; user-defined ones are matched whole but are not special.
    let mut added = Vec::new();
    for (id, (token, kind)) in tokens.iter().zip(&types).enumerate() {
        let special = match *kind {
            CONTROL => true,
            USER_DEFINED => false,
            _ => continue,
        };
        added.push((
            id,
            special,
            AddedToken::from(token.to_string(), special).normalized(false),
        ));
    }
    let special: Vec<AddedToken> = added.iter().filter(|a| a.1).map(|a| a.2.clone()).collect();
    let plain: Vec<AddedToken> = added.iter().filter(|a| !a.1).map(|a| a.2.clone()).collect();
    tokenizer
        .add_special_tokens(special)
        .map_err(|e| anyhow!("cannot add the control tokens: {e}"))?;
    tokenizer
        .add_tokens(plain)
        .map_err(|e| anyhow!("cannot add the user-defined tokens: {e}"))?;
    if tokenizer.get_vocab_size(true) != tokens.len() {
        bail!(
            "the rebuilt tokenizer has {} tokens, the file lists {}",
            tokenizer.get_vocab_size(true),
            tokens.len()
        );
    }

    let mut decoder = Map::new();
    for (id, special, token) in &added {
        decoder.insert(
            id.to_string(),
            json!({"content": token.content, "lstrip": false, "normalized": false,
                   "rstrip": false, "single_word": false, "special": special}),
        );
    }
    let name = |t: Option<(u32, &str)>| t.map_or(Json::Null, |(_, s)| json!(s));
    let mut config = json!({
        "add_prefix_space": false,
        "added_tokens_decoder": decoder,
        "bos_token": name(bos),
        "eos_token": name(eos),
        "pad_token": name(pad),
        "unk_token": name(unk),
        "clean_up_tokenization_spaces": false,
        "model_max_length": model_max_length,
        "tokenizer_class": "GPT2Tokenizer",
    });
    let object = config.as_object_mut().expect("a JSON object literal");
    if let Some(add_bos) = add_bos {
        object.insert("add_bos_token".into(), json!(add_bos));
    }
    if let Some(add_eos) = add_eos {
        object.insert("add_eos_token".into(), json!(add_eos));
    }
    let specials: Vec<&str> = added
        .iter()
        .filter(|a| a.1)
        .map(|a| a.2.content.as_str())
        .collect();
    object.insert("additional_special_tokens".into(), json!(specials));
    if let Some(template) = file.optional_string("tokenizer.chat_template")? {
        object.insert("chat_template".into(), json!(template));
    }
    Ok(Rebuilt { tokenizer, config })
}

/// The pre-tokenizer llama.cpp applies for `pre` (`llama_vocab::impl::load`, the
/// `regex_exprs` of each `LLAMA_VOCAB_PRE_TYPE_*`), as Hugging Face pre-tokenizers:
///
/// - "smollm" (also "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva"): each
///   digit alone (`\p{N}`), then the GPT-2 regex — SmolLM2's own tokenizer.json spells this as
///   `Sequence[Digits(individual_digits), ByteLevel(use_regex)]`;
/// - "gpt2", "default", "mpt", "olmo", "jais" or no `pre`: the GPT-2 regex (`ByteLevel`);
/// - "llama-bpe"/"llama3", "qwen2": their split regex, then `ByteLevel` without its regex.
fn pre_tokenizer(pre: Option<&str>) -> Result<PreTokenizerWrapper> {
    let byte_level = |use_regex| ByteLevel::new(false, true, use_regex);
    let split = |regex: &str| -> Result<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(regex.into()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| anyhow!("cannot compile the split regex: {e}"))?;
        Ok(Sequence::new(vec![split.into(), byte_level(false).into()]).into())
    };
    match pre.unwrap_or("default") {
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva" => {
            Ok(Sequence::new(vec![Digits::new(true).into(), byte_level(true).into()]).into())
        }
        "default" | "gpt2" | "gpt-2" | "mpt" | "olmo" | "jais" => Ok(byte_level(true).into()),
        "llama-bpe" | "llama3" | "llama-v3" | "smaug-bpe" | "falcon3" => split(LLAMA3_SPLIT),
        "qwen2" | "deepseek-r1-qwen" => split(QWEN2_SPLIT),
        other => bail!(
            "tokenizer.ggml.pre \"{other}\" is not one the importer can reproduce (smollm, \
             gpt2, llama-bpe, qwen2 and their aliases are)"
        ),
    }
}

/// Byte-level offsets, with bos/eos added around each sequence when the file asks for them
/// (`tokenizer.ggml.add_bos_token`, as Llama-3's tokenizer.json does with a template).
fn post_processor(
    bos: Option<(u32, &str)>,
    eos: Option<(u32, &str)>,
) -> Result<PostProcessorWrapper> {
    let byte_level = ByteLevel::new(true, false, true);
    if bos.is_none() && eos.is_none() {
        return Ok(byte_level.into());
    }
    let mut specials = Vec::new();
    let mut single = Vec::new();
    let mut pair = Vec::new();
    if let Some((id, token)) = bos {
        specials.push((token.to_string(), id));
        single.push(token.to_string());
        pair.push(token.to_string());
    }
    single.push("$A".to_string());
    pair.push("$A".to_string());
    if let Some((id, token)) = eos {
        specials.push((token.to_string(), id));
        single.push(token.to_string());
        pair.push(token.to_string());
    }
    if let Some((_, token)) = bos {
        pair.push(format!("{token}:1"));
    }
    pair.push("$B:1".to_string());
    if let Some((_, token)) = eos {
        pair.push(format!("{token}:1"));
    }
    let template = TemplateProcessing::builder()
        .try_single(single)
        .map_err(|e| anyhow!("bad template: {e}"))?
        .try_pair(pair)
        .map_err(|e| anyhow!("bad template: {e}"))?
        .special_tokens(specials)
        .build()
        .map_err(|e| anyhow!("cannot build the template: {e}"))?;
    Ok(
        tokenizers::processors::sequence::Sequence::new(vec![byte_level.into(), template.into()])
            .into(),
    )
}

/// A metadata array of strings.
fn strings<'a>(file: &'a GgufFile, key: &str) -> Result<Vec<&'a str>> {
    file.optional_array(key)?
        .with_context(|| format!("{} has no metadata key `{key}`", file.path.display()))?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .with_context(|| format!("`{key}`[{i}] is {v} ({}), not a string", v.type_name()))
        })
        .collect()
}

/// `tokenizer.ggml.token_type`, one per token (all normal when absent).
fn token_types(file: &GgufFile, n_tokens: usize) -> Result<Vec<i64>> {
    let key = "tokenizer.ggml.token_type";
    let Some(types) = file.optional_array(key)? else {
        return Ok(vec![1; n_tokens]);
    };
    if types.len() != n_tokens {
        bail!("`{key}` has {} entries for {n_tokens} tokens", types.len());
    }
    types
        .iter()
        .map(|v: &Value| {
            v.as_i64()
                .with_context(|| format!("`{key}` holds {v}, not an integer"))
        })
        .collect()
}

fn optional_bool(file: &GgufFile, key: &str) -> Result<Option<bool>> {
    file.metadata
        .get(key)
        .map(|v| {
            v.as_bool()
                .with_context(|| format!("metadata `{key}` must be a bool, found {v}"))
        })
        .transpose()
}

#[cfg(test)]
#[path = "tokenizer_tests.rs"]
mod tests;
