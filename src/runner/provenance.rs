//! Where and with what a result was produced: recorded in every `summary.toml`.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    pub repro_version: String,
    /// Commit of the source tree the binary was built from, or "unknown".
    pub git_commit: String,
    /// Whether that tree had uncommitted changes to tracked files.
    pub git_dirty: bool,
    pub hostname: String,
    pub cpu_model: String,
    /// The threads the cell's kernels ran on: the cores, or its own share of them when
    /// `repro run --jobs N` runs N cells at once.
    pub threads: usize,
}

impl Provenance {
    pub fn collect() -> Provenance {
        let source = env!("CARGO_MANIFEST_DIR");
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(source)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let git_commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
        let git_dirty =
            git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Provenance {
            repro_version: env!("CARGO_PKG_VERSION").into(),
            git_commit,
            git_dirty,
            hostname,
            cpu_model,
            threads,
        }
    }
}

/// `2026-11-29T07:05:38Z` for a system time (UTC, whole seconds).
pub fn utc_timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56 UTC = 951827696
        assert_eq!(
            utc_timestamp(UNIX_EPOCH + Duration::from_secs(951_827_696)),
            "2000-02-29T12:34:56Z"
        );
        // 2026-11-29 07:05:38 UTC = 1795935938
        assert_eq!(
            utc_timestamp(UNIX_EPOCH + Duration::from_secs(1_795_935_938)),
            "2026-11-29T07:05:38Z"
        );
    }
}
