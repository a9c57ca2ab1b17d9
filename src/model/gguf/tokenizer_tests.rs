//! The rebuilt tokenizer on a vocabulary small enough to work out by hand.

use std::path::Path;

use super::*;
use crate::model::gguf::testing::{TestTensor, gguf_bytes, strings as string_array};

const TOKENS: [&str; 14] = [
    "<|endoftext|>",
    "<|im_start|>",
    "<think>",
    "h",
    "e",
    "l",
    "o",
    "Ġ",
    "1",
    "2",
    "he",
    "ll",
    "hello",
    "12",
];
const MERGES: [&str; 4] = ["h e", "l l", "he llo", "1 2"];

fn file(pre: &str, extra: Vec<(&'static str, Value)>) -> GgufFile {
    let mut tokens = TOKENS.to_vec();
    tokens.push("llo");
    let mut merges = MERGES.to_vec();
    merges.insert(2, "ll o");
    let mut types = vec![Value::I32(1); tokens.len()];
    types[0] = Value::I32(3);
    types[1] = Value::I32(3);
    types[2] = Value::I32(4);
    let mut metadata = vec![
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String(pre.into())),
        ("tokenizer.ggml.tokens", string_array(&tokens)),
        ("tokenizer.ggml.merges", string_array(&merges)),
        ("tokenizer.ggml.token_type", Value::Array(types)),
        ("tokenizer.ggml.bos_token_id", Value::U32(1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(0)),
        (
            "tokenizer.chat_template",
            Value::String("{{ messages }}".into()),
        ),
    ];
    metadata.extend(extra);
    let embedding = TestTensor::f32("token_embd.weight", &[1, 1], &[0.0]);
    GgufFile::parse(Path::new("t.gguf"), gguf_bytes(&metadata, &[embedding], 32)).unwrap()
}

fn ids(rebuilt: &Rebuilt, text: &str) -> Vec<u32> {
    rebuilt
        .tokenizer
        .encode(text, false)
        .unwrap()
        .get_ids()
        .to_vec()
}

#[test]
fn smollm_splits_digits_before_merging() {
    let rebuilt = rebuild(&file("smollm", vec![]), 64).unwrap();
    // "hello" merges whole (h e → he, l l → ll, ll o → llo, he llo → hello); the space is Ġ;
    // the digits stay apart although "1 2" is a merge.
    assert_eq!(ids(&rebuilt, "hello 12"), vec![12, 7, 8, 9]);
    // Control and user-defined tokens are matched whole.
    assert_eq!(ids(&rebuilt, "<|im_start|>he<think>"), vec![1, 10, 2]);
    let decoded = rebuilt.tokenizer.decode(&[1, 12, 7, 8, 9], true).unwrap();
    assert_eq!(
        decoded, "hello 12",
        "the special token is dropped, Ġ is a space"
    );
}

#[test]
fn gpt2_keeps_a_number_in_one_piece() {
    let rebuilt = rebuild(&file("gpt2", vec![]), 64).unwrap();
    assert_eq!(ids(&rebuilt, "hello 12"), vec![12, 7, 13]);
}

#[test]
fn tokenizer_config_names_the_special_tokens_and_template() {
    let rebuilt = rebuild(&file("smollm", vec![]), 64).unwrap();
    let config = &rebuilt.config;
    assert_eq!(config["bos_token"], "<|im_start|>");
    assert_eq!(config["eos_token"], "<|endoftext|>");
    assert_eq!(config["pad_token"], Json::Null);
    assert_eq!(config["chat_template"], "{{ messages }}");
    assert_eq!(config["model_max_length"], 64);
    assert_eq!(config["added_tokens_decoder"]["1"]["special"], true);
    assert_eq!(config["added_tokens_decoder"]["2"]["special"], false);
    assert_eq!(
        config["additional_special_tokens"],
        json!(["<|endoftext|>", "<|im_start|>"])
    );
    // The saved JSON loads back through the tokenizers crate and tokenizes the same.
    let text = rebuilt.tokenizer.to_string(false).unwrap();
    let reloaded: tokenizers::Tokenizer = text.parse().unwrap();
    assert_eq!(
        reloaded.encode("hello 12", false).unwrap().get_ids(),
        &[12, 7, 8, 9]
    );
}

#[test]
fn add_bos_token_prepends_bos_with_special_tokens_on() {
    let rebuilt = rebuild(
        &file(
            "smollm",
            vec![("tokenizer.ggml.add_bos_token", Value::Bool(true))],
        ),
        64,
    )
    .unwrap();
    let with = rebuilt.tokenizer.encode("he", true).unwrap();
    assert_eq!(with.get_ids(), &[1, 10]);
    assert_eq!(
        ids(&rebuilt, "he"),
        vec![10],
        "repro encodes prompts without specials"
    );
}

#[test]
fn unsupported_tokenizers_are_refused() {
    let error = |f: GgufFile| format!("{:#}", rebuild(&f, 64).err().unwrap());
    assert!(error(file("exotic", vec![])).contains("\"exotic\" is not one"));
    let bad_bos = file(
        "gpt2",
        vec![("tokenizer.ggml.padding_token_id", Value::U32(99))],
    );
    assert!(error(bad_bos).contains("past the vocabulary"));
    let mut sentencepiece = file("gpt2", vec![]);
    sentencepiece
        .metadata
        .insert("tokenizer.ggml.model".into(), Value::String("llama".into()));
    assert!(error(sentencepiece).contains("only byte-level BPE"));
}
