//! Reading an experiment file: TOML with spans → a checked `RawExperiment`.
//!
//! The reader walks the parsed document itself instead of deriving serde structs, so every
//! key at every depth (including the per-method option tables, which a serde internally
//! tagged enum would not check) is validated with the same rules and the same messages:
//! unknown keys name the closest valid key, type and range errors name the line.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, Source};
use super::schema::{Kind, Param, Schema, Value, check_value};

/// A value as written in the file, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub value: Value,
    pub line: usize,
}

/// Assignments `param → value` from one table of the file.
pub type Assignments = BTreeMap<&'static str, Located>;

/// One `[[sweep]]` block: axes whose cartesian product gives cells, in file order.
pub type SweepBlock = Vec<(&'static str, Vec<Located>)>;

/// An `[[override]]` block: parameters applied to every cell matching `when`.
#[derive(Debug, Clone)]
pub struct Override {
    /// `param → accepted values` (a cell matches if each param has one of its values).
    pub when: Vec<(&'static str, Vec<Value>)>,
    pub set: Assignments,
}

/// The experiment file after key, type and range checks, before expansion into cells.
#[derive(Debug, Clone)]
pub struct RawExperiment {
    pub name: String,
    pub description: String,
    pub kind: String,
    pub seeds: Vec<u64>,
    pub defaults: Assignments,
    pub sweeps: Vec<SweepBlock>,
    pub overrides: Vec<Override>,
    /// `method → option → value`.
    pub method_options: BTreeMap<&'static str, Assignments>,
    /// The profile read, when the file has `[profile.<name>]` tables.
    pub profile: Option<String>,
    /// Every profile the file declares, default first.
    pub profiles: Vec<String>,
    /// Largest |reproduced − reported| accepted as agreement (accuracy units, 0–1).
    pub tolerance: f64,
}

/// Agreement tolerance when a file declares none.
pub const DEFAULT_TOLERANCE: f64 = 0.05;

const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "description",
    "kind",
    "seeds",
    "defaults",
    "sweep",
    "override",
    "method_options",
    "tolerance",
    "default_profile",
    "profile",
];

/// Keys a `[profile.<name>]` table may set; `defaults` and `method_options` are merged key by
/// key into the top-level ones, the others replace them.
const PROFILE_KEYS: &[&str] = &[
    "description",
    "seeds",
    "defaults",
    "sweep",
    "override",
    "method_options",
    "tolerance",
];

type Table<'i> = DeTable<'i>;
type Item<'i> = Spanned<DeValue<'i>>;

/// Parses and checks `source` against the schema chosen by its `kind` key.
///
/// A file with `[profile.<name>]` tables is read as the top level with the chosen profile's
/// keys applied (`profile = None`: the `default_profile`, else the first one declared).
pub fn parse(
    source: &Source<'_>,
    kinds: &[&'static str],
    schema_of: impl Fn(&str) -> Schema,
    profile: Option<&str>,
) -> Result<RawExperiment, ConfigError> {
    let root = DeTable::parse(source.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim().to_string();
        // The parser names no key in "duplicate key"; the line it points at does.
        if message == "duplicate key" {
            let line_start = source.text[..span.start.min(source.text.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line = source.text[line_start..].lines().next().unwrap_or("");
            if let Some((key, _)) = line.split_once('=') {
                message = format!("duplicate key `{}`", key.trim());
            }
        }
        source.error(span, "", format!("not valid TOML: {message}"))
    })?;
    let root_span = root.span();
    let reader = Reader { source };
    let (root, profile, profiles) =
        reader.apply_profile(root.into_inner(), root_span.clone(), profile)?;

    for (key, _) in root.iter() {
        if !TOP_LEVEL_KEYS.contains(&key.get_ref().as_ref()) {
            return Err(source.unknown_key(
                key.span(),
                key.get_ref(),
                key.get_ref(),
                "key",
                TOP_LEVEL_KEYS,
            ));
        }
    }

    let name = reader.required_str(&root, "name", root_span.clone())?;
    let name_item = root.get("name").expect("checked above");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(source.error(
            name_item.span(),
            "name",
            "must be non-empty and use only letters, digits, `_` and `-` (it names the results folder)",
        ));
    }
    let description = match root.get("description") {
        Some(item) => reader.string(item, "description")?,
        None => String::new(),
    };
    let kind = reader.required_str(&root, "kind", root_span.clone())?;
    if !kinds.contains(&kind.as_str()) {
        let item = root.get("kind").expect("checked above");
        return Err(source.unknown_key(item.span(), "kind", &kind, "experiment kind", kinds));
    }
    let schema = schema_of(&kind);
    let seeds = reader.seeds(root.get("seeds"), root_span)?;

    let defaults = match root.get("defaults") {
        Some(item) => reader.assignments(item, "defaults", &schema, &[])?,
        None => Assignments::new(),
    };
    let sweeps = match root.get("sweep") {
        None => Vec::new(),
        Some(item) => match item.get_ref() {
            DeValue::Table(_) => vec![reader.sweep_block(item, "sweep", &schema)?],
            DeValue::Array(blocks) => blocks
                .iter()
                .enumerate()
                .map(|(i, block)| reader.sweep_block(block, &format!("sweep[{i}]"), &schema))
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(source.error(
                    item.span(),
                    "sweep",
                    "expected a table `[sweep]` or tables `[[sweep]]`",
                ));
            }
        },
    };
    let overrides = match root.get("override") {
        None => Vec::new(),
        Some(item) => {
            let DeValue::Array(blocks) = item.get_ref() else {
                return Err(source.error(
                    item.span(),
                    "override",
                    "expected `[[override]]` tables",
                ));
            };
            blocks
                .iter()
                .enumerate()
                .map(|(i, block)| reader.override_block(block, &format!("override[{i}]"), &schema))
                .collect::<Result<_, _>>()?
        }
    };
    let method_options = match root.get("method_options") {
        None => BTreeMap::new(),
        Some(item) => reader.method_options(item, &schema)?,
    };
    let tolerance = match root.get("tolerance") {
        None => DEFAULT_TOLERANCE,
        Some(item) => {
            let kind = Kind::Float { min: 0.0, max: 1.0 };
            reader
                .param_value(item, "tolerance", &kind)?
                .value
                .as_float()
        }
    };

    Ok(RawExperiment {
        profile,
        profiles,
        tolerance,
        name,
        description,
        kind,
        seeds,
        defaults,
        sweeps,
        overrides,
        method_options,
    })
}

struct Reader<'a, 'b> {
    source: &'a Source<'b>,
}

impl Reader<'_, '_> {
    /// The path to name for a key of the table read as `path`: a profile's keys are merged into
    /// the top level before they are read, so a key written under `[profile.<name>.defaults]`
    /// (the nearest table header above it) is named by that header, not as `defaults`.
    fn written_path(&self, key_start: usize, path: &str) -> String {
        let before = &self.source.text[..key_start.min(self.source.text.len())];
        let header = before
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['));
        let header = header.map(|h| h.trim_matches(|c| c == '[' || c == ']').trim());
        match header {
            Some(h) if h.starts_with("profile.") && h.ends_with(path) => h.to_string(),
            _ => path.to_string(),
        }
    }

    /// Removes the profile keys from `root` and applies the chosen profile's tables to it.
    fn apply_profile<'i>(
        &self,
        mut root: Table<'i>,
        root_span: Range<usize>,
        wanted: Option<&str>,
    ) -> Result<(Table<'i>, Option<String>, Vec<String>), ConfigError> {
        let default = root.remove("default_profile");
        let Some(item) = root.remove("profile") else {
            if let Some(item) = default {
                return Err(self.source.error(
                    item.span(),
                    "default_profile",
                    "the file declares no `[profile.<name>]` tables",
                ));
            }
            if let Some(name) = wanted {
                let mut err = self.source.error(
                    root_span,
                    "profile",
                    format!("the file has no profiles, so `--profile {name}` cannot be honoured"),
                );
                err.line = None;
                return Err(err);
            }
            return Ok((root, None, Vec::new()));
        };
        let profiles = self.table(&item, "profile")?;
        let mut names: Vec<String> = profiles
            .iter()
            .map(|(k, _)| k.get_ref().to_string())
            .collect();
        if names.is_empty() {
            return Err(self
                .source
                .error(item.span(), "profile", "declares no profile"));
        }
        if let Some(default) = &default {
            let name = self.string(default, "default_profile")?;
            let Some(at) = names.iter().position(|n| *n == name) else {
                let valid: Vec<&str> = names.iter().map(String::as_str).collect();
                return Err(self.source.unknown_key(
                    default.span(),
                    "default_profile",
                    &name,
                    "profile",
                    &valid,
                ));
            };
            let name = names.remove(at);
            names.insert(0, name);
        }
        let chosen = wanted
            .map(str::to_string)
            .unwrap_or_else(|| names[0].clone());
        let Some((key, table)) = profiles.iter().find(|(k, _)| *k.get_ref() == chosen) else {
            let valid: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut err =
                self.source
                    .unknown_key(item.span(), "profile", &chosen, "profile", &valid);
            err.line = None;
            return Err(err);
        };
        // Every profile's keys are checked, the chosen one's values below.
        for (other, table) in profiles.iter() {
            let path = format!("profile.{}", other.get_ref());
            for (name, _) in self.table(table, &path)?.iter() {
                let key_name = name.get_ref().as_ref();
                if !PROFILE_KEYS.contains(&key_name) {
                    return Err(self.source.unknown_key(
                        name.span(),
                        &format!("{path}.{key_name}"),
                        key_name,
                        "profile key",
                        PROFILE_KEYS,
                    ));
                }
            }
        }
        let path = format!("profile.{}", key.get_ref());
        for (name, value) in self.table(table, &path)?.iter() {
            let key_name = name.get_ref().as_ref();
            let merged = match (key_name, root.get_mut(key_name)) {
                ("defaults" | "method_options", Some(existing)) => {
                    match (existing.get_mut(), value.get_ref()) {
                        (DeValue::Table(base), DeValue::Table(extra)) => {
                            for (k, v) in extra.iter() {
                                base.insert(k.clone(), v.clone());
                            }
                            true
                        }
                        _ => false,
                    }
                }
                _ => false,
            };
            if !merged {
                root.insert(name.clone(), value.clone());
            }
        }
        Ok((root, Some(chosen), names))
    }

    fn table<'t, 'i>(&self, item: &'t Item<'i>, key: &str) -> Result<&'t Table<'i>, ConfigError> {
        match item.get_ref() {
            DeValue::Table(t) => Ok(t),
            other => Err(self.source.error(
                item.span(),
                key,
                format!("expected a table, found {}", other.type_str()),
            )),
        }
    }

    fn string(&self, item: &Item<'_>, key: &str) -> Result<String, ConfigError> {
        match item.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            other => Err(self.source.error(
                item.span(),
                key,
                format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    fn required_str(
        &self,
        root: &Table<'_>,
        key: &str,
        root_span: Range<usize>,
    ) -> Result<String, ConfigError> {
        match root.get(key) {
            Some(item) => self.string(item, key),
            None => Err(self.missing(root_span, key)),
        }
    }

    fn missing(&self, span: Range<usize>, key: &str) -> ConfigError {
        let mut err = self.source.error(span, key, "missing required key");
        err.line = None;
        err
    }

    fn seeds(
        &self,
        item: Option<&Item<'_>>,
        root_span: Range<usize>,
    ) -> Result<Vec<u64>, ConfigError> {
        let item = item.ok_or_else(|| self.missing(root_span, "seeds"))?;
        let DeValue::Array(values) = item.get_ref() else {
            return Err(self.source.error(
                item.span(),
                "seeds",
                "expected an array of non-negative integers",
            ));
        };
        if values.is_empty() {
            return Err(self
                .source
                .error(item.span(), "seeds", "must list at least one seed"));
        }
        let mut seeds = Vec::with_capacity(values.len());
        for value in values.iter() {
            let seed = match self.scalar(value, "seeds")? {
                Value::Int(v) if v >= 0 => v as u64,
                other => {
                    return Err(self.source.error(
                        value.span(),
                        "seeds",
                        format!("{other} is not a non-negative integer"),
                    ));
                }
            };
            if seeds.contains(&seed) {
                return Err(self.source.error(
                    value.span(),
                    "seeds",
                    format!("seed {seed} is listed twice"),
                ));
            }
            seeds.push(seed);
        }
        Ok(seeds)
    }

    /// A scalar TOML value (string, integer, float, boolean) as an unchecked `Value`.
    fn scalar(&self, item: &Item<'_>, key: &str) -> Result<Value, ConfigError> {
        let bad = |what: String| self.source.error(item.span(), key, what);
        match item.get_ref() {
            DeValue::String(s) => Ok(Value::Str(s.to_string())),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(Value::Int)
                .map_err(|_| bad(format!("integer {i} does not fit in 64 bits"))),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| bad(format!("bad float {f}"))),
            DeValue::Boolean(b) => Ok(Value::Bool(*b)),
            other => Err(bad(format!(
                "expected a single value, found {}",
                other.type_str()
            ))),
        }
    }

    /// A scalar checked against the schema's parameter `name`.
    fn param_value(
        &self,
        item: &Item<'_>,
        key_path: &str,
        kind: &Kind,
    ) -> Result<Located, ConfigError> {
        let raw = self.scalar(item, key_path)?;
        let value =
            check_value(kind, raw).map_err(|msg| self.source.error(item.span(), key_path, msg))?;
        Ok(Located {
            value,
            line: self.source.line_of(item.span().start),
        })
    }

    /// Resolves a key to a schema parameter, or explains why it is not one.
    fn param_name(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        key_path: &str,
        params: &'static [Param],
        reserved: &[&str],
    ) -> Result<&'static Param, ConfigError> {
        let name = key.get_ref().as_ref();
        if reserved.contains(&name) {
            return Err(self
                .source
                .error(key.span(), key_path, "this key is not allowed here"));
        }
        params.iter().find(|p| p.name == name).ok_or_else(|| {
            let valid: Vec<&str> = params.iter().map(|p| p.name).collect();
            self.source
                .unknown_key(key.span(), key_path, name, "parameter", &valid)
        })
    }

    fn assignments(
        &self,
        item: &Item<'_>,
        path: &str,
        schema: &Schema,
        reserved: &[&str],
    ) -> Result<Assignments, ConfigError> {
        self.assignments_of(self.table(item, path)?, path, schema.params, reserved)
    }

    fn assignments_of(
        &self,
        table: &Table<'_>,
        path: &str,
        params: &'static [Param],
        reserved: &[&str],
    ) -> Result<Assignments, ConfigError> {
        let mut out = Assignments::new();
        for (key, value) in table.iter() {
            if reserved.contains(&key.get_ref().as_ref()) {
                continue;
            }
            let written = self.written_path(key.span().start, path);
            let key_path = format!("{written}.{}", key.get_ref());
            let param = self.param_name(key, &key_path, params, &[])?;
            out.insert(param.name, self.param_value(value, &key_path, &param.kind)?);
        }
        Ok(out)
    }

    fn sweep_block(
        &self,
        item: &Item<'_>,
        path: &str,
        schema: &Schema,
    ) -> Result<SweepBlock, ConfigError> {
        let table = self.table(item, path)?;
        let mut block = SweepBlock::new();
        for (key, value) in table.iter() {
            let key_path = format!("{path}.{}", key.get_ref());
            let param = self.param_name(key, &key_path, schema.params, &[])?;
            let values = self.axis_values(value, &key_path, param)?;
            block.push((param.name, values));
        }
        if block.is_empty() {
            return Err(self
                .source
                .error(item.span(), path, "a sweep needs at least one axis"));
        }
        Ok(block)
    }

    /// An axis: `[v1, v2, ...]`, or `{ from = a, to = b }` for the integers a..=b.
    fn axis_values(
        &self,
        item: &Item<'_>,
        key_path: &str,
        param: &Param,
    ) -> Result<Vec<Located>, ConfigError> {
        let line = self.source.line_of(item.span().start);
        let values: Vec<Located> = match item.get_ref() {
            DeValue::Array(values) => values
                .iter()
                .map(|v| self.param_value(v, key_path, &param.kind))
                .collect::<Result<_, _>>()?,
            DeValue::Table(range) => {
                for (key, _) in range.iter() {
                    if !["from", "to"].contains(&key.get_ref().as_ref()) {
                        return Err(self.source.unknown_key(
                            key.span(),
                            key_path,
                            key.get_ref(),
                            "range key",
                            &["from", "to"],
                        ));
                    }
                }
                let bound = |name: &str| -> Result<i64, ConfigError> {
                    let v = range.get(name).ok_or_else(|| {
                        self.source
                            .error(item.span(), key_path, format!("range needs `{name}`"))
                    })?;
                    match self.scalar(v, key_path)? {
                        Value::Int(i) => Ok(i),
                        other => Err(self.source.error(
                            v.span(),
                            key_path,
                            format!("range bounds are integers, found {other}"),
                        )),
                    }
                };
                let (from, to) = (bound("from")?, bound("to")?);
                if to < from || to - from > 10_000 {
                    return Err(self.source.error(
                        item.span(),
                        key_path,
                        format!("range {from}..={to} is empty or too long"),
                    ));
                }
                (from..=to)
                    .map(|v| {
                        let value = check_value(&param.kind, Value::Int(v))
                            .map_err(|msg| self.source.error(item.span(), key_path, msg))?;
                        Ok(Located { value, line })
                    })
                    .collect::<Result<_, _>>()?
            }
            other => {
                return Err(self.source.error(
                    item.span(),
                    key_path,
                    format!(
                        "a sweep axis is an array of values or {{ from, to }}, found {}",
                        other.type_str()
                    ),
                ));
            }
        };
        if values.is_empty() {
            return Err(self.source.error(
                item.span(),
                key_path,
                "empty sweep axis: list at least one value",
            ));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].iter().any(|w| w.value == v.value) {
                return Err(self.source.error(
                    item.span(),
                    key_path,
                    format!("value {} is listed twice", v.value),
                ));
            }
        }
        Ok(values)
    }

    fn override_block(
        &self,
        item: &Item<'_>,
        path: &str,
        schema: &Schema,
    ) -> Result<Override, ConfigError> {
        let table = self.table(item, path)?;
        let when_item = table.get("when").ok_or_else(|| {
            self.source.error(
                item.span(),
                path,
                "an override needs `when = { param = value, ... }`",
            )
        })?;
        let when_table = self.table(when_item, &format!("{path}.when"))?;
        let mut when = Vec::new();
        for (key, value) in when_table.iter() {
            let key_path = format!("{path}.when.{}", key.get_ref());
            let param = self.param_name(key, &key_path, schema.params, &[])?;
            let accepted = match value.get_ref() {
                DeValue::Array(_) => self.axis_values(value, &key_path, param)?,
                _ => vec![self.param_value(value, &key_path, &param.kind)?],
            };
            when.push((param.name, accepted.into_iter().map(|l| l.value).collect()));
        }
        let set = self.assignments_of(table, path, schema.params, &["when"])?;
        if set.is_empty() {
            return Err(self
                .source
                .error(item.span(), path, "this override sets no parameter"));
        }
        Ok(Override { when, set })
    }

    fn method_options(
        &self,
        item: &Item<'_>,
        schema: &Schema,
    ) -> Result<BTreeMap<&'static str, Assignments>, ConfigError> {
        let table = self.table(item, "method_options")?;
        let methods: Vec<&'static str> = schema.method_options.iter().map(|(m, _)| *m).collect();
        let mut out = BTreeMap::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let Some((method, params)) = schema.method_options.iter().find(|(m, _)| *m == name)
            else {
                return Err(self.source.unknown_key(
                    key.span(),
                    "method_options",
                    name,
                    "method with options",
                    &methods,
                ));
            };
            let path = format!("method_options.{method}");
            out.insert(
                *method,
                self.assignments_of(self.table(value, &path)?, &path, params, &[])?,
            );
        }
        Ok(out)
    }
}
