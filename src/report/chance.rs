//! The accuracy a model reaches by guessing, per training task: the level below which a
//! difference between two methods is not evidence that either has learned the task.
//!
//! - Knights and Knaves: a response that names every inhabitant and gives each a uniformly
//!   random role is right with probability 2⁻ⁿ for n inhabitants. The problems' n is uniform
//!   over `logic_min_people..=logic_max_people` (the generator draws it so; the official test
//!   file has 100 problems of each n from 3 to 7), so chance is the mean of 2⁻ⁿ over that range:
//!   25 % at n = 2, 4.8 % for 3–7.
//! - Countdown and MATH: no guess of an equation or a number is right with a probability worth
//!   counting, so chance is 0.

use std::collections::BTreeMap;

use crate::experiment::Value;

/// The accuracy of guessing on `task` for a cell with these resolved parameters.
pub fn chance_accuracy(task: &str, params: &BTreeMap<String, Value>) -> f64 {
    if task != "logic" {
        return 0.0;
    }
    let people = |name: &str, default: i64| match params.get(name) {
        Some(Value::Int(n)) => *n,
        _ => default,
    };
    let (min, max) = (people("logic_min_people", 3), people("logic_max_people", 7));
    if min < 1 || max < min {
        return 0.0;
    }
    let sum: f64 = (min..=max).map(|n| 0.5f64.powi(n as i32)).sum();
    sum / (max - min + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logic(min: i64, max: i64) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("logic_min_people".to_string(), Value::Int(min)),
            ("logic_max_people".to_string(), Value::Int(max)),
        ])
    }

    #[test]
    fn guessing_every_role_is_right_once_in_two_to_the_n() {
        assert_eq!(chance_accuracy("logic", &logic(2, 2)), 0.25);
        assert_eq!(chance_accuracy("logic", &logic(2, 3)), (0.25 + 0.125) / 2.0);
        // The official test file: 3–7 inhabitants, 100 problems each.
        let official = (1.0 / 8.0 + 1.0 / 16.0 + 1.0 / 32.0 + 1.0 / 64.0 + 1.0 / 128.0) / 5.0;
        assert!((chance_accuracy("logic", &BTreeMap::new()) - official).abs() < 1e-15);
        assert_eq!(chance_accuracy("countdown", &logic(2, 2)), 0.0);
        assert_eq!(chance_accuracy("math", &BTreeMap::new()), 0.0);
    }
}
