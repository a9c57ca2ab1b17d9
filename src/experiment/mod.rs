//! Declarative experiments: a TOML file → a validated list of cells.
//!
//! A file names an experiment `kind` (which runner executes it), its `seeds`, shared
//! `[defaults]`, one or more `[sweep]` blocks whose cartesian products give the cells,
//! `[[override]]` blocks for per-method or per-cell changes, and `[method_options.<method>]`
//! tables for options that exist only for one method. Every cell is resolved to a full
//! parameter set (schema defaults ← `[defaults]` ← sweep point ← overrides) and gets a
//! stable id: a hash of that resolved set, the same on every machine.
//!
//! - `cli`    — `--profile`, `--set`, `--steps`, `--limit`
//! - `error`  — `ConfigError` with file, line, key and suggestion
//! - `schema` — parameter types, ranges, defaults and docs
//! - `file`   — the strict reader of the TOML document

pub mod cli;
pub mod error;
pub mod file;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use error::ConfigError;
use error::Source;
use file::{Located, RawExperiment};
pub use schema::{Schema, Value};

/// Which runner executes the cells of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExperimentKind {
    /// The paper's §4 search-tree problem with tabular softmax policies (`crate::theory`).
    TreeSearch,
    /// Fine-tuning a language model with one of the paper's methods (`crate::train`).
    FineTune,
}

impl ExperimentKind {
    pub const ALL: &'static [ExperimentKind] =
        &[ExperimentKind::TreeSearch, ExperimentKind::FineTune];
    pub const NAMES: &'static [&'static str] = &["tree_search", "fine_tune"];

    pub fn name(self) -> &'static str {
        match self {
            ExperimentKind::TreeSearch => "tree_search",
            ExperimentKind::FineTune => "fine_tune",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    pub fn schema(self) -> Schema {
        match self {
            ExperimentKind::TreeSearch => crate::theory::config::SCHEMA,
            ExperimentKind::FineTune => crate::train::config::SCHEMA,
        }
    }

    /// Checks between parameters of one resolved cell: `(param, message)` on failure.
    fn check_cell(self, cell: &Cell) -> Result<(), (&'static str, String)> {
        match self {
            ExperimentKind::TreeSearch => crate::theory::config::check_cell(cell),
            ExperimentKind::FineTune => crate::train::config::check_cell(cell),
        }
    }
}

/// A validated experiment: everything downstream code needs, nothing left to check.
#[derive(Debug, Clone)]
pub struct Experiment {
    pub path: PathBuf,
    pub name: String,
    pub description: String,
    pub kind: ExperimentKind,
    pub seeds: Vec<u64>,
    pub cells: Vec<Cell>,
    /// The profile read (files with `[profile.<name>]` tables), and every profile declared.
    pub profile: Option<String>,
    pub profiles: Vec<String>,
    /// Largest |reproduced − reported| the file accepts as agreement (accuracy units).
    pub tolerance: f64,
    /// Command-line changes applied to every cell, as `param=value`.
    pub overrides: Vec<String>,
    /// The file's text.
    pub source: String,
    /// Things in the file that are allowed but probably not meant (an `[[override]]` that
    /// matches no cell), as `file:line: message`; `repro run` and `repro check` print them.
    pub warnings: Vec<String>,
}

/// How to read an experiment file beyond its text: which profile, and command-line changes
/// that scale it down without editing it.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `None`: the file's default profile.
    pub profile: Option<String>,
    /// `param=value` assignments applied to every cell, after the file's overrides.
    pub set: Vec<String>,
    /// Cap on training steps (the kind decides what scales with it; `fine_tune`: RL steps,
    /// SFT steps, and T_hint and the evaluation interval in proportion).
    pub steps: Option<i64>,
    /// Cap on evaluation problems (`fine_tune`: `test_size`).
    pub limit: Option<i64>,
}

impl LoadOptions {
    /// The assignments, `--steps` and `--limit` included, as recorded in the results.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self.set.clone();
        out.extend(self.steps.map(|n| format!("steps<={n}")));
        out.extend(self.limit.map(|n| format!("test_size<={n}")));
        out
    }
}

/// One point of the sweep, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Position in the expanded list (used by `--shard`).
    pub index: usize,
    /// Stable id: the first 12 hex digits of SHA-256 over the resolved configuration.
    pub id: String,
    /// The swept parameters and their values, for labels.
    pub axes: Vec<(&'static str, Value)>,
    /// Every parameter of the kind's schema, defaults filled in.
    pub params: BTreeMap<&'static str, Value>,
    /// The options of this cell's method (`[method_options.<method>]`), defaults filled in.
    pub options: BTreeMap<&'static str, Value>,
}

impl Cell {
    pub fn get(&self, name: &str) -> &Value {
        self.params
            .get(name)
            .unwrap_or_else(|| panic!("parameter `{name}` is not in the schema"))
    }

    pub fn option(&self, name: &str) -> &Value {
        self.options
            .get(name)
            .unwrap_or_else(|| panic!("option `{name}` is not in the schema"))
    }

    /// `method=uft branching=2 height=5`
    pub fn label(&self) -> String {
        let parts: Vec<String> = self
            .axes
            .iter()
            .map(|(k, v)| match v {
                Value::Str(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        if parts.is_empty() {
            "(single cell)".into()
        } else {
            parts.join(" ")
        }
    }
}

impl Experiment {
    /// Reads, checks and expands an experiment file (its default profile, as written).
    pub fn from_file(path: &Path) -> Result<Experiment, ConfigError> {
        Self::load(path, &LoadOptions::default())
    }

    /// Reads, checks and expands an experiment file with a profile and command-line changes.
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Experiment, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: String::new(),
            message: format!("cannot read the file: {e}"),
            hint: None,
        })?;
        Self::parse(path, &text, options)
    }

    /// Like `from_file`, with the text given (`path` is used in messages).
    pub fn from_str(path: &Path, text: &str) -> Result<Experiment, ConfigError> {
        Self::parse(path, text, &LoadOptions::default())
    }

    /// Like `load`, with the text given.
    pub fn parse(
        path: &Path,
        text: &str,
        options: &LoadOptions,
    ) -> Result<Experiment, ConfigError> {
        let source = Source { path, text };
        let raw = file::parse(
            &source,
            ExperimentKind::NAMES,
            |name| {
                ExperimentKind::from_name(name)
                    .expect("kind checked by the reader")
                    .schema()
            },
            options.profile.as_deref(),
        )?;
        let kind = ExperimentKind::from_name(&raw.kind).expect("kind checked by the reader");
        let command_line = CommandLine::parse(kind, options, path)?;
        let (cells, warnings) = expand(&raw, kind, path, &command_line)?;
        Ok(Experiment {
            path: path.to_path_buf(),
            name: raw.name,
            description: raw.description,
            kind,
            seeds: raw.seeds,
            cells,
            profile: raw.profile,
            profiles: raw.profiles,
            tolerance: raw.tolerance,
            overrides: options.describe(),
            source: text.to_string(),
            warnings,
        })
    }

    /// The folder name of the results: `name`, then `-profile` for files with profiles, then
    /// `+param=value` for each command-line change, so that a scaled-down or other-profile run
    /// never shares a folder (or a table) with the full one.
    pub fn results_name(&self) -> String {
        let mut name = self.name.clone();
        if let Some(profile) = &self.profile {
            name.push('-');
            name.push_str(profile);
        }
        for change in &self.overrides {
            name.push('+');
            name.extend(change.chars().map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' | '=' => c,
                '<' => 'l',
                _ => '_',
            }));
        }
        name
    }

    /// The cells a shard `index/count` runs: those whose index ≡ `index` (mod `count`).
    pub fn shard(&self, index: usize, count: usize) -> impl Iterator<Item = &Cell> {
        self.cells.iter().filter(move |c| c.index % count == index)
    }
}

/// Command-line changes, checked against the kind's schema.
struct CommandLine {
    set: Vec<(&'static str, Value)>,
    steps: Option<i64>,
    limit: Option<i64>,
}

impl CommandLine {
    fn parse(
        kind: ExperimentKind,
        options: &LoadOptions,
        path: &Path,
    ) -> Result<CommandLine, ConfigError> {
        let schema = kind.schema();
        let error = |key: &str, message: String, hint: Option<String>| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: format!("--set {key}"),
            message,
            hint,
        };
        let mut set = Vec::new();
        for assignment in &options.set {
            let Some((name, text)) = assignment.split_once('=') else {
                return Err(error(assignment, "expected `param=value`".into(), None));
            };
            let (name, text) = (name.trim(), text.trim());
            let Some(param) = schema.param(name) else {
                let hint = error::closest(name, &schema.param_names())
                    .map(|c| format!("did you mean `{c}`?"));
                return Err(error(name, format!("unknown parameter `{name}`"), hint));
            };
            // A TOML literal (`3`, `1e-4`, `true`, `"x"`), or a bare word taken as a string.
            let value = match toml::from_str::<toml::Table>(&format!("v = {text}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
            {
                Some(toml::Value::Integer(v)) => Value::Int(v),
                Some(toml::Value::Float(v)) => Value::Float(v),
                Some(toml::Value::Boolean(v)) => Value::Bool(v),
                Some(toml::Value::String(v)) => Value::Str(v),
                _ => Value::Str(text.to_string()),
            };
            let value = schema::check_value(&param.kind, value)
                .map_err(|message| error(name, message, None))?;
            set.push((param.name, value));
        }
        if (options.steps.is_some() || options.limit.is_some()) && kind != ExperimentKind::FineTune
        {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                key: "--steps/--limit".into(),
                message: format!(
                    "`{}` experiments have no steps or test problems to cap",
                    kind.name()
                ),
                hint: Some("use `--set param=value` instead".into()),
            });
        }
        Ok(CommandLine {
            set,
            steps: options.steps,
            limit: options.limit,
        })
    }
}

/// Expands the sweeps into resolved cells, with a warning for each `[[override]]` that matches
/// none of them.
fn expand(
    raw: &RawExperiment,
    kind: ExperimentKind,
    path: &Path,
    command_line: &CommandLine,
) -> Result<(Vec<Cell>, Vec<String>), ConfigError> {
    let schema = kind.schema();
    let points: Vec<Vec<(&'static str, Located)>> = if raw.sweeps.is_empty() {
        vec![Vec::new()]
    } else {
        raw.sweeps.iter().flat_map(cartesian).collect()
    };

    let mut cells: Vec<Cell> = Vec::with_capacity(points.len());
    let mut override_used = vec![false; raw.overrides.len()];
    for point in points {
        // Resolution order: schema defaults ← [defaults] ← sweep point ← overrides.
        let mut resolved: BTreeMap<&'static str, (Value, Option<usize>)> = schema
            .params
            .iter()
            .map(|p| (p.name, (p.default.value(), None)))
            .collect();
        for (name, located) in raw.defaults.iter().chain(point.iter().map(|(k, v)| (k, v))) {
            resolved.insert(name, (located.value.clone(), Some(located.line)));
        }
        let before_overrides = resolved.clone();
        for (o, used) in raw.overrides.iter().zip(&mut override_used) {
            let matches = o
                .when
                .iter()
                .all(|(name, accepted)| accepted.contains(&before_overrides[name].0));
            if matches {
                *used = true;
                for (name, located) in &o.set {
                    resolved.insert(name, (located.value.clone(), Some(located.line)));
                }
            }
        }
        for (name, value) in &command_line.set {
            resolved.insert(name, (value.clone(), None));
        }
        if kind == ExperimentKind::FineTune {
            let mut values: BTreeMap<&'static str, Value> =
                resolved.iter().map(|(k, (v, _))| (*k, v.clone())).collect();
            crate::train::config::scale_down(&mut values, command_line.steps, command_line.limit);
            for (name, value) in values {
                if resolved[name].0 != value {
                    resolved.insert(name, (value, None));
                }
            }
        }

        let method = resolved[schema.method_param].0.as_str().to_string();
        let mut options: BTreeMap<&'static str, Value> = schema
            .options_of(&method)
            .iter()
            .map(|p| (p.name, p.default.value()))
            .collect();
        if let Some(set) = raw
            .method_options
            .iter()
            .find(|(m, _)| **m == method)
            .map(|(_, s)| s)
        {
            for (name, located) in set {
                options.insert(name, located.value.clone());
            }
        }

        let lines: BTreeMap<&'static str, Option<usize>> =
            resolved.iter().map(|(k, (_, l))| (*k, *l)).collect();
        let params: BTreeMap<&'static str, Value> =
            resolved.into_iter().map(|(k, (v, _))| (k, v)).collect();
        let axes = point.iter().map(|(k, _)| (*k, params[k].clone())).collect();
        let mut cell = Cell {
            index: cells.len(),
            id: String::new(),
            axes,
            params,
            options,
        };
        cell.id = cell_id(kind, &cell);

        kind.check_cell(&cell)
            .map_err(|(param, message)| ConfigError {
                path: path.to_path_buf(),
                line: lines.get(param).copied().flatten(),
                key: param.to_string(),
                message: format!("{message} (in cell {})", cell.label()),
                hint: None,
            })?;
        if let Some(twin) = cells.iter().find(|c| c.id == cell.id) {
            return Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                key: "sweep".into(),
                message: format!(
                    "cell {} and cell {} resolve to the same configuration",
                    twin.label(),
                    cell.label()
                ),
                hint: Some("sweep blocks overlap, or an override makes two cells identical".into()),
            });
        }
        cells.push(cell);
    }
    let warnings = raw
        .overrides
        .iter()
        .enumerate()
        .filter(|(i, _)| !override_used[*i])
        .map(|(i, o)| {
            let line = o.set.values().map(|l| l.line).min().unwrap_or(0);
            let when: Vec<String> = o
                .when
                .iter()
                .map(|(name, values)| {
                    let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                    format!("{name} = {}", values.join(" | "))
                })
                .collect();
            format!(
                "{}:{line}: override[{i}] (when {}) matches no cell, so its settings are unused",
                path.display(),
                when.join(", ")
            )
        })
        .collect();
    Ok((cells, warnings))
}

/// All combinations of a sweep block's axes, the first axis varying slowest.
fn cartesian(block: &file::SweepBlock) -> Vec<Vec<(&'static str, Located)>> {
    let mut points: Vec<Vec<(&'static str, Located)>> = vec![Vec::new()];
    for (name, values) in block {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((*name, v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// The resolved configuration of a cell as TOML (written to `config.toml`, and hashed for the id).
pub fn resolved_toml(kind: ExperimentKind, cell: &Cell) -> String {
    let mut params = toml::Table::new();
    for (k, v) in &cell.params {
        params.insert(k.to_string(), v.to_toml());
    }
    let mut options = toml::Table::new();
    for (k, v) in &cell.options {
        options.insert(k.to_string(), v.to_toml());
    }
    let mut root = toml::Table::new();
    root.insert("kind".into(), toml::Value::String(kind.name().into()));
    root.insert("params".into(), toml::Value::Table(params));
    root.insert("method_options".into(), toml::Value::Table(options));
    toml::to_string(&root).expect("a table of scalars always serialises")
}

fn cell_id(kind: ExperimentKind, cell: &Cell) -> String {
    let digest = Sha256::digest(resolved_toml(kind, cell).as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// What `repro check` prints: the experiment, its cells and ids, and optionally the schema.
pub fn describe(exp: &Experiment, with_schema: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {}",
        exp.name,
        exp.kind.name(),
        exp.path.display()
    );
    if !exp.description.is_empty() {
        let _ = writeln!(out, "  {}", exp.description.trim());
    }
    let _ = writeln!(out, "seeds: {:?}", exp.seeds);
    let _ = writeln!(
        out,
        "{} cells × {} seeds = {} runs",
        exp.cells.len(),
        exp.seeds.len(),
        exp.cells.len() * exp.seeds.len()
    );
    for cell in &exp.cells {
        let _ = writeln!(out, "  {:>4}  {}  {}", cell.index, cell.id, cell.label());
    }
    if with_schema {
        let schema = exp.kind.schema();
        let _ = writeln!(
            out,
            "\nparameters of kind `{}` (default; type; meaning):",
            exp.kind.name()
        );
        let line = |p: &schema::Param| {
            format!(
                "  {} = {}  ({})\n      {}\n",
                p.name,
                p.default.value(),
                p.kind.describe(),
                p.doc
            )
        };
        out.extend(schema.params.iter().map(line));
        for (method, params) in schema.method_options {
            let _ = writeln!(out, "[method_options.{method}]");
            out.extend(params.iter().map(line));
        }
    }
    out
}
