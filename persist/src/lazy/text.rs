//! Appending strings and fixed-length bytes to a [`ProxyDataset`] (their elements are not
//! numbers: they go through the format crate's string and raw writes).

use jangada_hdf5::TypeClass;
use ndarray::{ArrayD, IxDyn};

use super::dtype::dtype_str;
use super::ProxyDataset;
use crate::error::Result;
use crate::value::{ArrayValue, FixedBytes};

impl ProxyDataset<'_> {
    /// Append fixed-length bytes to an `|S<n>` dataset: each element must fit its `n`
    /// bytes (numpy's safe casting of `S<m>` to `S<n>`).
    pub(super) fn append_bytes(&self, b: &FixedBytes) -> Result<()> {
        self.writable()?;
        self.array_only()?;
        let ds = self.current()?;
        if ds.shape().is_empty() {
            return Err(self.mismatch("it is 0-d (a single value): nothing can be appended"));
        }
        if !matches!(ds.dtype().class, TypeClass::String { .. }) {
            return Err(self.mismatch(format!(
                "the dataset holds {} elements, the data is {}",
                dtype_str(&ds),
                ArrayValue::Bytes(FixedBytes {
                    itemsize: b.itemsize,
                    data: ArrayD::default(IxDyn(&[0])),
                })
                .dtype_str()
            )));
        }
        let n = ds.dtype().size();
        crate::mapping::save::check_bytes(
            &FixedBytes {
                itemsize: n,
                data: b.data.clone(),
            },
            self.path(),
        )
        .map_err(|e| self.mismatch(e.to_string()))?;
        let Some((new_len, sel)) = self.append_checked(&ds, b.data.shape())? else {
            return Ok(());
        };
        let mut raw = Vec::with_capacity(b.data.len().saturating_mul(n));
        for e in &b.data {
            raw.extend_from_slice(e);
            raw.resize(raw.len() + n.saturating_sub(e.len()), 0);
        }
        self.resize_axis0(&ds, new_len)?;
        let ds = self.current()?;
        Ok(ds.write_raw(&sel, &raw)?)
    }

    pub(super) fn append_strings(&self, x: &ArrayD<String>) -> Result<()> {
        self.writable()?;
        self.array_only()?;
        let ds = self.current()?;
        if ds.shape().is_empty() {
            return Err(self.mismatch("it is 0-d (a single value): nothing can be appended"));
        }
        self.check_dtype(&ds, "str")?;
        let Some((new_len, sel)) = self.append_checked(&ds, x.shape())? else {
            return Ok(());
        };
        self.resize_axis0(&ds, new_len)?;
        let ds = self.current()?;
        let values: Vec<String> = x.iter().cloned().collect();
        Ok(ds.write_strings(&sel, &values)?)
    }
}
