//! Reward verifiers: pure, deterministic functions that reproduce the official Python reward
//! functions (spec `uft-paper.md` §5.3, §5.4, §8). Each scorer returns a
//! [`Reward`](crate::tasks::reward::Reward) at one of the official levels 1.0 / 0.1 / 0,
//! with the [`Rule`](crate::tasks::reward::Rule) that decided it.
//!
//! | scorer | official source | scored text |
//! |---|---|---|
//! | [`countdown::score`] | `liumy2010/UFT:verl/utils/reward_score/countdown.py` | prompt + hint + response |
//! | [`logic::score`] | `…/kk_logic.py` | prompt + hint + response |
//! | [`hendrycks::score_math`] | `…/math.py` (lm-eval Hendrycks `is_equiv`) | prompt + hint + response |
//! | [`hendrycks::score_numeric`] | `…/gsm8k.py` | prompt + hint + response |
//! | [`boxed::score`] | LUFFY-style `\boxed{}` + math equivalence (our own checker) | response |
//! | [`choice::score`] | multiple-choice letter (our own rules) | response |
//!
//! The UFT scorers look for the answer after the first `"Assistant:"`, which in UFT is part
//! of the prompt: pass them the decoded prompt + hint + response, as verl's `RewardManager`
//! does (`tokenizer.decode(prompt_ids + response_ids)`, special tokens kept; see
//! [`extract`]). [`Scorer::for_data_source`] routes the official `data_source` names.
//!
//! Hostile input is safe: nothing here panics, recurses without bound, or takes more than
//! (near-)linear time — random bytes, 1 MB lines, 100k nested parentheses and 1000-digit
//! numbers are in the tests.
//!
//! Helper modules: [`py`] (Python built-in string semantics), [`pyfloat`] (CPython float
//! arithmetic), [`rational`] (exact i128 rationals), [`arith`] (Python-`eval` emulation for
//! Countdown), [`latex_value`] and [`equiv`] (boxed-answer equivalence).

pub mod arith;
pub mod boxed;
pub mod choice;
pub mod countdown;
pub mod equiv;
pub mod extract;
pub mod hendrycks;
pub mod latex_value;
pub mod logic;
pub mod py;
pub mod pyfloat;
pub mod rational;

/// The UFT reward function a `data_source` is scored with (`liumy2010/UFT:
/// verl/trainer/main_ppo.py`, `_select_rm_score_fn`, spec §5.3).
///
/// The official code tests `"countdown" in data_source` and `"kk_logic" in data_source`
/// (substrings); we match the exact names, which are the only ones in the official files.
/// Its `multiply` / `arithmetic` scorer is not used by any UFT task and is not provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scorer {
    /// [`countdown::score`].
    Countdown,
    /// [`logic::score`].
    Logic,
    /// [`hendrycks::score_math`].
    Math,
    /// [`hendrycks::score_numeric`].
    Numeric,
}

impl Scorer {
    /// The scorer for an official `data_source` name (exact match), or `None` for a name
    /// the official routing does not know.
    pub fn for_data_source(data_source: &str) -> Option<Scorer> {
        match data_source {
            "countdown" => Some(Scorer::Countdown),
            "kk_logic" => Some(Scorer::Logic),
            "openai/gsm8k" | "aime" | "amc" => Some(Scorer::Numeric),
            "DigitalLearningGmbH/MATH-lighteval"
            | "math500"
            | "minerva"
            | "olympiad_bench"
            | "cais/hle" => Some(Scorer::Math),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_the_official_names() {
        assert_eq!(Scorer::for_data_source("aime"), Some(Scorer::Numeric));
        assert_eq!(
            Scorer::for_data_source("openai/gsm8k"),
            Some(Scorer::Numeric)
        );
        assert_eq!(Scorer::for_data_source("minerva"), Some(Scorer::Math));
        assert_eq!(
            Scorer::for_data_source("DigitalLearningGmbH/MATH-lighteval"),
            Some(Scorer::Math)
        );
        assert_eq!(
            Scorer::for_data_source("countdown"),
            Some(Scorer::Countdown)
        );
        assert_eq!(Scorer::for_data_source("kk_logic"), Some(Scorer::Logic));
        assert_eq!(Scorer::for_data_source("gsm8k"), None);
    }
}
