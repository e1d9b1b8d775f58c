//! [`ProxyDataset`]: jangada's `Persistable.ProxyDataset`, the lazy view of an array or time
//! dataset of a file opened with [`crate::open`] (the context-manager mode).
//!
//! Nothing is read until asked: [`ProxyDataset::shape`], [`ProxyDataset::dtype`], ... come
//! from the dataset's object header; [`ProxyDataset::get`] reads only the chunks a
//! selection touches; [`ProxyDataset::set`] grows axis 0 when writing past the end (the
//! seed's "auto-resizing" example); [`ProxyDataset::append`] writes only the new elements.
//!
//! Differences from jangada, where jangada is plainly wrong or silent:
//! - auto-resizing grows axis 0 to exactly the last position written (jangada resizes a
//!   slice assignment `d[a:b] = x` to `b + 1`, one element too many);
//! - a mismatch (an element type that does not convert without loss — numpy's "safe"
//!   casting —, another time zone, plain numbers written to a time dataset, a 0-d or
//!   non-resizable dataset) is an [`Error::Mismatch`] naming the dataset, not an
//!   `AssertionError` or a silent lossy numpy cast;
//! - writing through a file opened with `r` is an [`Error::ReadOnly`].
//!
//! A proxy borrows the handle it came from (lifetime `'h`): it cannot outlive the open
//! file.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use jangada_hdf5::{
    describe, numpy_str, Dataset, Group, H5Type, H5Write, Selection, SliceArg, TypeClass,
};
use ndarray::{ArrayBase, ArrayD, Axis, Data, Dimension, IxDyn};

use crate::error::{Error, Result};
use crate::mapping::load::{dataset_type, load_attr, DatasetType};
use crate::mapping::{time, DATASET_TYPE};
use crate::value::{ArrayValue, CustomDataset, DatetimeIndex, Timestamp, Value};

mod dtype;
mod text;
use dtype::dtype_str;
use dtype::safe_cast;
pub use dtype::H5Elem;
pub use jangada_hdf5::{IntoSelection, IntoSliceArg};

/// A lazily read (and, in `r+`/`a`/`w` mode, written) dataset of an open file: an array
/// (`numpy.ndarray`), a time value (`pandas.Timestamp`, `pandas.DatetimeIndex`) or a
/// registered custom dataset type (read and written as its array; [`ProxyDataset::get_value`]
/// gives a [`Value::Custom`] of the selection with the dataset's attributes).
#[derive(Debug)]
pub struct ProxyDataset<'h> {
    parent: Group,
    name: String,
    ds: Dataset,
    kind: DatasetType,
    type_name: String,
    attrs: BTreeMap<String, Value>,
    tz: Option<String>,
    writable: bool,
    _handle: PhantomData<&'h ()>,
}

impl<'h> ProxyDataset<'h> {
    /// The proxy of `parent/name` (which must be a jangada dataset).
    pub(crate) fn open(parent: &Group, name: &str, writable: bool) -> Result<ProxyDataset<'h>> {
        let ds = parent.dataset(name)?;
        let kind = dataset_type(&ds)?;
        let mut attrs = BTreeMap::new();
        let mut type_name = String::new();
        for a in ds.attrs()? {
            let v = load_attr(&a, ds.path())?;
            if a.name() == DATASET_TYPE {
                if let Value::Str(s) = &v {
                    type_name.clone_from(s);
                }
            } else {
                attrs.insert(a.name().to_string(), v);
            }
        }
        let tz = match kind {
            DatasetType::NdArray | DatasetType::Custom => None,
            DatasetType::Timestamp | DatasetType::DatetimeIndex => {
                crate::mapping::load::timezone(&ds)?
            }
        };
        if kind.is_time() && numpy_str(ds.dtype()).as_deref() != Some("<i8") {
            return Err(Error::Format(format!(
                "time dataset {} holds {} elements, not int64 nanoseconds",
                ds.path(),
                describe(ds.dtype())
            )));
        }
        Ok(ProxyDataset {
            parent: parent.clone(),
            name: name.to_string(),
            ds,
            kind,
            type_name,
            attrs,
            tz,
            writable,
            _handle: PhantomData,
        })
    }

    /// The dataset as the file holds it now (another proxy may have resized it).
    fn current(&self) -> Result<Dataset> {
        if self.writable {
            Ok(self.parent.dataset(&self.name)?)
        } else {
            Ok(self.ds.clone())
        }
    }

    fn now(&self) -> Dataset {
        self.current().unwrap_or_else(|_| self.ds.clone())
    }

    /// The dataset's path in the file (`/root/data`).
    pub fn path(&self) -> &str {
        self.ds.path()
    }

    /// What the dataset stores (its `__dataset_type__`).
    pub fn kind(&self) -> DatasetType {
        self.kind
    }

    /// The stored `__dataset_type__` (`numpy.ndarray`, `pandas.Timestamp`, ...).
    pub fn dataset_type(&self) -> &str {
        &self.type_name
    }

    /// The dataset's attributes as values, `__dataset_type__` excluded (jangada's
    /// `ProxyDataset.attrs`: `{}` for arrays, `{"timezone": ...}` for times).
    pub fn attrs(&self) -> &BTreeMap<String, Value> {
        &self.attrs
    }

    /// The time zone of a time dataset (`None`: naive, or not a time dataset).
    pub fn timezone(&self) -> Option<&str> {
        self.tz.as_deref()
    }

    /// The current shape.
    pub fn shape(&self) -> Vec<usize> {
        self.now()
            .shape()
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
            .collect()
    }

    /// numpy's `dtype.str` of the elements (`"<f8"`, `"|b1"`, `"<c16"`, `"str"` for
    /// variable-length strings; as `dump --json` writes DT). Time datasets are `"<i8"`.
    pub fn dtype(&self) -> String {
        dtype_str(&self.ds)
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.now().shape().len()
    }

    /// Number of elements.
    pub fn size(&self) -> u64 {
        self.now().size()
    }

    /// Bytes of the elements (`size * itemsize`; variable-length strings count their
    /// 16-byte references, as h5py does).
    pub fn nbytes(&self) -> u64 {
        let d = self.now();
        d.size().saturating_mul(d.dtype().size() as u64)
    }

    /// Whether the dataset can grow along axis 0 (chunked, `maxshape[0]` unlimited or
    /// larger than the current length).
    pub fn is_resizable(&self) -> bool {
        let d = self.now();
        match (d.maxshape().first(), d.shape().first()) {
            (Some(None), Some(_)) => true,
            (Some(Some(max)), Some(len)) => max > len,
            _ => false,
        }
    }

    // ---------------------------------------------------------------- reading

    /// A selection read as `T` (numeric conversions as h5py does them; a time dataset
    /// gives its stored wall-clock nanoseconds, see [`ProxyDataset::get_timestamps`]).
    pub fn get<T: H5Type>(&self, sel: impl IntoSelection) -> Result<ArrayD<T>> {
        Ok(self.current()?.read_slice::<T>(&sel.into_selection()?)?)
    }

    /// A selection as an array of the stored element type.
    pub fn get_dyn(&self, sel: impl IntoSelection) -> Result<ArrayValue> {
        let ds = self.current()?;
        let sel = sel.into_selection()?;
        let dt = dtype_str(&ds);
        let t = dt.trim_start_matches(['<', '>', '|', '=']);
        Ok(match t {
            "i1" => ArrayValue::I8(ds.read_slice(&sel)?),
            "i2" => ArrayValue::I16(ds.read_slice(&sel)?),
            "i4" => ArrayValue::I32(ds.read_slice(&sel)?),
            "i8" => ArrayValue::I64(ds.read_slice(&sel)?),
            "u1" => ArrayValue::U8(ds.read_slice(&sel)?),
            "u2" => ArrayValue::U16(ds.read_slice(&sel)?),
            "u4" => ArrayValue::U32(ds.read_slice(&sel)?),
            "u8" => ArrayValue::U64(ds.read_slice(&sel)?),
            "f2" => ArrayValue::F16(ds.read_slice(&sel)?),
            "f4" => ArrayValue::F32(ds.read_slice(&sel)?),
            "f8" => ArrayValue::F64(ds.read_slice(&sel)?),
            "b1" => ArrayValue::Bool(ds.read_slice(&sel)?),
            "c8" => ArrayValue::C64(ds.read_slice(&sel)?),
            "c16" => ArrayValue::C128(ds.read_slice(&sel)?),
            _ if matches!(ds.dtype().class, TypeClass::String { .. }) => {
                crate::mapping::load::read_bytes(&ds, &sel)?
            }
            _ if matches!(ds.dtype().class, TypeClass::VarLenString { .. }) => {
                let a = ds.read_dyn_slice(&sel)?;
                let shape: Vec<usize> = a
                    .shape
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .map(|&d| usize::try_from(d).unwrap_or(0))
                    .collect();
                let strings = a.into_strings()?;
                ArrayValue::Str(
                    ArrayD::from_shape_vec(IxDyn(&shape), strings)
                        .map_err(|e| Error::Format(format!("{}: {e}", ds.path())))?,
                )
            }
            _ => {
                return Err(Error::Format(format!(
                    "{}: element type {} is not part of jangada's mapping",
                    ds.path(),
                    describe(ds.dtype())
                )))
            }
        })
    }

    /// The instants of a selection of a time dataset: nanoseconds since the epoch (UTC,
    /// pandas' `.value`), converted from the stored wall clock with the dataset's zone,
    /// flattened in selection order, with the zone.
    pub fn get_timestamps(&self, sel: impl IntoSelection) -> Result<DatetimeIndex> {
        self.time_only("read timestamps from")?;
        let wall = self.current()?.read_slice::<i64>(&sel.into_selection()?)?;
        let wall: Vec<i64> = wall.iter().copied().collect();
        Ok(DatetimeIndex {
            ns: time::to_instant(&wall, self.tz.as_deref())?,
            tz: self.tz.clone(),
        })
    }

    /// A selection assembled as jangada's `ProxyDataset.__getitem__` does: an array, or
    /// for time datasets a [`Timestamp`] (one element selected from a 0-d dataset or by
    /// an index) or a [`DatetimeIndex`], for custom dataset types a [`Value::Custom`].
    pub fn get_value(&self, sel: impl IntoSelection) -> Result<Value> {
        let sel = sel.into_selection()?;
        match self.kind {
            DatasetType::NdArray => return Ok(Value::Array(self.get_dyn(sel)?)),
            DatasetType::Custom => {
                return Ok(Value::Custom(CustomDataset {
                    dataset_type: self.type_name.clone(),
                    array: self.get_dyn(sel)?,
                    attrs: self.attrs.clone(),
                }))
            }
            DatasetType::Timestamp | DatasetType::DatetimeIndex => {}
        }
        let wall = self.current()?.read_slice::<i64>(&sel)?;
        let flat: Vec<i64> = wall.iter().copied().collect();
        let ns = time::to_instant(&flat, self.tz.as_deref())?;
        let tz = self.tz.clone();
        match (wall.ndim(), ns.as_slice()) {
            (0, [one]) => Ok(Value::Timestamp(Timestamp { ns: *one, tz })),
            _ => Ok(Value::DatetimeIndex(DatetimeIndex { ns, tz })),
        }
    }

    /// Everything, assembled (jangada's `proxy[...]`).
    pub fn load(&self) -> Result<Value> {
        self.get_value(Selection::all())
    }

    // ---------------------------------------------------------------- writing

    fn mismatch(&self, detail: impl Into<String>) -> Error {
        Error::Mismatch {
            path: self.path().to_string(),
            detail: detail.into(),
        }
    }

    fn writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::ReadOnly(self.path().to_string()))
        }
    }

    fn array_only(&self) -> Result<()> {
        match self.kind {
            DatasetType::NdArray | DatasetType::Custom => Ok(()),
            _ => Err(self.mismatch(format!(
                "it is a {} dataset (time zone {}): write timestamps (set_timestamps, \
                 append_timestamps), not plain numbers",
                self.type_name,
                self.tz.as_deref().unwrap_or("None")
            ))),
        }
    }

    fn time_only(&self, what: &str) -> Result<()> {
        match self.kind {
            DatasetType::NdArray | DatasetType::Custom => Err(self.mismatch(format!(
                "cannot {what} a {} dataset: it holds an array, not times",
                self.type_name
            ))),
            _ => Ok(()),
        }
    }

    fn check_dtype(&self, ds: &Dataset, theirs: &str) -> Result<()> {
        let ours = dtype_str(ds);
        if safe_cast(theirs, &ours) {
            Ok(())
        } else {
            Err(self.mismatch(format!(
                "the dataset holds {ours} elements, the data is {theirs} (which does not \
                 convert to {ours} without loss)"
            )))
        }
    }

    fn check_tz(&self, tz: Option<&str>) -> Result<()> {
        if tz == self.tz.as_deref() {
            Ok(())
        } else {
            Err(self.mismatch(format!(
                "the dataset's time zone is {}, the timestamps' is {}",
                self.tz.as_deref().unwrap_or("None (naive)"),
                tz.unwrap_or("None (naive)")
            )))
        }
    }

    /// Check, before anything grows or is written, that `data_shape` fits `sel` in the
    /// dataset as it will be once axis 0 has grown for `sel`: positions, steps, the
    /// number of axes, and the shape (or one element, written everywhere). A refused
    /// write leaves the file unchanged.
    fn check_fits(&self, ds: &Dataset, sel: &Selection, data_shape: &[usize]) -> Result<()> {
        let mut dims = ds.shape().to_vec();
        if let (Some(first), Some(n)) = (dims.first_mut(), needed_len(sel)) {
            *first = (*first).max(n);
        }
        let shape: Vec<usize> = sel
            .resolve(&dims)?
            .iter()
            .filter(|a| a.keep)
            .map(|a| usize::try_from(a.count).unwrap_or(usize::MAX))
            .collect();
        let n = data_shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if data_shape != shape.as_slice() && n != Some(1) {
            return Err(self.mismatch(format!(
                "data of shape {data_shape:?} does not match the selection's shape {shape:?}"
            )));
        }
        Ok(())
    }

    /// Grow axis 0 so that every position `sel` names on it exists; `Ok(ds)` is the
    /// dataset after growing.
    fn grow_for(&self, ds: Dataset, sel: &Selection) -> Result<Dataset> {
        let len = ds.shape().first().copied();
        match (len, needed_len(sel)) {
            (Some(len), Some(n)) if n > len => {
                self.resize_axis0(&ds, n)?;
                self.current()
            }
            _ => Ok(ds),
        }
    }

    /// Whether axis 0 of `ds` may grow to `new_len` (within its maximum shape).
    fn check_growth(&self, ds: &Dataset, new_len: u64) -> Result<()> {
        let maxshape = ds.maxshape();
        match maxshape.first() {
            Some(None) => Ok(()),
            Some(Some(max)) if *max >= new_len => Ok(()),
            _ => Err(self.mismatch(format!(
                "it cannot grow to {new_len} along axis 0 (maxshape {})",
                maxshape_str(&maxshape)
            ))),
        }
    }

    fn resize_axis0(&self, ds: &Dataset, new_len: u64) -> Result<()> {
        let mut shape = ds.shape().to_vec();
        let Some(first) = shape.first_mut() else {
            return Err(self.mismatch("it is 0-d (a single value): it cannot grow"));
        };
        self.check_growth(ds, new_len)?;
        *first = new_len;
        ds.resize(&shape)?;
        Ok(())
    }

    /// Write `data` into a selection (jangada's `proxy[key] = value`). A selection
    /// reaching past the end of axis 0 first grows the dataset to cover it (the new
    /// positions not written hold the fill value). `data` has the selection's shape, or
    /// one element written everywhere. Its element type must be the dataset's or convert
    /// to it without loss (numpy's "safe" casting: `i32` into `<i8`, `f32` into `<f8`).
    pub fn set<T, S, D>(&self, sel: impl IntoSelection, data: &ArrayBase<S, D>) -> Result<()>
    where
        T: H5Write + H5Elem + Clone,
        S: Data<Elem = T>,
        D: Dimension,
    {
        self.writable()?;
        self.array_only()?;
        let ds = self.current()?;
        self.check_dtype(&ds, T::DTYPE)?;
        let sel = sel.into_selection()?;
        self.check_fits(&ds, &sel, data.shape())?;
        let ds = self.grow_for(ds, &sel)?;
        Ok(ds.write_slice(&sel, &data.to_owned().into_dyn())?)
    }

    /// Write one value at a selection (broadcast), growing axis 0 as [`ProxyDataset::set`].
    pub fn set_scalar<T: H5Write + H5Elem + Clone>(
        &self,
        sel: impl IntoSelection,
        value: T,
    ) -> Result<()> {
        self.set(sel, &ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// Write timestamps (instants, as [`DatetimeIndex::ns`]) into a selection of a time
    /// dataset; their zone must be the dataset's. Grows axis 0 as [`ProxyDataset::set`].
    pub fn set_timestamps(&self, sel: impl IntoSelection, times: &DatetimeIndex) -> Result<()> {
        self.writable()?;
        self.time_only("write timestamps to")?;
        self.check_tz(times.tz.as_deref())?;
        let wall = time::to_wall(&times.ns, times.tz.as_deref())?;
        let sel = sel.into_selection()?;
        let n = wall.len();
        let ds = self.current()?;
        let data_shape: &[usize] = if n == 1 { &[] } else { &[n] };
        self.check_fits(&ds, &sel, data_shape)?;
        let ds = self.grow_for(ds, &sel)?;
        let data =
            ArrayD::from_shape_vec(IxDyn(&[n]), wall).map_err(|e| self.mismatch(e.to_string()))?;
        let data = if n == 1 {
            data.into_shape_with_order(IxDyn(&[]))
                .map_err(|e| self.mismatch(e.to_string()))?
        } else {
            data
        };
        Ok(ds.write_slice(&sel, &data)?)
    }

    /// Append along axis 0 without rewriting what is stored (jangada's
    /// `proxy.append(value)`). `data` has the dataset's number of dimensions (or one less:
    /// a single row) and its trailing shape; its element type must be the dataset's or
    /// convert to it without loss (as for [`ProxyDataset::set`]).
    pub fn append<T, S, D>(&self, data: &ArrayBase<S, D>) -> Result<()>
    where
        T: H5Write + H5Elem + Clone,
        S: Data<Elem = T>,
        D: Dimension,
    {
        self.writable()?;
        self.array_only()?;
        let ds = self.current()?;
        if ds.shape().is_empty() {
            return Err(self.mismatch("it is 0-d (a single value): nothing can be appended"));
        }
        self.check_dtype(&ds, T::DTYPE)?;
        let mut data = data.to_owned().into_dyn();
        if data.ndim() + 1 == ds.shape().len() {
            data = data.insert_axis(Axis(0));
        }
        self.append_checked(&ds, data.shape())?;
        Ok(ds.append(&data)?)
    }

    /// Check that data of `shape` can be appended to `ds`; the new length along axis 0 and
    /// the selection of the new rows, or `None` when there is nothing to append.
    fn append_checked(&self, ds: &Dataset, shape: &[usize]) -> Result<Option<(u64, Selection)>> {
        let ours = ds.shape();
        let trailing_ok = shape.len() == ours.len()
            && shape
                .iter()
                .skip(1)
                .zip(ours.iter().skip(1))
                .all(|(&a, &b)| a as u64 == b);
        if !trailing_ok {
            return Err(self.mismatch(format!(
                "data of shape {shape:?} cannot be appended to shape {ours:?} (the shapes \
                 after axis 0 must be equal)"
            )));
        }
        let add = shape.first().copied().unwrap_or(0) as u64;
        let len = ours.first().copied().unwrap_or(0);
        if add == 0 {
            return Ok(None);
        }
        let new_len = len
            .checked_add(add)
            .ok_or_else(|| self.mismatch("length overflow"))?;
        self.check_growth(ds, new_len)?;
        // The new rows are selected with `i64` bounds: refused here, before the dataset
        // grows, rather than clamped to a selection of the wrong rows.
        let (Ok(lo), Ok(hi)) = (i64::try_from(len), i64::try_from(new_len)) else {
            return Err(self.mismatch(format!(
                "it cannot grow to {new_len} along axis 0 (more than 2^63 - 1 rows)"
            )));
        };
        Ok(Some((new_len, Selection::new([SliceArg::range(lo, hi)]))))
    }

    /// Append timestamps to a `DatetimeIndex` dataset; their zone must be the dataset's.
    pub fn append_timestamps(&self, times: &DatetimeIndex) -> Result<()> {
        self.writable()?;
        self.time_only("append timestamps to")?;
        let ds = self.current()?;
        if ds.shape().is_empty() {
            return Err(self.mismatch(format!(
                "it is a 0-d {} (a single time): nothing can be appended",
                self.type_name
            )));
        }
        self.check_tz(times.tz.as_deref())?;
        let wall = time::to_wall(&times.ns, times.tz.as_deref())?;
        let data = ArrayD::from_shape_vec(IxDyn(&[wall.len()]), wall)
            .map_err(|e| self.mismatch(e.to_string()))?;
        self.append_checked(&ds, data.shape())?;
        Ok(ds.append(&data)?)
    }

    /// Append a value: an array, a [`Timestamp`] or a [`DatetimeIndex`] (what jangada's
    /// `append` accepts: anything its dataset type disassembles).
    pub fn append_value(&self, value: &Value) -> Result<()> {
        match value {
            Value::Array(a) => self.append_array(a),
            Value::Timestamp(t) => self.append_timestamps(&DatetimeIndex {
                ns: vec![t.ns],
                tz: t.tz.clone(),
            }),
            Value::DatetimeIndex(t) => self.append_timestamps(t),
            Value::Custom(c) if c.dataset_type == self.type_name => self.append_array(&c.array),
            other => Err(self.mismatch(format!(
                "a {} cannot be appended to a dataset",
                other.kind()
            ))),
        }
    }

    /// Append an array of any element type (it must be the dataset's).
    pub fn append_array(&self, a: &ArrayValue) -> Result<()> {
        match a {
            ArrayValue::I8(x) => self.append(x),
            ArrayValue::I16(x) => self.append(x),
            ArrayValue::I32(x) => self.append(x),
            ArrayValue::I64(x) => self.append(x),
            ArrayValue::U8(x) => self.append(x),
            ArrayValue::U16(x) => self.append(x),
            ArrayValue::U32(x) => self.append(x),
            ArrayValue::U64(x) => self.append(x),
            ArrayValue::F16(x) => self.append(x),
            ArrayValue::F32(x) => self.append(x),
            ArrayValue::F64(x) => self.append(x),
            ArrayValue::Bool(x) => self.append(x),
            ArrayValue::C64(x) => self.append(x),
            ArrayValue::C128(x) => self.append(x),
            ArrayValue::Str(x) => self.append_strings(x),
            ArrayValue::Bytes(b) => self.append_bytes(b),
        }
    }
}

/// The length axis 0 needs for every position `sel` names on it to exist (`None`: the
/// selection does not reach past a known end — negative positions, open ends, empty).
fn needed_len(sel: &Selection) -> Option<u64> {
    match *sel.0.first()? {
        SliceArg::Index(i) if i >= 0 => u64::try_from(i).ok().and_then(|i| i.checked_add(1)),
        SliceArg::Slice {
            start,
            stop: Some(stop),
            step,
        } if stop > 0 && step > 0 => {
            let start = start.unwrap_or(0);
            if start < 0 || stop <= start {
                None
            } else {
                // The last position selected, plus one.
                let last = start + (stop - start - 1) / step * step;
                u64::try_from(last).ok().and_then(|l| l.checked_add(1))
            }
        }
        _ => None,
    }
}

fn maxshape_str(m: &[Option<u64>]) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|d| d.map_or("None".to_string(), |d| d.to_string()))
        .collect();
    format!("({})", parts.join(", "))
}
