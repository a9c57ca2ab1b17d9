//! Names and orders: repro's preset, method and benchmark names against the paper's, and the
//! order rows and columns appear in (models by parameter count, methods as in Table 2).

use crate::model::presets;
use crate::reported::TABLE2_BENCHMARKS;

/// The §8 suite's benchmarks, in its table's order (specification §8).
pub const SUITE_BENCHMARKS: [&str; 9] = [
    "aime24", "aime25", "amc", "math500", "minerva", "olympiad", "arc_c", "gpqa", "mmlu_pro",
];

/// The suite's in-distribution (math) benchmarks; the rest are out-of-distribution.
pub const SUITE_ID: [&str; 6] = ["aime24", "aime25", "amc", "math500", "minerva", "olympiad"];

/// Benchmarks that only the §8 suite has: a cell carrying one of them is a §8 result.
pub const SUITE_ONLY: [&str; 4] = ["aime25", "arc_c", "gpqa", "mmlu_pro"];

/// Methods in Table 2's row order, then the ablations the paper discusses in the text.
const METHOD_ORDER: [&str; 8] = [
    "base",
    "sft",
    "rft",
    "sft_rft",
    "r3",
    "uft",
    "stage",
    "rft_cosine",
];

/// The paper's name of a model preset (`qwen2.5-0.5b` → `Qwen2.5-0.5B`), or `None` for the
/// models the paper does not have (the tiny CPU ladder).
pub fn paper_model(preset: &str) -> Option<&'static str> {
    match preset {
        "qwen2.5-0.5b" => Some("Qwen2.5-0.5B"),
        "qwen2.5-1.5b" => Some("Qwen2.5-1.5B"),
        "qwen2.5-3b" => Some("Qwen2.5-3B"),
        "llama-3.2-1b" => Some("Llama-3.2-1B"),
        "llama-3.2-3b" => Some("Llama-3.2-3B"),
        "qwen2.5-math-7b" => Some("Qwen2.5-Math-7B"),
        _ => None,
    }
}

/// How a model is printed: the paper's name when it has one, else the preset name.
pub fn model_label(preset: &str) -> String {
    paper_model(preset).map_or_else(|| preset.to_string(), str::to_string)
}

/// The paper's name of a method (Table 2's "Algorithm" column), or `None` for ablations Table 2
/// does not list.
pub fn paper_method(method: &str) -> Option<&'static str> {
    match method {
        "base" => Some("Base"),
        "sft" => Some("SFT"),
        "rft" => Some("RFT"),
        "sft_rft" => Some("SFT-RFT"),
        "r3" => Some("R3"),
        "uft" => Some("UFT"),
        _ => None,
    }
}

/// How a method is printed.
pub fn method_label(method: &str) -> String {
    match method {
        "stage" => "Stage".into(),
        "rft_cosine" => "RFT (cosine)".into(),
        other => paper_method(other).map_or_else(|| other.to_string(), str::to_string),
    }
}

/// The §8 table's row for a method: the same method under that table's name (GRPO is the RFT
/// of that setting).
pub fn suite_method(method: &str) -> Option<&'static str> {
    match method {
        "sft" => Some("SFT"),
        "rft" => Some("GRPO"),
        "uft" => Some("UFT"),
        _ => None,
    }
}

/// How a benchmark column is headed.
pub fn benchmark_label(benchmark: &str) -> String {
    match benchmark {
        "math345" => "MATH(3,4,5)",
        "aime24" => "AIME24",
        "aime25" => "AIME25",
        "amc" => "AMC",
        "countdown" => "Countdown",
        "logic" => "Logic",
        "math500" => "MATH500",
        "minerva" => "Minerva",
        "olympiad" => "Olympiad",
        "gsm8k" => "GSM8k",
        "arc_c" => "ARC-c",
        "gpqa" => "GPQA",
        "mmlu_pro" => "MMLU-Pro",
        other => other,
    }
    .to_string()
}

/// The benchmark a training task's own test split is reported under: `math` is Table 2's
/// MATH(3,4,5) column; the other tasks share their benchmark's name.
pub fn task_benchmark(task: &str) -> String {
    match task {
        "math" => "math345".into(),
        other => other.into(),
    }
}

/// A model's parameter count, when it is a preset.
pub fn model_size(preset: &str) -> Option<usize> {
    presets::by_name(preset).ok().map(|c| c.num_parameters())
}

/// Sort key of a model: family in the order `presets::NAMES` lists them (tiny, Qwen2.5,
/// Llama-3.2, as Table 2 groups its rows), then parameter count; unknown names last.
pub fn model_key(preset: &str) -> (usize, usize, String) {
    let family = |name: &str| name.split('-').next().unwrap_or_default().to_string();
    let rank = presets::NAMES
        .iter()
        .position(|n| family(n) == family(preset))
        .unwrap_or(presets::NAMES.len());
    let size = model_size(preset).unwrap_or(usize::MAX);
    (rank, size, preset.to_string())
}

/// Sort key of a method: Table 2's order, then the others alphabetically.
pub fn method_key(method: &str) -> (usize, String) {
    let rank = METHOD_ORDER.iter().position(|m| *m == method);
    (rank.unwrap_or(METHOD_ORDER.len()), method.to_string())
}

/// Sort key of a benchmark: Table 2's columns, then the suite's, then the others alphabetically.
pub fn benchmark_key(benchmark: &str) -> (usize, String) {
    let table2 = TABLE2_BENCHMARKS.iter().position(|(b, _)| *b == benchmark);
    let suite = SUITE_BENCHMARKS.iter().position(|b| *b == benchmark);
    let rank = table2.or(suite.map(|i| TABLE2_BENCHMARKS.len() + i));
    let others = TABLE2_BENCHMARKS.len() + SUITE_BENCHMARKS.len();
    (rank.unwrap_or(others), benchmark.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_sort_by_size_and_methods_by_table_2() {
        let mut models = vec![
            "llama-3.2-3b",
            "qwen2.5-3b",
            "tiny-16m",
            "llama-3.2-1b",
            "qwen2.5-0.5b",
            "tiny-1m",
            "mystery",
        ];
        models.sort_by_key(|m| model_key(m));
        assert_eq!(
            models,
            [
                "tiny-1m",
                "tiny-16m",
                "qwen2.5-0.5b",
                "qwen2.5-3b",
                "llama-3.2-1b",
                "llama-3.2-3b",
                "mystery"
            ]
        );
        let mut methods = vec![
            "rft_cosine",
            "uft",
            "stage",
            "base",
            "sft_rft",
            "r3",
            "sft",
            "rft",
        ];
        methods.sort_by_key(|m| method_key(m));
        assert_eq!(
            methods,
            [
                "base",
                "sft",
                "rft",
                "sft_rft",
                "r3",
                "uft",
                "stage",
                "rft_cosine"
            ]
        );
    }
}
