//! Custom dataset types: the names the generic loader accepts as `__dataset_type__`
//! besides numpy's and pandas' (Python's `Serializable.register_dataset_type` registry,
//! by name only: the Rust side of `disassemble`/`assemble` is an
//! [`IntoValue`](crate::IntoValue)/[`FromValue`](crate::FromValue) pair producing and
//! consuming [`Value::Custom`](crate::Value::Custom)).
//!
//! The registry is process-wide (as Python's class-level `_dataset_types`).

use std::collections::BTreeSet;
use std::sync::{PoisonError, RwLock};

use super::{DATETIME_INDEX, DATETIME_INDEX_OLD, NDARRAY, TIMESTAMP, TIMESTAMP_OLD};

static REGISTERED: RwLock<BTreeSet<String>> = RwLock::new(BTreeSet::new());

/// The `__dataset_type__` names jangada itself handles (numpy arrays, pandas times).
pub const BUILTIN: [&str; 5] = [
    NDARRAY,
    TIMESTAMP,
    TIMESTAMP_OLD,
    DATETIME_INDEX,
    DATETIME_INDEX_OLD,
];

/// Whether `name` is one of jangada's own dataset types ([`BUILTIN`]).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN.contains(&name)
}

/// Make `name` (a type's fully qualified name, `module.QualName`, as Python's
/// `get_full_qualified_name` gives it) a known dataset type: datasets whose
/// `__dataset_type__` is `name` then load as [`Value::Custom`](crate::Value::Custom)
/// instead of being an error. Registering a built-in name or a name twice changes
/// nothing.
pub fn register_dataset_type(name: &str) {
    if is_builtin(name) {
        return;
    }
    REGISTERED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.to_string());
}

/// Forget a registration made with [`register_dataset_type`] (Python's
/// `remove_dataset_type`); built-in types cannot be removed.
pub fn remove_dataset_type(name: &str) {
    REGISTERED
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(name);
}

/// Whether datasets of type `name` load: a built-in type or a registered one (Python's
/// `is_dataset_type`, by name).
pub fn is_dataset_type(name: &str) -> bool {
    is_builtin(name)
        || REGISTERED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
}

/// The registered custom names (built-ins excluded), sorted.
pub fn registered_dataset_types() -> Vec<String> {
    REGISTERED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn registry_by_name() {
        assert!(is_dataset_type("numpy.ndarray"));
        assert!(is_dataset_type(
            "pandas.core.indexes.datetimes.DatetimeIndex"
        ));
        assert!(!is_dataset_type("unit_test_registry.Thing"));
        register_dataset_type("unit_test_registry.Thing");
        register_dataset_type("unit_test_registry.Thing");
        assert!(is_dataset_type("unit_test_registry.Thing"));
        assert!(registered_dataset_types().contains(&"unit_test_registry.Thing".to_string()));
        remove_dataset_type("unit_test_registry.Thing");
        assert!(!is_dataset_type("unit_test_registry.Thing"));
        register_dataset_type("numpy.ndarray");
        assert!(!registered_dataset_types().contains(&"numpy.ndarray".to_string()));
        remove_dataset_type("numpy.ndarray");
        assert!(is_dataset_type("numpy.ndarray"));
    }
}
