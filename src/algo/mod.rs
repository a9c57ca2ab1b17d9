//! The paper's algorithm maths as pure functions (no I/O, no configuration, no logging).
//!
//! - `hint` — hint segments and the hint-length schedules (paper §3.1, Algorithm 1, eq. B.1)

pub mod hint;
