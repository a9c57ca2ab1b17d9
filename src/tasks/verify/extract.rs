//! Answer extraction shared by the UFT scorers.
//!
//! The UFT reward functions are called on the decoded **prompt + hint + response** string
//! (spec §5.3), so the text always contains the prompt's `"Assistant:"` line; the response
//! proper starts after its first occurrence.
//!
//! * [`uft_answer`] follows `liumy2010/UFT:verl/utils/reward_score/utils.py`
//!   (`extract_solution`, used by Countdown, MATH and GSM8k): the text after the first
//!   `"Assistant:"` (else after the first `"<|im_start|>assistant"`), then only its **last
//!   line** (`split('\n')[-1]`), then the last `<answer>(.*?)</answer>` on that line,
//!   stripped of whitespace.
//! * [`logic_answer`] follows `kk_logic.py` (`extract_solution`): the same marker, but the
//!   last `<answer>(.*?)</answer>` anywhere in the rest of the text (`re.DOTALL`), stripped.

use super::py;
use crate::tasks::reward::Rule;

const ASSISTANT: &str = "Assistant:";
const IM_START_ASSISTANT: &str = "<|im_start|>assistant";
const OPEN: &str = "<answer>";
const CLOSE: &str = "</answer>";

/// The text after the first `"Assistant:"`, else after the first
/// `"<|im_start|>assistant"`; `None` when neither occurs.
pub fn after_assistant(text: &str) -> Option<&str> {
    if let Some(i) = text.find(ASSISTANT) {
        return Some(&text[i + ASSISTANT.len()..]);
    }
    text.find(IM_START_ASSISTANT)
        .map(|i| &text[i + IM_START_ASSISTANT.len()..])
}

/// The content of the last non-overlapping `<answer>…</answer>` pair, scanning left to
/// right with the shortest possible content, as Python's `re.finditer(r'<answer>(.*?)</answer>')`
/// does. The text is searched as given (callers pass one line for the non-DOTALL case:
/// `.` then never has a newline to refuse).
pub fn last_answer_tag(text: &str) -> Option<&str> {
    let mut last = None;
    let mut pos = 0;
    while let Some(open) = text[pos..].find(OPEN) {
        let content_start = pos + open + OPEN.len();
        match text[content_start..].find(CLOSE) {
            Some(close) => {
                last = Some(&text[content_start..content_start + close]);
                pos = content_start + close + CLOSE.len();
            }
            // No later `</answer>` exists, so no later `<answer>` can match either.
            None => break,
        }
    }
    last
}

/// The official UFT answer (`utils.extract_solution`), stripped; or the rule that fails.
pub fn uft_answer(text: &str) -> Result<&str, Rule> {
    let response = after_assistant(text).ok_or(Rule::NoAssistantMarker)?;
    let last_line = response.rsplit('\n').next().unwrap_or(response);
    last_answer_tag(last_line)
        .map(py::strip)
        .ok_or(Rule::NoAnswerTag)
}

/// The official Knights & Knaves answer (`kk_logic.extract_solution`), stripped; or the
/// rule that fails.
pub fn logic_answer(text: &str) -> Result<&str, Rule> {
    let response = after_assistant(text).ok_or(Rule::NoAssistantMarker)?;
    last_answer_tag(response)
        .map(py::strip)
        .ok_or(Rule::NoAnswerTag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_is_the_first_assistant() {
        assert_eq!(
            after_assistant("User: a\nAssistant: b Assistant: c"),
            Some(" b Assistant: c")
        );
        assert_eq!(after_assistant("<|im_start|>assistant\nx"), Some("\nx"));
        // "Assistant:" wins over an earlier im_start marker, as in the Python `if/elif`.
        assert_eq!(
            after_assistant("<|im_start|>assistant A Assistant: B"),
            Some(" B")
        );
        assert_eq!(after_assistant("assistant: lowercase"), None);
    }

    #[test]
    fn last_tag_is_non_overlapping_and_lazy() {
        assert_eq!(
            last_answer_tag("<answer> 1 </answer> x <answer>2</answer>"),
            Some("2")
        );
        assert_eq!(
            last_answer_tag("<answer>a<answer>b</answer>"),
            Some("a<answer>b")
        );
        assert_eq!(last_answer_tag("<answer>a</answer>b</answer>"), Some("a"));
        assert_eq!(last_answer_tag("<answer></answer>"), Some(""));
        assert_eq!(last_answer_tag("<answer>a</answer><answer>b"), Some("a"));
        assert_eq!(last_answer_tag("</answer><answer>"), None);
    }

    #[test]
    fn uft_answer_uses_only_the_last_line() {
        let text = "User: q\nAssistant: Let me solve this step by step.\n<think> x </think>\n<answer> 3 + 4 </answer>";
        assert_eq!(uft_answer(text), Ok("3 + 4"));
        // The answer spans two lines: the last line has no complete tag.
        let split = "Assistant: <think> </think>\n<answer> 3 +\n 4 </answer>";
        assert_eq!(uft_answer(split), Err(Rule::NoAnswerTag));
        // Text after the answer on a new line hides it.
        let trailing = "Assistant: <answer> 7 </answer>\n";
        assert_eq!(uft_answer(trailing), Err(Rule::NoAnswerTag));
        assert_eq!(
            uft_answer("no marker <answer>1</answer>"),
            Err(Rule::NoAssistantMarker)
        );
        assert_eq!(
            uft_answer("Assistant: <answer>\u{a0}\x1c 5 \t</answer>"),
            Ok("5")
        );
    }

    #[test]
    fn logic_answer_spans_lines() {
        let text = "Assistant: <think> </think>\n<answer> (1) A is a knight\n(2) B is a knave </answer>\nbye";
        assert_eq!(
            logic_answer(text),
            Ok("(1) A is a knight\n(2) B is a knave")
        );
        assert_eq!(logic_answer("Assistant: none"), Err(Rule::NoAnswerTag));
        assert_eq!(
            logic_answer("<answer>x</answer>"),
            Err(Rule::NoAssistantMarker)
        );
    }
}
