//! Knights-and-Knaves ("Logic") puzzles in the official UFT / Logic-RL format (spec §5.1–5.2).
//!
//! Follows the K&K benchmark generator (AlphaPav/mem-kk-logic `lib_kk.py`,
//! `KKProblemSampler` + `KKProblemFormatter` with random names and saying templates, default
//! knight/knave wording, no statement reordering), checked against the 5,000 official rows:
//! names are drawn without replacement from the 51 `COMMON_NAMES` (exactly the official
//! name pool), each claim is told with one of 18 templates chosen uniformly, statements are
//! listed in person order, and puzzles with zero or several solutions are rejected.
//! The number of inhabitants is uniform on 3–7 (official: 1,000 rows each).

use super::logic_hints::{hint_segments, solution_lines};
use super::logic_statements::{Statement, sample_statement, statements_to_python};
use super::{GeneratedExample, GroundTruth, example_rng};
use crate::tasks::prompt;
use rand::RngExt;

/// Stream separator for [`example_rng`] ("KKlogic!").
const DOMAIN: u64 = 0x4B4B_6C6F_6769_6321;

/// `lib_kk.COMMON_NAMES`, the 51 names found in the official data.
pub const NAMES: [&str; 51] = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Ethan",
    "Sophia",
    "Mason",
    "Isabella",
    "William",
    "Mia",
    "James",
    "Charlotte",
    "Benjamin",
    "Amelia",
    "Lucas",
    "Harper",
    "Henry",
    "Evelyn",
    "Alexander",
    "Abigail",
    "Michael",
    "Emily",
    "Daniel",
    "Elizabeth",
    "Jacob",
    "Sofia",
    "Logan",
    "Avery",
    "Jackson",
    "Ella",
    "Sebastian",
    "Scarlett",
    "Jack",
    "Grace",
    "Aiden",
    "Chloe",
    "Owen",
    "Victoria",
    "Samuel",
    "Riley",
    "Matthew",
    "Aria",
    "Joseph",
    "Lily",
    "Luke",
    "Aurora",
    "David",
    "Zoey",
    "Oliver",
    "Penelope",
];

/// `lib_kk.TEMPLATES`: how a claim is told (`{name}`, `{content}` placeholders). All 18 occur
/// in the official data with about equal frequency.
pub const SAYING_TEMPLATES: [&str; 18] = [
    "{name} said that {content}.",
    "{name} told you that {content}.",
    "{name} said, \"{content}.\"",
    "{name} stated, \"{content}\".",
    "According to {name}, \"{content}\".",
    "In {name}'s words: \"{content}\".",
    "{name} remarked, \"{content}\".",
    "\"{content},\" {name} declared.",
    "{name} was heard saying, \"{content}\".",
    "{name} expressed that {content}.",
    "\"{content}\" - {name}.",
    "As {name} put it, \"{content}\".",
    "{name} asserted: \"{content}\".",
    "\"{content},\" {name} mentioned.",
    "{name} commented, \"{content}\".",
    "In a statement by {name}: \"{content}\".",
    "{name} noted, \"{content}\".",
    "\"{content},\" {name} claimed.",
];

/// Options of the Logic generator; `Default` matches the official data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicOptions {
    /// Fewest inhabitants (official: 3); at least 2.
    pub min_people: usize,
    /// Most inhabitants (official: 7); at most 12.
    pub max_people: usize,
    /// Statement depth (official: 2 = one operator over assertions); 1 or 2 keeps the
    /// official natural-language forms.
    pub depth: usize,
    /// Operands of `and`/`or` (official: 2).
    pub width: usize,
    /// Draws per example before giving up (a panic).
    pub max_attempts: usize,
}

impl LogicOptions {
    /// The official settings with another range of inhabitants.
    pub fn with_people(min_people: usize, max_people: usize) -> Self {
        Self {
            min_people,
            max_people,
            ..Self::default()
        }
    }
}

impl Default for LogicOptions {
    fn default() -> Self {
        Self {
            min_people: 3,
            max_people: 7,
            depth: 2,
            width: 2,
            max_attempts: 1_000_000,
        }
    }
}

/// All satisfying assignments by brute force over the 2^n cases (`lib_kk.find_solution`):
/// a knight's claim is true, a knave's is false. `result[k][i]` is true for a knight.
pub fn solve_all(statements: &[Statement]) -> Vec<Vec<bool>> {
    let n = statements.len();
    assert!(n < 64, "brute force needs fewer than 64 people");
    (0..1u64 << n)
        .filter(|&mask| {
            statements
                .iter()
                .enumerate()
                .all(|(i, s)| s.eval(mask) == (mask >> i & 1 == 1))
        })
        .map(|mask| (0..n).map(|i| mask >> i & 1 == 1).collect())
        .collect()
}

/// Number of solutions, stopping at 2.
fn count_solutions_upto2(statements: &[Statement]) -> usize {
    let n = statements.len();
    (0..1u64 << n)
        .filter(|&mask| {
            statements
                .iter()
                .enumerate()
                .all(|(i, s)| s.eval(mask) == (mask >> i & 1 == 1))
        })
        .take(2)
        .count()
}

/// One told claim: `SAYING_TEMPLATES[template]` filled with the speaker and the claim text.
pub fn statement_sentence(template: usize, name: &str, content: &str) -> String {
    SAYING_TEMPLATES[template]
        .replace("{name}", name)
        .replace("{content}", content)
}

/// The full `question` for the given names, claims and template choices (one per person).
pub fn logic_question(names: &[String], statements: &[Statement], templates: &[usize]) -> String {
    assert_eq!(names.len(), statements.len());
    assert_eq!(names.len(), templates.len());
    let sentences: Vec<String> = (0..names.len())
        .map(|i| statement_sentence(templates[i], &names[i], &statements[i].to_text(names)))
        .collect();
    prompt::render_question(
        &prompt::logic_task_text(names, &sentences),
        prompt::LOGIC_EXAMPLE,
    )
}

/// Builds the official row for a puzzle; panics unless it has exactly one solution.
pub fn build_logic_example(
    names: Vec<String>,
    statements: &[Statement],
    templates: &[usize],
) -> GeneratedExample {
    let mut all = solve_all(statements);
    assert_eq!(all.len(), 1, "the puzzle must have exactly one solution");
    let solution = all.remove(0);
    let hint = hint_segments(&names, statements, &solution);
    let solution_text_format = solution_lines(&names, &solution).join("\n");
    GeneratedExample {
        data_source: "kk_logic",
        question: logic_question(&names, statements, templates),
        answer: prompt::render_answer(&hint, &solution_text_format),
        hint,
        ground_truth: GroundTruth::Logic {
            statements: statements_to_python(statements),
            names,
            solution,
            solution_text_format,
        },
    }
}

/// Example `index` of the stream `seed` (independent of how many examples are drawn).
pub fn logic_example(seed: u64, index: u64, opts: &LogicOptions) -> GeneratedExample {
    assert!(
        2 <= opts.min_people && opts.min_people <= opts.max_people && opts.max_people <= 12,
        "people range"
    );
    assert!(opts.depth >= 1 && opts.width >= 2, "depth >= 1, width >= 2");
    let mut rng = example_rng(seed, DOMAIN, index);
    let n = rng.random_range(opts.min_people..=opts.max_people);
    for _ in 0..opts.max_attempts {
        let statements: Vec<Statement> = (0..n)
            .map(|person| sample_statement(&mut rng, n, person, opts.depth, opts.width))
            .collect();
        if count_solutions_upto2(&statements) != 1 {
            continue;
        }
        // Names: a uniform ordered sample without replacement (partial Fisher–Yates).
        let mut pool: Vec<usize> = (0..NAMES.len()).collect();
        for k in 0..n {
            let j = rng.random_range(k..pool.len());
            pool.swap(k, j);
        }
        let names: Vec<String> = pool[..n].iter().map(|&k| NAMES[k].to_string()).collect();
        let templates: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..SAYING_TEMPLATES.len()))
            .collect();
        return build_logic_example(names, &statements, &templates);
    }
    panic!(
        "no uniquely solvable puzzle in {} attempts with {opts:?}",
        opts.max_attempts
    );
}

/// `n` Logic puzzles with the official settings.
pub fn generate_logic(seed: u64, n: usize) -> Vec<GeneratedExample> {
    generate_logic_with(seed, n, &LogicOptions::default())
}

/// `n` Logic puzzles with custom options.
pub fn generate_logic_with(seed: u64, n: usize, opts: &LogicOptions) -> Vec<GeneratedExample> {
    (0..n as u64)
        .map(|i| logic_example(seed, i, opts))
        .collect()
}

#[cfg(test)]
mod tests;
