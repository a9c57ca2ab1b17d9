//! The official UFT prompt template (TinyZero style), spec `uft-paper.md` §5.2.
//!
//! Every task uses the same frame around a task-specific `<TASK TEXT>` and
//! `<EXAMPLE>`; the strings below are copied byte for byte from the official
//! data files (`liumy2010/UFT:data/*`) and pinned by tests against them.
//! Note the trailing space after `<think>`: the hint is appended right after it.

/// Everything before the task text.
pub const PROMPT_PREFIX: &str = "A conversation between User and Assistant. The user asks a question, \
and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and \
then provides the user with the answer.\nUser: ";

/// Between the task text and the example answer.
pub const PROMPT_INSTRUCTION: &str = " Show your work in <think> </think> tags. And return the final \
answer in <answer> </answer> tags, for example ";

/// Everything after the example answer (ends with `<think> `, trailing space included).
pub const PROMPT_SUFFIX: &str = ".\nAssistant: Let me solve this step by step.\n<think> ";

/// `<EXAMPLE>` for Countdown.
pub const COUNTDOWN_EXAMPLE: &str = "<answer> (1 + 2) / 3 </answer>";
/// `<EXAMPLE>` for Knights and Knaves.
pub const LOGIC_EXAMPLE: &str =
    "<answer> (1) Zoey is a knight\n(2) Oliver is a knight\n(3)... </answer>";
/// `<EXAMPLE>` for MATH and all "others" (GSM8k, AIME, ...).
pub const MATH_EXAMPLE: &str = "<answer> 12 </answer>";

/// Opening sentences of every Knights-and-Knaves task text (knight/knave wording only).
pub const LOGIC_INTRO: &str = "A very special island is inhabited only by knights and knaves. \
Knights always tell the truth, and knaves always lie. ";
/// Closing question of every Knights-and-Knaves task text.
pub const LOGIC_OUTRO: &str = "So who is a knight and who is a knave?";

/// The frame of a generated prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Template {
    /// The official frame above, byte for byte.
    #[default]
    Official,
    /// `User: <task's first sentence>\nAssistant: <think> ` — a declared deviation for
    /// from-scratch models at CPU scale, whose sequences the official frame's fixed 100 tokens
    /// would otherwise dominate (README). It keeps what the official reward reads: the
    /// `Assistant:` marker and the answer tags that the response writes.
    Short,
}

/// Everything before the task sentence in the short frame.
pub const SHORT_PREFIX: &str = "User: ";
/// Everything after it (ends with `<think> `, as the official frame does).
pub const SHORT_SUFFIX: &str = "\nAssistant: <think> ";

/// A Countdown question in `template`.
pub fn countdown_question(numbers: &[i64], target: i64, template: Template) -> String {
    match template {
        Template::Official => {
            render_question(&countdown_task_text(numbers, target), COUNTDOWN_EXAMPLE)
        }
        Template::Short => {
            let text = countdown_task_text(numbers, target);
            let sentence = &text[..=text.find('.').expect("the task text has a sentence")];
            format!("{SHORT_PREFIX}{sentence}{SHORT_SUFFIX}")
        }
    }
}

/// Renders the full `question` (= `prompt`) text around `task_text` and `example_answer`.
pub fn render_question(task_text: &str, example_answer: &str) -> String {
    let mut q = String::with_capacity(
        PROMPT_PREFIX.len()
            + task_text.len()
            + PROMPT_INSTRUCTION.len()
            + example_answer.len()
            + PROMPT_SUFFIX.len(),
    );
    q.push_str(PROMPT_PREFIX);
    q.push_str(task_text);
    q.push_str(PROMPT_INSTRUCTION);
    q.push_str(example_answer);
    q.push_str(PROMPT_SUFFIX);
    q
}

/// Renders the `answer` field: `"".join(hint) + " </think>\n<answer> " + final + " </answer>"`.
pub fn render_answer(hint: &[String], final_answer: &str) -> String {
    format!(
        "{} </think>\n<answer> {final_answer} </answer>",
        hint.concat()
    )
}

/// Countdown task text, e.g. `Using the numbers [44, 19, 35], create an equation that equals 98. ...`.
/// The numbers are printed as a Python list, in the given order.
pub fn countdown_task_text(numbers: &[i64], target: i64) -> String {
    let list: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
    format!(
        "Using the numbers [{}], create an equation that equals {target}. You can use basic arithmetic \
operations (+, -, *, /) and each number can only be used once.",
        list.join(", ")
    )
}

/// Knights-and-Knaves task text from the inhabitants' names and their already rendered
/// statement sentences (one per inhabitant, in the order they are told, e.g.
/// `Michael was heard saying, "Ethan is a knight if and only if Michael is a knight".`).
/// Follows `lib_kk.KKProblemFormatter.format_problem` (AlphaPav/mem-kk-logic) with the
/// default knight/knave wording. Needs at least two names, as the official one does.
pub fn logic_task_text<S: AsRef<str>>(names: &[S], statement_sentences: &[String]) -> String {
    assert!(
        names.len() >= 2,
        "the official format lists at least two inhabitants"
    );
    let names: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
    let (last, init) = names.split_last().expect("non-empty");
    let mut text = format!(
        "{LOGIC_INTRO}You meet {} inhabitants: {}, and {last}.",
        names.len(),
        init.join(", ")
    );
    for sentence in statement_sentences {
        text.push(' ');
        text.push_str(sentence);
    }
    text.push(' ');
    text.push_str(LOGIC_OUTRO);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// First row of the official Countdown training file, copied verbatim.
    const OFFICIAL_COUNTDOWN_Q: &str = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer.\nUser: Using the numbers [44, 19, 35], create an equation that equals 98. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.\nAssistant: Let me solve this step by step.\n<think> ";

    /// First row of the official K&K training file, copied verbatim.
    const OFFICIAL_LOGIC_Q: &str = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer.\nUser: A very special island is inhabited only by knights and knaves. Knights always tell the truth, and knaves always lie. You meet 3 inhabitants: Michael, Zoey, and Ethan. Michael was heard saying, \"Ethan is a knight if and only if Michael is a knight\". \"Zoey is a knight or Ethan is a knight,\" Zoey mentioned. Ethan asserted: \"Michael is a knave if and only if Zoey is a knave\". So who is a knight and who is a knave? Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1) Zoey is a knight\n(2) Oliver is a knight\n(3)... </answer>.\nAssistant: Let me solve this step by step.\n<think> ";

    #[test]
    fn countdown_prompt_matches_official_row() {
        let q = render_question(&countdown_task_text(&[44, 19, 35], 98), COUNTDOWN_EXAMPLE);
        assert_eq!(q, OFFICIAL_COUNTDOWN_Q);
        assert!(q.ends_with("<think> "));
    }

    #[test]
    fn the_short_countdown_frame_keeps_the_task_sentence_and_the_assistant_marker() {
        assert_eq!(
            countdown_question(&[44, 19, 35], 98, Template::Short),
            "User: Using the numbers [44, 19, 35], create an equation that equals 98.\nAssistant: <think> "
        );
        assert_eq!(
            countdown_question(&[44, 19, 35], 98, Template::Official),
            OFFICIAL_COUNTDOWN_Q
        );
    }

    #[test]
    fn logic_prompt_matches_official_row() {
        let sentences = vec![
            "Michael was heard saying, \"Ethan is a knight if and only if Michael is a knight\"."
                .to_string(),
            "\"Zoey is a knight or Ethan is a knight,\" Zoey mentioned.".to_string(),
            "Ethan asserted: \"Michael is a knave if and only if Zoey is a knave\".".to_string(),
        ];
        let text = logic_task_text(&["Michael", "Zoey", "Ethan"], &sentences);
        assert_eq!(render_question(&text, LOGIC_EXAMPLE), OFFICIAL_LOGIC_Q);
    }

    #[test]
    fn answer_format() {
        let hint = vec![
            "19 + 35 = 54\n".to_string(),
            "Therefore, the final equation is 44 + (19 + 35)".to_string(),
        ];
        assert_eq!(
            render_answer(&hint, "44 + (19 + 35)"),
            "19 + 35 = 54\nTherefore, the final equation is 44 + (19 + 35) </think>\n<answer> 44 + (19 + 35) </answer>"
        );
    }

    /// Every official Countdown, MATH and "others" row is reproduced from its ground truth / problem.
    #[test]
    fn official_countdown_and_math_prompts() {
        for file in ["uft/countdown_train", "uft/countdown_test", "uft/math_test"] {
            let Some(rows) = crate::tasks::official_rows(file) else {
                continue;
            };
            let (mut total, mut matched) = (0usize, 0usize);
            for row in &rows {
                let question = row["question"].as_str().expect("question");
                assert_eq!(row["prompt"].as_str(), Some(question));
                let expected = if row["data_source"] == "countdown" {
                    let gt = &row["ground_truth"];
                    let numbers: Vec<i64> = gt["numbers"]
                        .as_array()
                        .expect("numbers")
                        .iter()
                        .map(|v| v.as_i64().unwrap())
                        .collect();
                    render_question(
                        &countdown_task_text(&numbers, gt["target"].as_i64().unwrap()),
                        COUNTDOWN_EXAMPLE,
                    )
                } else {
                    // MATH: the task text is the problem itself; recover it from the frame.
                    let body = &question[PROMPT_PREFIX.len()..question.len() - PROMPT_SUFFIX.len()];
                    let problem = body
                        .strip_suffix(MATH_EXAMPLE)
                        .and_then(|b| b.strip_suffix(PROMPT_INSTRUCTION));
                    render_question(problem.expect("MATH frame"), MATH_EXAMPLE)
                };
                total += 1;
                matched += usize::from(expected == question);
            }
            println!("{file}: {matched}/{total} prompts reproduced exactly");
            assert_eq!(matched, total, "{file}");
        }
    }
}
