//! The paper's algorithm maths as pure functions (no I/O, no configuration, no logging).
//!
//! - `hint` — hint segments and the cosine/Binomial probability (paper §3.1, Algorithm 1, eq. B.1)
//! - `schedule` — the hint schedules of RFT, UFT, R³, staged RL and SFT (specification §1.6)
//! - `grpo` — group advantages, the PPO-clip policy loss, the k3 KL estimator
//! - `sft` — the token-mean SFT loss
//! - `uft` — the hint log-likelihood and the total loss as the official code composes it

pub mod grpo;
pub mod hint;
pub mod schedule;
pub mod sft;
pub mod uft;
