//! Deduction-style hints for Knights-and-Knaves puzzles.
//!
//! The search and the sentences follow `lib_kk.py` of the K&K benchmark (AlphaPav/mem-kk-logic):
//! `generate_chain_of_thoughts` (backtracking over people, knight tried before knave, the
//! next people to consider re-ordered by who the last accepted claim mentions),
//! `can_be_falsified_v2` (an assumption conflicts with the first assumed person, by index,
//! whose claim — negated for a knave — no completion of the unassumed people satisfies)
//! and `format_chain_of_thoughts` with both `repeat_claim_*` options on. UFT's hint list
//! splits each step into sentences and appends the solution lines:
//!
//! ```text
//! "Assume Michael is a knight. "
//! "No contradiction is found in their claim that Ethan is a knight if and only if Michael is a knight.\n"
//! "Zoey cannot be a knight, because this would contradict the claim of their own that ...\n"
//! "We have exhausted all possibilities for Ethan and Zoey, so let us go back and reconsider Michael.\n"
//! "Therefore, (1) Michael is a knight\n" "(2) Zoey is a knave\n" "(3) Ethan is a knight"
//! ```
//! Reproduces the hints of all 5,000 official rows exactly (tested in `logic/tests.rs`).

use super::logic_statements::Statement;

/// One entry of the deduction tape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Assuming `person` is a knight (`knight`) or knave contradicts nothing yet.
    Consistent { person: usize, knight: bool },
    /// The assumption contradicts the (possibly false) claim of `by`.
    Conflict {
        person: usize,
        knight: bool,
        by: usize,
        by_knight: bool,
    },
    /// Both options of the `exhausted` people failed; go back to `person`.
    Reconsider {
        person: usize,
        exhausted: Vec<usize>,
    },
}

/// Whether the partial assignment is consistent; otherwise the first person (by index)
/// whose claim cannot hold under any completion (`can_be_falsified_v2`).
fn first_conflict(statements: &[Statement], assigned: &[Option<bool>]) -> Option<usize> {
    let free: Vec<usize> = (0..assigned.len())
        .filter(|&i| assigned[i].is_none())
        .collect();
    let base: u64 = assigned
        .iter()
        .enumerate()
        .filter(|(_, a)| **a == Some(true))
        .map(|(i, _)| 1u64 << i)
        .sum();
    (0..statements.len()).find(|&p| {
        let Some(knight) = assigned[p] else {
            return false;
        };
        let satisfiable = (0..1u64 << free.len()).any(|bits| {
            let mask = free
                .iter()
                .enumerate()
                .filter(|(k, _)| bits >> k & 1 == 1)
                .fold(base, |m, (_, &i)| m | 1 << i);
            statements[p].eval(mask) == knight
        });
        !satisfiable
    })
}

/// Moves the people mentioned by the last accepted claim to the front (`_reorder_people_sequence`).
fn reorder(remaining: &mut Vec<usize>, mentioned: &[usize]) {
    for &p in mentioned.iter().rev() {
        if let Some(k) = remaining.iter().position(|&q| q == p) {
            remaining.remove(k);
            remaining.insert(0, p);
        }
    }
}

/// The deduction tape (`generate_chain_of_thoughts`, dynamic person order). `None` when
/// every configuration fails (the puzzle has no solution).
pub(crate) fn deduction_tape(statements: &[Statement]) -> Option<Vec<Step>> {
    let n = statements.len();
    let mut tape = Vec::new();
    let mut assigned: Vec<Option<bool>> = vec![None; n];
    let mut options: Vec<Vec<bool>> = vec![vec![false, true]; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut cursor: isize = 0;
    loop {
        if cursor as usize >= n {
            return Some(tape);
        }
        if options[order[cursor as usize]].is_empty() {
            let mut exhausted = Vec::new();
            while cursor >= 0 && options[order[cursor as usize]].is_empty() {
                let p = order[cursor as usize];
                options[p] = vec![false, true];
                assigned[p] = None;
                exhausted.push(p);
                cursor -= 1;
            }
            if cursor < 0 {
                return None;
            }
            tape.push(Step::Reconsider {
                person: order[cursor as usize],
                exhausted,
            });
        }
        let c = cursor as usize;
        let person = order[c];
        let knight = options[person].pop().expect("non-empty options");
        assigned[person] = Some(knight);
        match first_conflict(statements, &assigned) {
            None => {
                tape.push(Step::Consistent { person, knight });
                let mut rest = order.split_off(c + 1);
                reorder(&mut rest, &statements[person].mentioned());
                order.extend(rest);
                cursor += 1;
            }
            Some(by) => tape.push(Step::Conflict {
                person,
                knight,
                by,
                by_knight: assigned[by] == Some(true),
            }),
        }
    }
}

fn role(knight: bool) -> &'static str {
    if knight { "a knight" } else { "a knave" }
}

/// `"(1) Michael is a knight\n(2) Zoey is a knave"`: the official `solution_text_format`.
pub(crate) fn solution_lines(names: &[String], solution: &[bool]) -> Vec<String> {
    names
        .iter()
        .zip(solution)
        .enumerate()
        .map(|(i, (name, &k))| format!("({}) {name} is {}", i + 1, role(k)))
        .collect()
}

/// The hint segments: the deduction sentences, then `"Therefore, (1) ...\n"`, `"(2) ...\n"`, ...
pub(crate) fn hint_segments(
    names: &[String],
    statements: &[Statement],
    solution: &[bool],
) -> Vec<String> {
    let tape = deduction_tape(statements).expect("puzzle has a solution");
    let mut out = Vec::with_capacity(2 * tape.len() + names.len());
    for step in tape {
        match step {
            Step::Consistent { person, knight } => {
                out.push(format!("Assume {} is {}. ", names[person], role(knight)));
                out.push(format!(
                    "No contradiction is found in their {}claim that {}.\n",
                    if knight { "" } else { "false " },
                    statements[person].to_text(names)
                ));
            }
            Step::Conflict {
                person,
                knight,
                by,
                by_knight,
            } => out.push(format!(
                "{} cannot be {}, because this would contradict the {}claim of {} that {}.\n",
                names[person],
                role(knight),
                if by_knight { "" } else { "false " },
                if by == person {
                    "their own"
                } else {
                    names[by].as_str()
                },
                statements[by].to_text(names)
            )),
            Step::Reconsider { person, exhausted } => {
                let mut who: Vec<String> = exhausted.iter().map(|&p| names[p].clone()).collect();
                let list = match who.len() {
                    1 => who.remove(0),
                    2 => who.join(" and "),
                    _ => {
                        let last = who.pop().unwrap();
                        format!("{}, and {last}", who.join(", "))
                    }
                };
                out.push(format!(
                    "We have exhausted all possibilities for {list}, so let us go back and reconsider {}.\n",
                    names[person]
                ));
            }
        }
    }
    out.extend(conclusion_segments(names, solution));
    out
}

/// The last hint segments: `"Therefore, (1) Zoey is a knight\n"`, `"(2) Oliver is a knave"`.
pub(crate) fn conclusion_segments(names: &[String], roles: &[bool]) -> Vec<String> {
    let lines = solution_lines(names, roles);
    let last = lines.len() - 1;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = if i == 0 { "Therefore, " } else { "" };
            format!("{prefix}{line}{}", if i < last { "\n" } else { "" })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::generate::logic_statements::parse_statements;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// First official training row, copied verbatim.
    #[test]
    fn official_first_row() {
        let st = parse_statements("(('<=>', ('telling-truth', 2), ('telling-truth', 0)), ('or', ('telling-truth', 1), ('telling-truth', 2)), ('<=>', ('lying', 0), ('lying', 1)))").unwrap();
        let hint = hint_segments(
            &names(&["Michael", "Zoey", "Ethan"]),
            &st,
            &[true, true, true],
        );
        assert_eq!(
            hint,
            [
                "Assume Michael is a knight. ",
                "No contradiction is found in their claim that Ethan is a knight if and only if Michael is a knight.\n",
                "Assume Ethan is a knight. ",
                "No contradiction is found in their claim that Michael is a knave if and only if Zoey is a knave.\n",
                "Assume Zoey is a knight. ",
                "No contradiction is found in their claim that Zoey is a knight or Ethan is a knight.\n",
                "Therefore, (1) Michael is a knight\n",
                "(2) Zoey is a knight\n",
                "(3) Ethan is a knight",
            ]
        );
    }

    #[test]
    fn conflicts_and_backtracking() {
        // 0: "1 is a knave"; 1: "0 and 1 are knights" -> the solution is (knight, knave).
        let st =
            parse_statements("(('lying', 1), ('and', ('telling-truth', 0), ('telling-truth', 1)))")
                .unwrap();
        let tape = deduction_tape(&st).unwrap();
        assert_eq!(
            tape[0],
            Step::Consistent {
                person: 0,
                knight: true
            }
        );
        assert_eq!(
            tape[1],
            Step::Conflict {
                person: 1,
                knight: true,
                by: 0,
                by_knight: true
            }
        );
        assert_eq!(
            tape[2],
            Step::Consistent {
                person: 1,
                knight: false
            }
        );
        // A contradiction-only puzzle: "I am a knave" is not sampled, but "not (I am a knight)" is.
        let bad =
            parse_statements("(('not', ('telling-truth', 0)), ('telling-truth', 0))").unwrap();
        assert!(deduction_tape(&bad).is_none());
        let lines = hint_segments(&names(&["A", "B"]), &st, &[true, false]);
        assert_eq!(
            lines[1],
            "No contradiction is found in their claim that B is a knave.\n"
        );
        assert_eq!(
            lines[2],
            "B cannot be a knight, because this would contradict the claim of A that B is a knave.\n"
        );
        assert_eq!(lines.last().unwrap(), "(2) B is a knave");
    }
}
