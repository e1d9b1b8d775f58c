//! The open-file handle: jangada's context-manager mode (`with Experiment(path, mode='r+')
//! as exp:`) in Rust.
//!
//! [`open`] (untyped) and [`crate::Persistable::open`] (typed) open a jangada file in one of
//! h5py's modes ([`Mode`]: `r`, `r+`, `w`, `w-`/`x`, `a`; parse them with
//! `"r+".parse::<Mode>()`). The handle reads nothing up front but the root group's header:
//! properties are read when asked — scalars and containers loaded ([`LazyObject::get`],
//! [`LazyObject::prop`]), arrays and times as [`ProxyDataset`]s that read only what is
//! sliced ([`LazyObject::proxy`]). Nested objects are [`LazyObject`] views. `#[derive
//! (Persistable)]` also generates a `<Name>Handle` trait with one method per property
//! (`exp.data()?.append(..)`, `exp.temperature()?`, `exp.set_temperature(..)`).
//!
//! The file is flushed and closed when the handle drops — also when an error made the
//! caller return early; [`Handle::close`] does the same and reports flush errors.
//!
//! Modes `w`, `w-`/`x`, and `a` on a missing file create the file holding, for a typed
//! handle, an object with every property at its default (Python's `Experiment()` saved)
//! and, for an untyped one, an empty dict. (Python jangada fails in these modes: it opens
//! an empty file and finds no `root` group.)

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use jangada_hdf5::{File, Group, LinkTarget, Node};

pub use jangada_hdf5::Mode;

use crate::convert::{FromValue, IntoValue};
use crate::error::{Error, Result};
use crate::file::{save_value, SaveOptions};
use crate::lazy::ProxyDataset;
use crate::mapping::load::load_tree;
use crate::mapping::save::{save_tree, valid_name};
use crate::mapping::{CLASS, CONTAINER_TYPE, ROOT};
use crate::persistable::{Persistable, PropInfo};
use crate::value::{Object, Value};

mod field;
pub use field::LazyField;

/// An open jangada file (`T`: the root object's Rust type, or [`Value`] when untyped).
#[derive(Debug)]
pub struct Handle<T = Value> {
    // `root` is declared first so that it is dropped before the file closes.
    root: Group,
    file: File,
    path: PathBuf,
    mode: Mode,
    _type: PhantomData<fn() -> T>,
}

/// Open a jangada file of any class (jangada's context manager without a class check).
pub fn open(path: impl AsRef<Path>, mode: Mode) -> Result<Handle<Value>> {
    Handle::open_with(path.as_ref(), mode, None, || {
        Ok(Value::Dict(BTreeMap::new()))
    })
}

impl<T: Persistable> Handle<T> {
    /// Open a file holding an object of class `T::CLASS` ([`Error::WrongClass`]
    /// otherwise). Same as [`Persistable::open`].
    pub fn open(path: impl AsRef<Path>, mode: Mode) -> Result<Handle<T>> {
        Handle::open_with(path.as_ref(), mode, Some(T::CLASS), || {
            let empty = Object {
                class: T::CLASS.to_string(),
                props: BTreeMap::new(),
            };
            Ok(Value::Object(T::from_object(empty, ROOT)?.to_object()?))
        })
    }

    /// Load the whole object (every array read).
    pub fn load(&self) -> Result<T> {
        T::from_root(load_tree(&self.file.root()?, ROOT)?)
    }
}

impl<T> Handle<T> {
    fn open_with(
        path: &Path,
        mode: Mode,
        class: Option<&str>,
        initial: impl FnOnce() -> Result<Value>,
    ) -> Result<Handle<T>> {
        let create = match mode {
            Mode::Truncate | Mode::CreateNew => true,
            Mode::Append => !path.exists(),
            Mode::Read | Mode::ReadWrite => false,
        };
        if create {
            let opts = SaveOptions {
                overwrite: mode != Mode::CreateNew,
                use_default_extension: false,
                ..SaveOptions::default()
            };
            save_value(path, &initial()?, &opts)?;
        } else if !path.is_file() {
            return Err(Error::NotFound(path.to_path_buf()));
        }
        let hmode = if mode == Mode::Read {
            Mode::Read
        } else {
            Mode::ReadWrite
        };
        let file = File::open_with(path, hmode)?;
        let top = file.root()?;
        let root = match top.link(ROOT)? {
            None => return Err(Error::Format("the file has no \"root\" group".into())),
            Some(_) => match top.get(ROOT)? {
                Node::Group(g) => g,
                _ => {
                    return Err(Error::Format(
                        "the file's \"root\" is not a group (not an object, dict or list)".into(),
                    ))
                }
            },
        };
        if let Some(expected) = class {
            let found = match load_tree(&root, CLASS) {
                Ok(Value::Str(s)) => s,
                _ => "(no class: not an object)".to_string(),
            };
            if found != expected {
                return Err(Error::WrongClass {
                    expected: expected.to_string(),
                    found,
                });
            }
        }
        Ok(Handle {
            root,
            file,
            path: path.to_path_buf(),
            mode,
            _type: PhantomData,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode it was opened in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether writes are allowed (every mode but `r`).
    pub fn is_writable(&self) -> bool {
        self.mode != Mode::Read
    }

    /// The root object's view.
    pub fn object(&self) -> LazyObject<'_, T> {
        LazyObject::new(
            self.file.clone(),
            self.root.clone(),
            ROOT.to_string(),
            self.is_writable(),
        )
    }

    /// The root's class (`None` for a dict or list).
    pub fn class(&self) -> Result<Option<String>> {
        self.object().class()
    }

    /// The root's item names: properties of an object, keys of a dict, `0`, `1`, ... of a
    /// list (in numeric order).
    pub fn keys(&self) -> Result<Vec<String>> {
        self.object().keys()
    }

    /// A property loaded whole; `name` may be a path into nested containers
    /// (`measurements/0/value`).
    pub fn get(&self, name: &str) -> Result<Value> {
        self.object().get(name)
    }

    /// A property loaded and converted to `V`.
    pub fn prop<V: FromValue>(&self, name: &str) -> Result<V> {
        self.object().prop(name)
    }

    /// Whether a property is stored as `None`.
    pub fn is_none(&self, name: &str) -> Result<bool> {
        self.object().is_none(name)
    }

    /// The lazy proxy of an array or time property (a path, as for [`Handle::get`]).
    pub fn proxy(&self, name: &str) -> Result<ProxyDataset<'_>> {
        self.object().proxy(name)
    }

    /// The view of a nested object, dict or list (untyped).
    pub fn child(&self, name: &str) -> Result<LazyObject<'_, Value>> {
        self.object().child(name)
    }

    /// An item as jangada's context manager gives it: a loaded scalar, a proxy, or a
    /// container view.
    pub fn lazy(&self, name: &str) -> Result<LazyValue<'_>> {
        self.object().lazy(name)
    }

    /// Load the whole file as a value.
    pub fn load_value(&self) -> Result<Value> {
        load_tree(&self.file.root()?, ROOT)
    }

    /// Write everything pending to disk (the handle stays open).
    pub fn flush(&self) -> Result<()> {
        if self.is_writable() {
            self.file.flush()?;
        }
        Ok(())
    }

    /// Flush and close, reporting errors (dropping the handle flushes too, silently).
    pub fn close(self) -> Result<()> {
        let Handle { root, file, .. } = self;
        drop(root);
        Ok(file.close()?)
    }
}

impl<T: Schema> Handle<T> {
    /// Assign a property (`r+`, `a`, `w`): scalars become attributes; arrays, times and
    /// containers replace whatever was stored under the name. A typed handle only
    /// assigns the class's saved properties (the derived `set_<field>` accessors also
    /// check the type, the parser and write-once).
    pub fn set(&self, name: &str, value: impl IntoValue) -> Result<()> {
        self.object().set(name, value)
    }
}

/// Gives the object view behind a handle or a nested object view, for `'h` (the handle's
/// borrow): what the derived `<Name>Handle<'h>` traits build on. Implemented for
/// `&Handle<T>` and `&LazyObject<T>`, so that `f.data()` and `f.settings()?.gain()` work
/// on both and what they return lives as long as the handle, not the temporary view.
pub trait ObjectAccess<'h>: Sized {
    /// The Rust type of the object (its class).
    type Class;
    /// The view.
    fn lazy_object(self) -> LazyObject<'h, Self::Class>;
}

impl<'h, T> ObjectAccess<'h> for &'h Handle<T> {
    type Class = T;
    fn lazy_object(self) -> LazyObject<'h, T> {
        self.object()
    }
}

impl<'h, T> ObjectAccess<'h> for &LazyObject<'h, T> {
    type Class = T;
    fn lazy_object(self) -> LazyObject<'h, T> {
        self.clone()
    }
}

/// Ties a view to the handle's borrow and to its Rust type.
type Marker<'h, T> = PhantomData<(&'h (), fn() -> T)>;

/// A group of an open file (an object, dict or list) seen lazily. Borrows the handle.
#[derive(Debug)]
pub struct LazyObject<'h, T = Value> {
    file: File,
    group: Group,
    at: String,
    writable: bool,
    _h: Marker<'h, T>,
}

impl<T> Clone for LazyObject<'_, T> {
    fn clone(&self) -> Self {
        LazyObject::new(
            self.file.clone(),
            self.group.clone(),
            self.at.clone(),
            self.writable,
        )
    }
}

/// An item as jangada's context manager shows it.
#[derive(Debug)]
pub enum LazyValue<'h> {
    /// A scalar (attribute), loaded.
    Value(Value),
    /// An array or time dataset.
    Proxy(Box<ProxyDataset<'h>>),
    /// A nested object, dict or list.
    Group(LazyObject<'h, Value>),
}

fn split(name: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let last = parts.pop().unwrap_or("");
    (parts, last)
}

fn reserved(name: &str) -> bool {
    name == CLASS || name == CONTAINER_TYPE
}

impl<'h, T> LazyObject<'h, T> {
    fn new(file: File, group: Group, at: String, writable: bool) -> Self {
        LazyObject {
            file,
            group,
            at,
            writable,
            _h: PhantomData,
        }
    }

    /// The same view, untyped.
    pub fn untyped(&self) -> LazyObject<'h, Value> {
        LazyObject::new(
            self.file.clone(),
            self.group.clone(),
            self.at.clone(),
            self.writable,
        )
    }

    /// The group's path in the file (`/root/measurements/0`).
    pub fn group_path(&self) -> &str {
        self.group.path()
    }

    /// The class of the object (`None` for a dict or list).
    pub fn class(&self) -> Result<Option<String>> {
        if !self.group.attrs()?.iter().any(|a| a.name() == CLASS) {
            return Ok(None);
        }
        match load_tree(&self.group, CLASS)? {
            Value::Str(s) => Ok(Some(s)),
            other => Err(Error::Format(format!(
                "{}: {CLASS} is not a class name: {other:?}",
                self.group.path()
            ))),
        }
    }

    /// Item names (numeric order for lists, sorted otherwise).
    pub fn keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self
            .group
            .attrs()?
            .iter()
            .map(|a| a.name().to_string())
            .filter(|n| !reserved(n))
            .collect();
        keys.extend(self.group.links()?.into_iter().map(|l| l.name));
        keys.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        });
        keys.dedup();
        Ok(keys)
    }

    /// The group holding the last part of a path, and that part. A name holding `/` that
    /// is the name of one of this group's attributes (a scalar item whose dict key holds
    /// `/`, which jangada stores as an attribute) is that item, not a path.
    fn locate<'n>(&self, name: &'n str) -> Result<(Group, &'n str, String)> {
        if name.contains('/') && Self::has_attr(&self.group, name)? {
            return Ok((self.group.clone(), name, format!("{}.{name}", self.at)));
        }
        let (dirs, last) = split(name);
        if last.is_empty() {
            return Err(Error::Format(format!(
                "empty property name under {}",
                self.at
            )));
        }
        let mut g = self.group.clone();
        let mut at = self.at.clone();
        for d in dirs {
            if g.link(d)?.is_none() {
                return Err(Error::Format(format!("{at} has no group {d:?}")));
            }
            g = g.group(d)?;
            at = format!("{at}.{d}");
        }
        Ok((g, last, format!("{at}.{last}")))
    }

    fn has_attr(g: &Group, name: &str) -> Result<bool> {
        Ok(g.attrs()?.iter().any(|a| a.name() == name))
    }

    /// An item loaded whole (`name` may be a path: `measurements/0/value`).
    pub fn get(&self, name: &str) -> Result<Value> {
        let (g, last, _) = self.locate(name)?;
        load_tree(&g, last)
    }

    /// An item loaded and converted to `V`.
    pub fn prop<V: FromValue>(&self, name: &str) -> Result<V> {
        let (g, last, at) = self.locate(name)?;
        V::from_value(load_tree(&g, last)?, &at)
    }

    /// Whether an item is stored as `None` (`NoneType:None`); a missing one is an error.
    pub fn is_none(&self, name: &str) -> Result<bool> {
        let (g, last, _) = self.locate(name)?;
        if Self::has_attr(&g, last)? {
            return Ok(load_tree(&g, last)? == Value::None);
        }
        if g.link(last)?.is_some() {
            return Ok(false);
        }
        Err(Error::Format(format!("{} has no item {last:?}", g.path())))
    }

    /// The proxy of an array or time dataset.
    pub fn proxy(&self, name: &str) -> Result<ProxyDataset<'h>> {
        let (g, last, at) = self.locate(name)?;
        if Self::has_attr(&g, last)? {
            let v = load_tree(&g, last)?;
            return Err(Error::Type {
                path: at,
                detail: format!(
                    "expected an array or time dataset, found {} (stored as an attribute)",
                    v.kind()
                ),
            });
        }
        match g.link(last)? {
            None => Err(Error::Format(format!("{} has no item {last:?}", g.path()))),
            Some(l) if !matches!(l.target, LinkTarget::Hard(_)) => Err(Error::Format(format!(
                "{}/{last} is not a hard link, not part of a jangada tree",
                g.path()
            ))),
            Some(_) => match g.get(last)? {
                Node::Dataset(_) => ProxyDataset::open(&g, last, self.writable),
                _ => Err(Error::Type {
                    path: at,
                    detail: "expected an array or time dataset, found a group \
                             (object, dict or list)"
                        .into(),
                }),
            },
        }
    }

    /// The view of a nested group (object, dict or list).
    pub fn child(&self, name: &str) -> Result<LazyObject<'h, Value>> {
        let (g, last, at) = self.locate(name)?;
        if Self::has_attr(&g, last)? || g.link(last)?.is_none() {
            return Err(Error::Type {
                path: at,
                detail: "expected an object, dict or list (a group)".into(),
            });
        }
        match g.get(last)? {
            Node::Group(sub) => Ok(LazyObject::new(self.file.clone(), sub, at, self.writable)),
            _ => Err(Error::Type {
                path: at,
                detail: "expected an object, dict or list, found a dataset".into(),
            }),
        }
    }

    /// The view of a nested object of class `U::CLASS` ([`Error::WrongClass`] otherwise).
    pub fn object<U: Persistable>(&self, name: &str) -> Result<LazyObject<'h, U>> {
        let child = self.child(name)?;
        let found = child.class()?.unwrap_or_else(|| "(no class)".into());
        if found != U::CLASS {
            return Err(Error::WrongClass {
                expected: U::CLASS.to_string(),
                found,
            });
        }
        Ok(LazyObject::new(
            child.file,
            child.group,
            child.at,
            child.writable,
        ))
    }

    /// An item as jangada's context manager shows it.
    pub fn lazy(&self, name: &str) -> Result<LazyValue<'h>> {
        let (g, last, _) = self.locate(name)?;
        if Self::has_attr(&g, last)? {
            return Ok(LazyValue::Value(load_tree(&g, last)?));
        }
        match g.link(last)? {
            None => Err(Error::Format(format!("{} has no item {last:?}", g.path()))),
            Some(_) => match g.get(last)? {
                Node::Dataset(_) => Ok(LazyValue::Proxy(Box::new(self.proxy(name)?))),
                Node::Group(_) => Ok(LazyValue::Group(self.child(name)?)),
                Node::Datatype(_) => Err(Error::Format(format!(
                    "{}/{last} is a committed datatype, not part of a jangada tree",
                    g.path()
                ))),
            },
        }
    }

    /// Refuse assigning a write-once property that holds a value (used by the derived
    /// setters).
    #[doc(hidden)]
    pub fn check_writeonce(&self, class: &str, name: &str) -> Result<()> {
        let (g, last, _) = self.locate(name)?;
        let stored = Self::has_attr(&g, last)? || g.link(last)?.is_some();
        if stored && !self.is_none(name)? {
            return Err(crate::persistable::__private::writeonce(class, name));
        }
        Ok(())
    }
}

impl<T: Schema> LazyObject<'_, T> {
    /// Assign an item. Scalars (`None`, numbers, strings, paths) become attributes;
    /// arrays, times and containers are written as jangada writes them, replacing what
    /// was stored under the name (attribute or member).
    pub fn set(&self, name: &str, value: impl IntoValue) -> Result<()> {
        let (g, last, at) = self.locate(name)?;
        if !self.writable {
            return Err(Error::ReadOnly(at));
        }
        let value = value.to_value()?;
        // An existing attribute whose name holds `/` (see `locate`) takes scalars only.
        let name_ok = if last.contains('/') {
            value.is_scalar()
        } else {
            valid_name(last)
        };
        if !name_ok || reserved(last) {
            return Err(Error::Unsupported(format!(
                "{last:?} cannot be a property name (empty, \".\", containing \"/\", or \
                 reserved by jangada; an existing item whose name holds \"/\" takes only \
                 scalars, stored as attributes)"
            )));
        }
        if let (false, Some((class, props))) = (name.contains('/'), T::schema()) {
            if !props.iter().any(|p| p.name == last && p.copiable) {
                return Err(Error::Type {
                    path: at,
                    detail: format!("class {class} has no saved property {last:?}"),
                });
            }
        }
        crate::mapping::save::check_value(&value, &at)?;
        if !name.contains('/') {
            // A typed view only stores what its class loads back (type, parser).
            T::check_prop(last, &value, &self.at)?;
        }
        // A value replaces whatever the name held, attribute or member.
        if !value.is_scalar() && Self::has_attr(&g, last)? {
            g.delete_attr(last)?;
        }
        if g.link(last)?.is_some() {
            g.unlink(last)?;
        }
        save_tree(&g, last, &value, &SaveOptions::default())?;
        Ok(())
    }
}

/// The properties a typed view may assign (none for untyped views: any name).
pub trait Schema {
    /// The class and its properties; `None`: untyped.
    fn schema() -> Option<(&'static str, &'static [PropInfo])>;

    /// Check that `value` can be stored as the property `name` of an object seen at `at`:
    /// that loading it back gives a value of the class (its type and parser accept it).
    /// Untyped views accept anything.
    fn check_prop(name: &str, value: &Value, at: &str) -> Result<()> {
        let _ = (name, value, at);
        Ok(())
    }
}

impl Schema for Value {
    fn schema() -> Option<(&'static str, &'static [PropInfo])> {
        None
    }
}

impl<T: Persistable> Schema for T {
    fn schema() -> Option<(&'static str, &'static [PropInfo])> {
        Some((T::CLASS, T::PROPERTIES))
    }

    fn check_prop(name: &str, value: &Value, at: &str) -> Result<()> {
        let obj = Object {
            class: T::CLASS.to_string(),
            props: BTreeMap::from([(name.to_string(), value.clone())]),
        };
        T::from_object(obj, at).map(|_| ())
    }
}

/// `LazyField` of a nested persistable struct (called by the derived impls).
#[doc(hidden)]
pub fn lazy_object<'h, U: Persistable>(
    obj: &LazyObject<'h, Value>,
    name: &str,
) -> Result<LazyObject<'h, U>> {
    obj.object::<U>(name)
}
