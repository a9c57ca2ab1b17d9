//! The hint schedules of the compared methods (specification §1.6): how many of a solution's
//! `num = min(5, sentences)` segments the prompt reveals at one-based RL step `timestep`.
//! The caller turns `k` segments into sentences with [`segment_boundaries`](super::hint::segment_boundaries)`[k]`.
//!
//! | schedule | method | segments shown at `timestep` |
//! |---|---|---|
//! | `None`  | RFT, SFT→RFT | 0 |
//! | `Uft`   | UFT, RFT (cosine) | `Binomial(num, p(timestep))` while `timestep ≤ T_hint`, else 0 (eq. B.1) |
//! | `R3`    | R³ | uniform over 0 … num, at every step |
//! | `Stage` | staged RL | `clip(num − timestep ÷ (T_hint ÷ (num + 1)), 0, num)` while `timestep ≤ T_hint`, else 0 |
//! | `Full`  | SFT seen as UFT with p ≡ 1 | num |

use rand::{Rng, RngExt, SeedableRng};

use super::hint::{binomial, cosine_probability};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HintSchedule {
    None,
    Uft {
        p_low: f64,
        p_high: f64,
        t_hint: u64,
    },
    R3,
    Stage {
        t_hint: u64,
    },
    Full,
}

impl HintSchedule {
    /// The paper's UFT schedule: p 0.95 → 0.05 over T_hint = 300 steps (Table 1).
    pub const PAPER_UFT: HintSchedule = HintSchedule::Uft {
        p_low: 0.05,
        p_high: 0.95,
        t_hint: 300,
    };

    /// Segments revealed at one-based `timestep` for a solution of `num` segments. `rng` is the
    /// example's own stream, keyed on (seed, step, example) by the caller.
    pub fn segments(&self, timestep: u64, num: usize, rng: &mut impl Rng) -> usize {
        match *self {
            HintSchedule::None => 0,
            HintSchedule::Full => num,
            HintSchedule::R3 => rng.random_range(0..=num),
            HintSchedule::Uft {
                p_low,
                p_high,
                t_hint,
            } => cosine_probability(timestep, t_hint, p_low, p_high)
                .map_or(0, |p| binomial(rng, num, p)),
            HintSchedule::Stage { t_hint } => {
                if timestep > t_hint {
                    return 0;
                }
                let stage_length = (t_hint / (num as u64 + 1)).max(1);
                num.saturating_sub((timestep / stage_length) as usize)
            }
        }
    }

    /// The expected fraction of the solution's segments shown at `timestep` (Figure 1's
    /// annotation-usage curve, before sampling noise).
    pub fn expected_fraction(&self, timestep: u64, num: usize) -> f64 {
        match *self {
            HintSchedule::None => 0.0,
            HintSchedule::Full => 1.0,
            HintSchedule::R3 => 0.5,
            HintSchedule::Uft {
                p_low,
                p_high,
                t_hint,
            } => cosine_probability(timestep, t_hint, p_low, p_high).unwrap_or(0.0),
            HintSchedule::Stage { .. } => {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
                self.segments(timestep, num, &mut rng) as f64 / num.max(1) as f64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn staged_schedule_matches_the_specification() {
        // §1.6: num = 5, T_hint = 300: full for t = 1–49, 4/5 for 50–99, …, 1/5 for 200–249,
        // 0 from 250; num = 4 steps every 60; num = 3 every 75.
        let stage = HintSchedule::Stage { t_hint: 300 };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let at = |t, num, rng: &mut ChaCha8Rng| stage.segments(t, num, rng);
        for (t, want) in [
            (1, 5),
            (49, 5),
            (50, 4),
            (99, 4),
            (100, 3),
            (150, 2),
            (200, 1),
            (249, 1),
            (250, 0),
            (300, 0),
            (301, 0),
        ] {
            assert_eq!(at(t, 5, &mut rng), want, "num 5, t {t}");
        }
        for (t, want) in [(59, 4), (60, 3), (239, 1), (240, 0)] {
            assert_eq!(at(t, 4, &mut rng), want, "num 4, t {t}");
        }
        for (t, want) in [(74, 3), (75, 2), (225, 0)] {
            assert_eq!(at(t, 3, &mut rng), want, "num 3, t {t}");
        }
    }

    #[test]
    fn uft_schedule_mean_follows_the_cosine_and_stops_after_t_hint() {
        // §1.2: p(1) = 0.95, p(150) = 0.5, p(300) = 0.05, none from 301.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let uft = HintSchedule::PAPER_UFT;
        for (t, p) in [(1u64, 0.95), (150, 0.5), (300, 0.05)] {
            let mean = (0..20_000)
                .map(|_| uft.segments(t, 5, &mut rng))
                .sum::<usize>() as f64
                / 20_000.0;
            assert!(
                (mean - 5.0 * p).abs() < 0.05,
                "t {t}: mean {mean}, want {}",
                5.0 * p
            );
            assert!((uft.expected_fraction(t, 5) - p).abs() < 1e-3);
        }
        assert!((0..1000).all(|_| uft.segments(301, 5, &mut rng) == 0));
    }

    #[test]
    fn r3_is_uniform_over_every_boundary_and_none_full_are_constant() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[HintSchedule::R3.segments(400, 5, &mut rng)] += 1;
        }
        assert!(
            counts
                .iter()
                .all(|&c| (c as f64 / 60_000.0 - 1.0 / 6.0).abs() < 0.01),
            "{counts:?}"
        );
        assert_eq!(HintSchedule::None.segments(1, 5, &mut rng), 0);
        assert_eq!(HintSchedule::Full.segments(1000, 4, &mut rng), 4);
    }
}
