//! Small helpers on [`Value`] used by the typed conversions (`convert`, `persistable`).

use crate::value::{ArrayValue, CustomDataset, Object, Value};

impl Value {
    /// Whether the value is a scalar, which jangada stores as an attribute (None, bool,
    /// int, float, complex, str, Path); the others are groups or datasets.
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::None
                | Value::Bool(_)
                | Value::Int(_)
                | Value::UInt(_)
                | Value::Float(_)
                | Value::Complex(..)
                | Value::Str(_)
                | Value::Path(_)
        )
    }

    /// A short name of the value's kind, for error messages (`"int"`, `"list"`,
    /// `"object mymodule.Experiment"`, `"array <f8"`, ...).
    pub fn kind(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::UInt(_) => "uint64".into(),
            Value::Float(_) => "float".into(),
            Value::Complex(..) => "complex".into(),
            Value::Str(_) => "str".into(),
            Value::Path(_) => "Path".into(),
            Value::List(_) => "list".into(),
            Value::Dict(_) => "dict".into(),
            Value::Object(o) => format!("object {}", o.class),
            Value::Array(a) => format!("array {}", a.dtype_str()),
            Value::Timestamp(_) => "Timestamp".into(),
            Value::DatetimeIndex(_) => "DatetimeIndex".into(),
            Value::Custom(c) => format!("dataset {}", c.dataset_type),
        }
    }

    /// True for [`Value::None`].
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The object, when the value is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, when the value is one.
    pub fn as_array(&self) -> Option<&ArrayValue> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The custom dataset, when the value is one.
    pub fn as_custom(&self) -> Option<&CustomDataset> {
        match self {
            Value::Custom(c) => Some(c),
            _ => None,
        }
    }
}

/// `Value::None`, jangada's default for a property without one.
impl Default for Value {
    fn default() -> Self {
        Value::None
    }
}

#[cfg(test)]
mod scalar_tests {
    use super::*;

    #[test]
    fn scalars_are_the_attribute_kinds() {
        let scalars = [
            Value::None,
            Value::Bool(true),
            Value::Int(-1),
            Value::UInt(1),
            Value::Float(0.5),
            Value::Complex(1.0, 2.0),
            Value::Str("s".into()),
            Value::Path("/tmp".into()),
        ];
        assert!(scalars.iter().all(Value::is_scalar));
        let others = [
            Value::List(Vec::new()),
            Value::Dict(Default::default()),
            Value::Object(Object {
                class: "m.C".into(),
                props: Default::default(),
            }),
        ];
        assert!(!others.iter().any(Value::is_scalar));
    }
}
