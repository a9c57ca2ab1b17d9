//! `repro probe` on a committed base model of the CPU study: the competence curve is written,
//! read back and drawn, and it says what the study relies on — a hint helps.

use std::path::PathBuf;

use crate::{repro, scratch};

/// The committed `tiny-125k` base model of the CPU study.
fn committed_base_model() -> PathBuf {
    std::fs::read_dir("results/base_models")
        .expect("the CPU study's base models are committed")
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("tiny-125k-"))
        })
        .expect("a committed tiny-125k base model")
}

#[test]
fn the_competence_curve_of_a_committed_base_model_rises_with_the_hint_and_is_drawn() {
    let dir = scratch("probe");
    let model = committed_base_model();
    let out = repro([
        "probe",
        "--model",
        model.to_str().unwrap(),
        "--numbers",
        "3",
        "--max-value",
        "9",
        "--max-target",
        "27",
        "--template",
        "short",
        "--n",
        "24",
        "--samples",
        "4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("pass@4"), "{stdout}");
    let curves = repro::metrics::read_competence(&dir.join("competence.parquet")).unwrap();
    assert_eq!(curves.len(), 1);
    let (label, curve) = &curves[0];
    assert!(label.model.starts_with("tiny-125k-"), "{label:?}");
    let fractions: Vec<f64> = curve.iter().map(|p| p.hint_fraction).collect();
    assert_eq!(fractions, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    for point in curve {
        let passes: Vec<f64> = point.pass_at.iter().map(|(_, v)| *v).collect();
        assert_eq!(
            point.pass_at.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [1, 2, 4]
        );
        assert!(
            passes.windows(2).all(|w| w[0] <= w[1]),
            "pass@k grows with k: {passes:?}"
        );
        assert!((point.pass(1).unwrap() - point.mean_accuracy).abs() < 1e-12);
    }
    // Two of the three solution sentences given (fraction 0.6) make the problem far easier
    // than none: the position the CPU study's hints rely on.
    let at = |f: f64| {
        curve
            .iter()
            .find(|p| p.hint_fraction == f)
            .unwrap()
            .pass(4)
            .unwrap()
    };
    assert!(
        at(0.6) > at(0.0) + 0.3,
        "pass@4 {} with 2 sentences, {} with none",
        at(0.6),
        at(0.0)
    );
    assert!(dir.join("competence.png").is_file());

    // `repro plot` draws a competence file too.
    let figures = dir.join("figures");
    let plotted = repro([
        "plot",
        dir.join("competence.parquet").to_str().unwrap(),
        "--out",
        figures.to_str().unwrap(),
    ]);
    assert!(
        plotted.status.success(),
        "{}",
        String::from_utf8_lossy(&plotted.stderr)
    );
    assert!(figures.join("competence.png").is_file());
    assert!(figures.join("competence.svg").is_file());
}
