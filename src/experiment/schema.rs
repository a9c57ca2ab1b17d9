//! Typed parameter schemas: what each experiment kind accepts, with its type, range,
//! default and meaning. The schema is the single place where defaults live; `repro check`
//! prints it, and every value read from a file is checked against it.

use std::fmt;

/// A parameter value after validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Value {
    pub fn as_int(&self) -> i64 {
        match self {
            Value::Int(v) => *v,
            other => panic!("schema guarantees an integer, found {other}"),
        }
    }

    pub fn as_float(&self) -> f64 {
        match self {
            Value::Float(v) => *v,
            Value::Int(v) => *v as f64,
            other => panic!("schema guarantees a number, found {other}"),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Value::Str(v) => v,
            other => panic!("schema guarantees a string, found {other}"),
        }
    }

    pub fn as_bool(&self) -> bool {
        match self {
            Value::Bool(v) => *v,
            other => panic!("schema guarantees a boolean, found {other}"),
        }
    }

    /// The value as a TOML literal (used in `config.toml` and for hashing).
    pub fn to_toml(&self) -> toml::Value {
        match self {
            Value::Int(v) => toml::Value::Integer(*v),
            Value::Float(v) => toml::Value::Float(*v),
            Value::Bool(v) => toml::Value::Boolean(*v),
            Value::Str(v) => toml::Value::String(v.clone()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(v) => write!(f, "\"{v}\""),
        }
    }
}

/// The type and admissible range of a parameter.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A finite float in `min..=max` (integers are accepted and widened).
    Float {
        min: f64,
        max: f64,
    },
    Bool,
    /// One of a closed set of names.
    Choice(&'static [&'static str]),
    /// Any string (a folder, a name).
    Text,
}

impl Kind {
    pub fn describe(&self) -> String {
        match self {
            Kind::Int { min, max } => format!("integer in [{min}, {max}]"),
            Kind::Float { min, max } => format!("number in [{min}, {max}]"),
            Kind::Bool => "true or false".into(),
            Kind::Choice(names) => format!("one of {}", names.join(", ")),
            Kind::Text => "a string".into(),
        }
    }
}

/// A schema default, spelled as a constant.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'static str),
}

impl Default {
    pub fn value(self) -> Value {
        match self {
            Default::Int(v) => Value::Int(v),
            Default::Float(v) => Value::Float(v),
            Default::Bool(v) => Value::Bool(v),
            Default::Str(v) => Value::Str(v.to_string()),
        }
    }
}

/// One parameter of an experiment kind.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Default,
    /// Meaning, unit and typical value; printed by `repro check --schema`.
    pub doc: &'static str,
}

/// What an experiment kind accepts: cell parameters, and per-method option tables
/// (`[method_options.<method>]`) whose keys are only valid for that method.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub params: &'static [Param],
    /// The parameter that selects the method (its `Kind` must be a `Choice`).
    pub method_param: &'static str,
    pub method_options: &'static [(&'static str, &'static [Param])],
}

impl Schema {
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn param_names(&self) -> Vec<&'static str> {
        self.params.iter().map(|p| p.name).collect()
    }

    pub fn options_of(&self, method: &str) -> &'static [Param] {
        self.method_options
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, params)| *params)
            .unwrap_or(&[])
    }
}

/// Why a raw value does not fit a parameter.
pub fn check_value(kind: &Kind, value: Value) -> Result<Value, String> {
    match (kind, value) {
        (Kind::Int { min, max }, Value::Int(v)) => {
            if (*min..=*max).contains(&v) {
                Ok(Value::Int(v))
            } else {
                Err(format!(
                    "{v} is out of range: expected an {}",
                    kind.describe()
                ))
            }
        }
        (Kind::Float { .. }, Value::Int(v)) => check_value(kind, Value::Float(v as f64)),
        (Kind::Float { min, max }, Value::Float(v)) => {
            if v.is_finite() && *min <= v && v <= *max {
                Ok(Value::Float(v))
            } else {
                // `{:?}` writes 1e308 as such, not as 309 digits.
                Err(format!(
                    "{v:?} is out of range: expected a {}",
                    kind.describe()
                ))
            }
        }
        (Kind::Bool, Value::Bool(v)) => Ok(Value::Bool(v)),
        (Kind::Choice(names), Value::Str(v)) => {
            if names.contains(&v.as_str()) {
                Ok(Value::Str(v))
            } else {
                let hint = super::error::closest(&v, names)
                    .map(|c| format!("; did you mean \"{c}\"?"))
                    .unwrap_or_default();
                Err(format!("\"{v}\" is not {}{hint}", kind.describe()))
            }
        }
        (Kind::Text, Value::Str(v)) => Ok(Value::Str(v)),
        (kind, value) => Err(format!(
            "expected {}, found {}",
            kind.describe(),
            type_name(&value)
        )),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Bool(_) => "a boolean",
        Value::Str(_) => "a string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_widen_to_floats_but_not_the_reverse() {
        let prob = Kind::Float { min: 0.0, max: 1.0 };
        assert_eq!(check_value(&prob, Value::Int(1)), Ok(Value::Float(1.0)));
        let steps = Kind::Int { min: 1, max: 10 };
        assert!(
            check_value(&steps, Value::Float(2.0))
                .unwrap_err()
                .contains("found a float")
        );
    }

    #[test]
    fn ranges_are_inclusive_and_enforced() {
        let prob = Kind::Float { min: 0.0, max: 1.0 };
        assert!(
            check_value(&prob, Value::Float(1.5))
                .unwrap_err()
                .contains("out of range")
        );
        assert!(check_value(&prob, Value::Float(f64::NAN)).is_err());
        let steps = Kind::Int { min: 1, max: 10 };
        assert!(
            check_value(&steps, Value::Int(-3))
                .unwrap_err()
                .contains("out of range")
        );
        assert_eq!(check_value(&steps, Value::Int(10)), Ok(Value::Int(10)));
    }

    #[test]
    fn choices_suggest_the_closest_name() {
        let method = Kind::Choice(&["rft", "uft", "uft_cosine"]);
        let err = check_value(&method, Value::Str("utf_cosine".into())).unwrap_err();
        assert!(err.contains("did you mean \"uft_cosine\""), "{err}");
    }
}
