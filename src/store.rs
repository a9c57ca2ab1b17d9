//! The results folder: `results/<experiment>/<cell_id>/` with `config.toml`, `metrics.parquet`,
//! `summary.toml`, per-seed parts in `seeds/`, and a `.lock` held while a process works on it.
//!
//! Every file is written atomically (temporary name in the same folder, flushed, renamed), so a
//! run killed at any instant leaves either the old file or the new one, never a partial file
//! under a final name.

use std::fs::{self, File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Runs `read` on the file `path`, turning a panic inside it (polars panics on some damaged
/// Parquet pages instead of returning an error) into an error that names the file.
pub fn read_guarded<T>(path: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            anyhow::bail!(
                "{} is damaged: its data cannot be decoded ({why}); delete it (a results file is \
                 rebuilt by `repro run`)",
                path.display()
            )
        }
    }
}

/// Whether a panic comes from decoding a file in a dependency (its message is then part of the
/// error `read_guarded` returns, and the default hook's report is left out).
pub fn is_decoding_panic(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location()
        .is_some_and(|l| l.file().contains("polars") || l.file().contains("arrow"))
}

/// Writes `path` through `write` into a temporary file, then renames it into place.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        // A full disk surfaces here ("No space left on device"): name the file it was for.
        write(&mut file)
            .and_then(|()| Ok(file.flush()?))
            .and_then(|()| Ok(file.sync_all()?))
            .with_context(|| format!("cannot write {}", path.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes a text file atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |f| Ok(f.write_all(text.as_bytes())?))
}

/// The folder layout of one cell.
#[derive(Debug, Clone)]
pub struct CellDir {
    pub root: PathBuf,
}

impl CellDir {
    pub fn new(results: &Path, experiment: &str, cell_id: &str) -> CellDir {
        CellDir {
            root: results.join(experiment).join(cell_id),
        }
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.parquet")
    }
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.toml")
    }
    pub fn seed_part(&self, seed: u64) -> PathBuf {
        self.root.join("seeds").join(format!("{seed}.parquet"))
    }
    /// Checkpoints of a seed still running (removed once its part is written).
    pub fn seed_work(&self, seed: u64) -> PathBuf {
        self.root.join("seeds").join(format!("{seed}.work"))
    }
    /// Pretrained base models, shared by every experiment under the same results root.
    pub fn base_models(&self) -> PathBuf {
        let experiment = self
            .root
            .parent()
            .expect("a cell folder is inside its experiment's");
        experiment
            .parent()
            .expect("an experiment folder is inside the results root")
            .join("base_models")
    }
    /// The final model of a seed, for kinds that train one.
    pub fn seed_model(&self, seed: u64) -> PathBuf {
        self.root.join("models").join(format!("seed-{seed}"))
    }

    /// Takes the cell's lock without waiting: `Ok(None)` if another process holds it.
    /// The lock is released when the returned file is dropped (or the process dies).
    pub fn try_lock(&self) -> Result<Option<File>> {
        fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        let path = self.root.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_names_the_file_being_written() {
        let dir = std::env::temp_dir().join(format!("repro-store-full-{}", std::process::id()));
        let path = dir.join("metrics.parquet");
        let err = write_atomic(&path, |_| Err(std::io::Error::from_raw_os_error(28).into()))
            .expect_err("ENOSPC");
        let message = format!("{err:#}");
        assert!(
            message.contains(&format!("cannot write {}", path.display()))
                && message.contains("No space left on device"),
            "{message}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file_on_failure() {
        let dir = std::env::temp_dir().join(format!("repro-store-{}", std::process::id()));
        let path = dir.join("x.txt");
        write_text(&path, "first").unwrap();
        let err = write_atomic(&path, |f| {
            f.write_all(b"partial")?;
            anyhow::bail!("interrupted")
        });
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "first",
            "the old file survives"
        );
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_held_lock_is_refused_to_a_second_holder() {
        let dir = std::env::temp_dir().join(format!("repro-lock-{}", std::process::id()));
        let cell = CellDir::new(&dir, "exp", "abc");
        let first = cell.try_lock().unwrap();
        assert!(first.is_some());
        assert!(
            cell.try_lock().unwrap().is_none(),
            "second lock while the first is held"
        );
        drop(first);
        assert!(
            cell.try_lock().unwrap().is_some(),
            "free again after release"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
