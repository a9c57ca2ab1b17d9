//! The integration test binary: one module per area.

mod cli; // `repro run` / `check` / `plot` end to end, resume after kill -9, shards, locks
mod experiment_files; // every experiments/*.toml loads; each class of bad file gets a clear error
mod official_data; // the verifiers on every official row (from ../shared/datasets when present)
mod task_data; // generated and official task files, `repro data`, `repro score`
