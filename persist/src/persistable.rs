//! Typed persistence: the [`Persistable`] trait (jangada's `Serializable` + `Persistable`
//! for Rust structs), implemented by `#[derive(Persistable)]`, and the class [`registry`].
//!
//! A persistable struct is an object of a class (`module.QualName`) whose properties are its
//! fields. It converts to a [`Value::Object`] (only *copiable* properties are included —
//! jangada's "non-copiable properties are neither copied nor saved") and back (missing
//! properties take their default; unknown ones are an error, as in jangada).
//!
//! - Saving goes through [`crate::file::save_value`], loading through [`crate::file::load`].
//! - A typed load checks the stored `__class__`: a different class is [`Error::WrongClass`].
//! - Typed loads need no registry; [`registry`] only serves code that wants to turn a
//!   generically loaded value back into whichever registered Rust type its class names
//!   (Python's module-level `load`).
//!
//! # `#[derive(Persistable)]`
//!
//! Struct attributes: `#[jangada(class = "module.Name")]` (default: `module_path!()` plus
//! the type name, `::` replaced by `.`, e.g. `my_crate.experiments.Experiment`),
//! `#[jangada(extension = ".h5")]`, `#[jangada(no_default)]`, `#[jangada(no_handle)]`.
//!
//! Field attributes (jangada's `SerializableProperty` options):
//!
//! | attribute | meaning |
//! |---|---|
//! | `default = EXPR` | default value; a string literal holds the expression's source (`default = "\"\""` for an empty string) and goes through `Into` |
//! | `default_fn = path` | default from `path()` (jangada's callable default) |
//! | (none) | `Default::default()` — a field type without `Default` needs one of the two above |
//! | `copiable = false` | neither saved nor copied (loaded if a file has it; otherwise its default) |
//! | `writeonce` | `set_<field>` fails once the field holds a non-`None` value |
//! | `parser = path` | `fn(T) -> Result<T, E: ToString>`, run by `set_<field>` and on load (not on defaults) |
//! | `rename = "name"` | the property's name in the file |
//! | `skip` | not a property at all: never saved, loaded or copied; takes its default |
//!
//! Generated: [`IntoValue`], [`FromValue`], [`PropCopy`], [`Persistable`], `Default` (every
//! field at its default, like Python's `Experiment()`; opt out with `no_default`), and one
//! `set_<field>(&mut self, value) -> Result<()>` per property with the struct's visibility.
//! Fields stay ordinary fields: direct assignment bypasses parsers and write-once, so keep a
//! field private when its checks matter.
//!
//! Also generated (unless `no_handle`): [`crate::LazyField`] for the struct (a nested
//! object seen through an open file is a [`crate::LazyObject`]) and a trait
//! `<Name>Handle<'h>` implemented for `&Handle<Name>` and `&LazyObject<Name>`, with one
//! accessor per saved property — `fn data(self) -> Result<<T as LazyField>::Lazy<'h>>`
//! (a [`crate::ProxyDataset`] for arrays and times, loaded values otherwise) — and one
//! `set_<field>(self, value) -> Result<()>` that writes to the file (running the parser and
//! the write-once check). Field types must implement [`crate::LazyField`]; for your own
//! [`FromValue`] types use `jangada::lazy_loaded!(MyType)`.

use std::path::{Path, PathBuf};

pub use crate::convert::{FromValue, IntoValue, PropCopy};
use crate::error::{Error, Result};
use crate::file::{self, SaveOptions};
use crate::value::{Object, Value};

/// What the derive knows about one property (jangada's `SerializableProperty` options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropInfo {
    /// Name in the file (the field name unless renamed).
    pub name: &'static str,
    /// The Rust field.
    pub field: &'static str,
    /// Copied by [`Persistable::copy`] and saved (`copiable = false`: neither).
    pub copiable: bool,
    /// Its setter refuses a new value once the property holds a non-`None` value.
    pub writeonce: bool,
    /// A parser/validator runs on assignment (setter) and on load.
    pub parser: bool,
    /// The filter pipeline of an array property, in [`crate::Compression`]'s text form
    /// (`#[jangada(compression = "zstd:3")]`; `compression = 4` is `"shuffle,gzip:4"`).
    pub compression: Option<&'static str>,
    /// Chunk shape for an array property (`#[jangada(chunks = [100, 10])]`); empty: h5py's
    /// guess.
    pub chunks: &'static [u64],
}

/// A Rust type stored as a jangada object. Implement it with `#[derive(Persistable)]`.
///
/// ```ignore
/// #[derive(jangada::Persistable, Debug, Clone, PartialEq)]
/// #[jangada(class = "mymodule.Experiment")]
/// struct Experiment {
///     #[jangada(default = "\"\"")] name: String,
///     #[jangada(default = 293.15)] temperature: f64,
///     data: Option<ndarray::ArrayD<f64>>,
///     #[jangada(copiable = false)] cache: Option<jangada::Value>,
/// }
/// let path = Experiment::default().save("experiment")?;   // "experiment.hdf5"
/// let exp = Experiment::load(&path)?;
/// ```
pub trait Persistable: IntoValue + FromValue {
    /// The fully qualified class name stored in `__class__` (`module.QualName`).
    const CLASS: &'static str;
    /// The file extension `save` appends (jangada's class attribute `extension`).
    const EXTENSION: &'static str = file::DEFAULT_EXTENSION;
    /// Every property, in declaration order (jangada's `serializable_properties`).
    const PROPERTIES: &'static [PropInfo];

    /// The object: its class and its copiable properties.
    fn to_object(&self) -> Result<Object>;

    /// Builds the value from an object's properties (the class is not checked here);
    /// `path` names the object in error messages. Missing properties take their default,
    /// unknown ones are an [`Error::Type`], parsers run on the loaded values.
    fn from_object(obj: Object, path: &str) -> Result<Self>;

    /// An independent copy holding only the copiable properties; the others take their
    /// default (jangada's `copy()`). Nested persistable values are copied the same way.
    fn copy(&self) -> Self;

    /// The copiable properties (jangada's `copiable_properties`).
    fn copiable_properties() -> Vec<&'static str> {
        Self::PROPERTIES
            .iter()
            .filter(|p| p.copiable)
            .map(|p| p.name)
            .collect()
    }

    /// jangada's `__eq__`: equal when every copiable property is equal (non-copiable ones,
    /// such as caches, are ignored). `false` if either side cannot be converted.
    fn eq_props(&self, other: &Self) -> bool {
        match (self.to_object(), other.to_object()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// Saves to `path` with jangada's defaults (overwrite, append the class extension);
    /// returns the path written.
    fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        self.save_with(path, true, true)
    }

    /// Saves with jangada's `save(path, overwrite, use_default_extension)` options.
    fn save_with(
        &self,
        path: impl AsRef<Path>,
        overwrite: bool,
        use_default_extension: bool,
    ) -> Result<PathBuf> {
        let opts = SaveOptions {
            overwrite,
            use_default_extension,
            extension: Self::EXTENSION.to_string(),
            ..SaveOptions::default()
        };
        self.save_opts(path, &opts)
    }

    /// Saves with explicit options (compression, ...). `opts.extension` is used as given.
    fn save_opts(&self, path: impl AsRef<Path>, opts: &SaveOptions) -> Result<PathBuf> {
        let value = Value::Object(self.to_object()?);
        let mut opts = opts.clone();
        for p in Self::PROPERTIES {
            if p.compression.is_some() || !p.chunks.is_empty() {
                let compression = p
                    .compression
                    .map(|spec| {
                        file::Compression::parse(spec).map_err(|e| Error::Invalid {
                            property: p.name.to_string(),
                            detail: e.to_string(),
                        })
                    })
                    .transpose()?;
                opts.fields
                    .entry(format!("/{}/{}", crate::mapping::ROOT, p.name))
                    .or_insert_with(|| file::ArrayStorage {
                        compression,
                        chunks: (!p.chunks.is_empty()).then(|| p.chunks.to_vec()),
                    });
            }
        }
        file::save_value(path.as_ref(), &value, &opts)
    }

    /// Opens a file holding an object of this class lazily, in one of h5py's modes
    /// (jangada's `with Experiment(path, mode='r+') as exp:`); see [`crate::handle`].
    /// The derived `<Name>Handle` trait adds one accessor per property to the handle.
    fn open(path: impl AsRef<Path>, mode: crate::Mode) -> Result<crate::Handle<Self>> {
        crate::Handle::open(path, mode)
    }

    /// Loads a file holding an object of this class ([`Error::WrongClass`] otherwise).
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_root(file::load(path)?)
    }

    /// Converts a whole loaded file's value (the root object): checks the class, then
    /// [`Persistable::from_object`] with path `root`.
    fn from_root(value: Value) -> Result<Self> {
        match value {
            Value::Object(obj) => {
                if obj.class != Self::CLASS {
                    return Err(Error::WrongClass {
                        expected: Self::CLASS.to_string(),
                        found: obj.class,
                    });
                }
                Self::from_object(obj, "root")
            }
            other => Err(crate::convert::type_error(
                "root",
                &format!("object {}", Self::CLASS),
                &other,
            )),
        }
    }
}

/// `FromValue` for a nested persistable struct: the value must be an object of exactly
/// class `T::CLASS`. Called by the derived `FromValue` impls.
pub fn object_from_value<T: Persistable>(v: Value, path: &str) -> Result<T> {
    match v {
        Value::Object(obj) if obj.class == T::CLASS => T::from_object(obj, path),
        other => Err(crate::convert::type_error(
            path,
            &format!("object {}", T::CLASS),
            &other,
        )),
    }
}

pub mod registry {
    //! An explicit class registry, the Rust counterpart of jangada's metaclass registry.
    //!
    //! Rust has no life-before-main, so classes are registered by calling [`register`]
    //! (e.g. at the start of `main`). Typed loads ([`super::Persistable::load`]) do not
    //! need it; it serves [`from_value`] / [`load`], which turn a value of any registered
    //! class into its Rust type (boxed as `dyn Any`), like Python's `jangada.load`.

    use std::any::Any;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::{Mutex, OnceLock};

    use super::Persistable;
    use crate::error::{Error, Result};
    use crate::value::Value;

    type Loader = fn(Value) -> Result<Box<dyn Any + Send>>;

    fn table() -> &'static Mutex<BTreeMap<&'static str, Loader>> {
        static TABLE: OnceLock<Mutex<BTreeMap<&'static str, Loader>>> = OnceLock::new();
        TABLE.get_or_init(|| Mutex::new(BTreeMap::new()))
    }

    fn loader<T: Persistable + Send + 'static>(v: Value) -> Result<Box<dyn Any + Send>> {
        T::from_root(v).map(|t| Box::new(t) as Box<dyn Any + Send>)
    }

    fn lookup(class: &str) -> Option<Loader> {
        let guard = match table().lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.get(class).copied()
    }

    /// Registers `T` under `T::CLASS` (registering again replaces the previous type).
    pub fn register<T: Persistable + Send + 'static>() {
        let mut guard = match table().lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.insert(T::CLASS, loader::<T>);
    }

    /// Whether a class name is registered.
    pub fn is_registered(class: &str) -> bool {
        lookup(class).is_some()
    }

    /// The registered class names, sorted.
    pub fn classes() -> Vec<&'static str> {
        let guard = match table().lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.keys().copied().collect()
    }

    /// Converts a root value into the registered type its class names; values of
    /// unregistered classes (and non-objects) come back as the [`Value`] itself.
    pub fn from_value(v: Value) -> Result<Box<dyn Any + Send>> {
        let class = match &v {
            Value::Object(o) => o.class.clone(),
            _ => return Ok(Box::new(v)),
        };
        match lookup(&class) {
            Some(load) => load(v),
            None => Ok(Box::new(v)),
        }
    }

    /// Loads any jangada file: an object of a registered class as its Rust type, anything
    /// else as a [`Value`]. Downcast with `Box::<dyn Any>::downcast::<T>()`.
    pub fn load(path: impl AsRef<Path>) -> Result<Box<dyn Any + Send>> {
        from_value(crate::file::load(path)?)
    }

    /// Loads a file and downcasts to `T`, which must be registered or be the file's class.
    pub fn load_as<T: Persistable + 'static>(path: impl AsRef<Path>) -> Result<T> {
        let any = load(path)?;
        match any.downcast::<T>() {
            Ok(t) => Ok(*t),
            Err(any) => match any.downcast::<Value>() {
                Ok(v) => T::from_root(*v),
                Err(_) => Err(Error::Format(format!(
                    "the file holds a registered class other than {}",
                    T::CLASS
                ))),
            },
        }
    }
}

#[doc(hidden)]
pub mod __private {
    //! Support for the code `#[derive(Persistable)]` generates. Not a public API.

    pub use crate::convert::{prop_path, type_error};
    pub use std::collections::BTreeMap;

    /// Length of `s` with every `::` replaced by `.`.
    pub const fn dotted_len(s: &str) -> usize {
        let mut rest = s.as_bytes();
        let mut n = 0;
        loop {
            rest = match rest {
                [b':', b':', after @ ..] => after,
                [_, after @ ..] => after,
                [] => return n,
            };
            n += 1;
        }
    }

    /// `s` with every `::` replaced by `.` (turns `module_path!()` into a Python-style
    /// qualified name at compile time).
    ///
    /// Only ever evaluated in const context (the derive's `const` items), where an
    /// out-of-bounds index would be a compile error, never a run-time panic; the loop
    /// condition bounds the index by `N` anyway.
    #[allow(clippy::indexing_slicing)]
    pub const fn dotted<const N: usize>(s: &str) -> [u8; N] {
        let mut rest = s.as_bytes();
        let mut out = [0u8; N];
        let mut n = 0;
        while n < N {
            let (byte, after) = match rest {
                [b':', b':', after @ ..] => (b'.', after),
                [b, after @ ..] => (*b, after),
                [] => break,
            };
            out[n] = byte;
            rest = after;
            n += 1;
        }
        out
    }

    /// Interprets the bytes made by [`dotted`] (always UTF-8: only ASCII `::` pairs change).
    pub const fn as_str<'a>(bytes: &'a [u8], fallback: &'a str) -> &'a str {
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => fallback,
        }
    }

    /// The error of a parser that rejected a value.
    pub fn invalid(class: &str, prop: &str, detail: impl ToString) -> crate::Error {
        crate::Error::Invalid {
            property: format!("{class}.{prop}"),
            detail: detail.to_string(),
        }
    }

    /// The error of a property the struct does not have.
    pub fn unknown_prop(path: &str, class: &str, name: &str) -> crate::Error {
        crate::Error::Type {
            path: prop_path(path, name),
            detail: format!("class {class} has no property {name:?}"),
        }
    }

    /// The error of an assignment to a write-once property already set.
    pub fn writeonce(class: &str, prop: &str) -> crate::Error {
        invalid(
            class,
            prop,
            "is a write-once property and has already been set",
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::__private::{as_str, dotted, dotted_len};

    #[test]
    fn dotted_names() {
        const RAW: &str = "my_crate::sub::mod::Experiment";
        const LEN: usize = dotted_len(RAW);
        const BYTES: [u8; LEN] = dotted::<LEN>(RAW);
        assert_eq!(as_str(&BYTES, RAW), "my_crate.sub.mod.Experiment");
        assert_eq!(dotted_len(""), 0);
        assert_eq!(dotted_len("a:b"), 3);
        assert_eq!(&dotted::<3>("a:b"), b"a:b");
        assert_eq!(&dotted::<2>("::x"), b".x");
        // A too-short buffer truncates instead of failing.
        assert_eq!(&dotted::<2>("abc"), b"ab");
    }
}
