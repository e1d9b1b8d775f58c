//! Small helpers on [`Value`] used by the typed conversions (`convert`, `persistable`).

use crate::value::{ArrayValue, CustomDataset, Object, Value};

impl Value {
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
