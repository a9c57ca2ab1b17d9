//! Integrity of a finished cell: the SHA-256 of every file it wrote (metrics, seed parts, model
//! weights, tokenizers, completions) is recorded in its `summary.toml`, checked before `repro
//! run` skips the cell and by `repro verify`. A flipped byte anywhere — even one that still
//! decodes, as most flips in a Parquet data page or a safetensors tensor do — makes the cell
//! incomplete, and `repro run` recomputes the seeds whose files are damaged.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Files of a cell folder that are not recorded: the summary itself (it holds the record), the
/// lock, temporary files and checkpoints of seeds still running.
fn recorded(relative: &Path) -> bool {
    let name = relative.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let in_work = relative
        .components()
        .any(|c| c.as_os_str().to_string_lossy().ends_with(".work"));
    !(relative == Path::new("summary.toml") || name.starts_with('.') || in_work)
}

/// SHA-256 of a text, as lowercase hex.
pub fn hash_text(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of a file, as lowercase hex.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Every recorded file below `root`, relative path (with `/`) → SHA-256.
pub fn record(root: &Path) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let relative = path.strip_prefix(root).expect("below root").to_path_buf();
            if !recorded(&relative) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(key(&relative), hash_file(&path)?);
            }
        }
    }
    Ok(files)
}

fn key(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// What is wrong with one recorded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    Missing,
    Changed,
}

/// One damaged file of a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged {
    pub path: PathBuf,
    /// The file's key in the record (`models/seed-0/model.safetensors`).
    pub key: String,
    pub damage: Damage,
}

impl Damaged {
    /// The seed the file belongs to, if it belongs to one (`seeds/<s>.parquet`,
    /// `models/seed-<s>/…`).
    pub fn seed(&self) -> Option<u64> {
        let mut parts = self.key.split('/');
        match (parts.next(), parts.next()) {
            (Some("seeds"), Some(file)) => file.strip_suffix(".parquet")?.parse().ok(),
            (Some("models"), Some(folder)) => folder.strip_prefix("seed-")?.parse().ok(),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self.damage {
            Damage::Missing => format!("{}: missing", self.path.display()),
            Damage::Changed => format!(
                "{}: changed since it was written (its SHA-256 differs from summary.toml's)",
                self.path.display()
            ),
        }
    }
}

/// The recorded files below `root` that are missing or whose content changed.
pub fn check(root: &Path, files: &BTreeMap<String, String>) -> Vec<Damaged> {
    files
        .iter()
        .filter_map(|(key, hash)| {
            let path = root.join(key);
            let damage = match hash_file(&path) {
                Err(_) if !path.exists() => Damage::Missing,
                Err(_) => Damage::Changed,
                Ok(found) if &found != hash => Damage::Changed,
                Ok(_) => return None,
            };
            Some(Damaged {
                path,
                key: key.clone(),
                damage,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_every_file_and_finds_a_flipped_byte() {
        let root = std::env::temp_dir().join(format!("repro-integrity-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in [
            ("metrics.parquet", "m"),
            ("summary.toml", "s"),
            ("seeds/0.parquet", "p0"),
            ("seeds/1.work/rl-000032/state.toml", "w"),
            ("models/seed-1/model.safetensors", "weights"),
            (".lock", ""),
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let files = record(&root).unwrap();
        let keys: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "metrics.parquet",
                "models/seed-1/model.safetensors",
                "seeds/0.parquet"
            ]
        );
        // sha256("m")
        assert_eq!(
            files["metrics.parquet"],
            "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a"
        );
        assert!(check(&root, &files).is_empty());

        std::fs::write(root.join("models/seed-1/model.safetensors"), "weighta").unwrap();
        std::fs::remove_file(root.join("seeds/0.parquet")).unwrap();
        let damaged = check(&root, &files);
        assert_eq!(damaged.len(), 2, "{damaged:?}");
        assert_eq!(damaged[0].damage, Damage::Changed);
        assert_eq!(damaged[0].seed(), Some(1));
        assert_eq!(damaged[1].damage, Damage::Missing);
        assert_eq!(damaged[1].seed(), Some(0));
        assert!(damaged[0].describe().contains("model.safetensors: changed"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
