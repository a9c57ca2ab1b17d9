//! Which paper figure a `fine_tune` accuracy figure reproduces, and the paper's step-500 values
//! to overlay on it (`experiments/reported/figure_endpoints.csv`, read off the images, ±0.01–0.02).
//!
//! Figure 7 is Qwen2.5-0.5B, Figure 8 Qwen2.5-3B, Figure 2 the mean over the three Qwen2.5 sizes;
//! any other model or set of models (the tiny presets, Llama, Qwen2.5-1.5B alone) reproduces no
//! paper figure, and nothing is overlaid.

use crate::reported::FigureEndpoint;

/// The three Qwen2.5 sizes Figure 2 averages over.
pub(super) const FIGURE_2_MODELS: [&str; 3] = ["qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b"];

/// The paper figure drawn from exactly these models (one model: a per-model figure; several:
/// their mean), if any.
pub(super) fn paper_figure(models: &[&str]) -> Option<u32> {
    let mut sorted: Vec<&str> = models.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    match sorted.as_slice() {
        ["qwen2.5-0.5b"] => Some(7),
        ["qwen2.5-3b"] => Some(8),
        s if s == FIGURE_2_MODELS => Some(2),
        _ => None,
    }
}

/// The paper's name of a task, as `figure_endpoints.csv` spells it.
pub(super) fn paper_task(task: &str) -> Option<&'static str> {
    match task {
        "countdown" => Some("Countdown"),
        "math" | "math345" => Some("MATH(3,4,5)"),
        "logic" => Some("Logic"),
        _ => None,
    }
}

/// The paper's step-500 test accuracy of each of `methods` on `task` in `figure`; empty when
/// the figure reproduces no paper figure or the task is not one of the paper's.
pub(super) fn endpoints(
    all: &[FigureEndpoint],
    figure: Option<u32>,
    task: &str,
    methods: &[&'static str],
) -> Vec<(&'static str, f64)> {
    let (Some(figure), Some(task)) = (figure, paper_task(task)) else {
        return Vec::new();
    };
    methods
        .iter()
        .filter_map(|&method| {
            // `stage` and `rft_cosine` are not in Figures 2/7/8.
            let name = crate::report::names::paper_method(method)?;
            let e = all
                .iter()
                .find(|e| e.figure == figure && e.task == task && e.method == name)?;
            Some((method, e.value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reported::figure_endpoints;

    #[test]
    fn models_map_to_the_paper_figure_they_reproduce() {
        assert_eq!(paper_figure(&["qwen2.5-0.5b"]), Some(7));
        assert_eq!(paper_figure(&["qwen2.5-3b"]), Some(8));
        assert_eq!(
            paper_figure(&["qwen2.5-3b", "qwen2.5-0.5b", "qwen2.5-1.5b"]),
            Some(2)
        );
        assert_eq!(paper_figure(&["tiny-1m"]), None);
        assert_eq!(paper_figure(&["qwen2.5-1.5b"]), None);
        assert_eq!(paper_figure(&["qwen2.5-0.5b", "qwen2.5-3b"]), None);
        assert_eq!(paper_figure(&["tiny-1m", "tiny-4m"]), None);
        let five = [
            "qwen2.5-0.5b",
            "qwen2.5-1.5b",
            "qwen2.5-3b",
            "llama-3.2-1b",
            "llama-3.2-3b",
        ];
        assert_eq!(paper_figure(&five), None);
    }

    #[test]
    fn endpoints_follow_the_csv_and_skip_what_the_paper_does_not_draw() {
        let all = figure_endpoints().unwrap();
        let methods = ["base", "sft", "rft", "sft_rft", "r3", "stage", "uft"];
        let fig7 = endpoints(&all, Some(7), "countdown", &methods);
        assert_eq!(
            fig7,
            [
                ("base", 0.0),
                ("sft", 0.333),
                ("rft", 0.235),
                ("sft_rft", 0.515),
                ("r3", 0.30),
                ("uft", 0.505)
            ]
        );
        let fig2 = endpoints(&all, Some(2), "logic", &["sft_rft"]);
        assert_eq!(fig2, [("sft_rft", 0.34)]);
        assert!(endpoints(&all, None, "countdown", &methods).is_empty());
        assert!(endpoints(&all, Some(8), "arithmetic", &methods).is_empty());
    }
}
