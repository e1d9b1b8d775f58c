//! Hyperslab selections with numpy's indexing rules: per axis an index (which drops the
//! axis) or `start:stop:step` (negative positions count from the end, a positive step).

use crate::error::{Error, Result};
use crate::hyperslab::AxisSel;

/// One axis of a selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// A single position; the axis is dropped from the result. Negative counts from the end.
    Index(i64),
    /// `start:stop:step`; `None` bounds mean the axis' ends. The step must be positive.
    Slice {
        /// First position (default 0).
        start: Option<i64>,
        /// One past the last position (default: the axis length).
        stop: Option<i64>,
        /// Step, at least 1.
        step: i64,
    },
}

impl SliceArg {
    /// The whole axis (`:`).
    pub const ALL: SliceArg = SliceArg::Slice {
        start: None,
        stop: None,
        step: 1,
    };

    /// `start..stop` with step 1.
    pub fn range(start: i64, stop: i64) -> SliceArg {
        SliceArg::Slice {
            start: Some(start),
            stop: Some(stop),
            step: 1,
        }
    }

    /// `start..stop` with a step.
    pub fn stepped(start: i64, stop: i64, step: i64) -> SliceArg {
        SliceArg::Slice {
            start: Some(start),
            stop: Some(stop),
            step,
        }
    }
}

impl From<i64> for SliceArg {
    fn from(i: i64) -> Self {
        SliceArg::Index(i)
    }
}

impl From<std::ops::Range<i64>> for SliceArg {
    fn from(r: std::ops::Range<i64>) -> Self {
        SliceArg::range(r.start, r.end)
    }
}

impl From<std::ops::RangeFull> for SliceArg {
    fn from(_: std::ops::RangeFull) -> Self {
        SliceArg::ALL
    }
}

impl From<std::ops::RangeFrom<i64>> for SliceArg {
    fn from(r: std::ops::RangeFrom<i64>) -> Self {
        SliceArg::Slice {
            start: Some(r.start),
            stop: None,
            step: 1,
        }
    }
}

impl From<std::ops::RangeTo<i64>> for SliceArg {
    fn from(r: std::ops::RangeTo<i64>) -> Self {
        SliceArg::Slice {
            start: None,
            stop: Some(r.end),
            step: 1,
        }
    }
}

/// A selection: one [`SliceArg`] per leading axis; missing trailing axes are whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection(pub Vec<SliceArg>);

impl Selection {
    /// Everything.
    pub fn all() -> Self {
        Selection(Vec::new())
    }

    /// From a list of per-axis arguments.
    pub fn new(args: impl IntoIterator<Item = SliceArg>) -> Self {
        Selection(args.into_iter().collect())
    }

    /// Resolve against a dataset shape.
    pub fn resolve(&self, dims: &[u64]) -> Result<Vec<AxisSel>> {
        if dims.is_empty() && !self.0.is_empty() {
            return Err(Error::Invalid(format!(
                "the dataset is scalar (0-d): it takes no index or slice, the selection has \
                 {} axes",
                self.0.len()
            )));
        }
        if self.0.len() > dims.len() {
            return Err(Error::Invalid(format!(
                "selection has {} axes but the dataset has {}",
                self.0.len(),
                dims.len()
            )));
        }
        dims.iter()
            .enumerate()
            .map(|(axis, &len)| {
                let arg = self.0.get(axis).copied().unwrap_or(SliceArg::ALL);
                resolve_axis(arg, len, axis)
            })
            .collect()
    }
}

fn resolve_axis(arg: SliceArg, len: u64, axis: usize) -> Result<AxisSel> {
    let ilen =
        i64::try_from(len).map_err(|_| Error::LimitExceeded(format!("axis length {len}")))?;
    match arg {
        SliceArg::Index(i) => {
            let pos = if i < 0 { i + ilen } else { i };
            if pos < 0 || pos >= ilen {
                return Err(Error::Invalid(format!(
                    "index {i} is out of range for axis {axis} with size {len}"
                )));
            }
            Ok(AxisSel {
                start: pos as u64,
                step: 1,
                count: 1,
                keep: false,
            })
        }
        SliceArg::Slice { start, stop, step } => {
            if step < 1 {
                return Err(Error::Invalid(format!(
                    "step {step} on axis {axis}: steps must be at least 1"
                )));
            }
            // numpy clamps out-of-range slice bounds rather than failing.
            let clamp = |v: i64| -> i64 {
                let v = if v < 0 { v + ilen } else { v };
                v.clamp(0, ilen)
            };
            let s = start.map_or(0, clamp);
            let e = stop.map_or(ilen, clamp);
            // 0 <= s, e <= ilen and step >= 1: no overflow, and every value is
            // non-negative, so the casts to u64 are exact. (`e - s + step - 1` would
            // overflow for a step near i64::MAX.)
            let count = if e > s { (e - s - 1) / step + 1 } else { 0 };
            Ok(AxisSel {
                start: s as u64,
                step: step as u64,
                count: count as u64,
                keep: true,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn numpy_rules() {
        let sel = Selection::new([SliceArg::Index(-1), SliceArg::stepped(1, 100, 3)]);
        let r = sel.resolve(&[5, 10]).unwrap();
        assert_eq!(
            r[0],
            AxisSel {
                start: 4,
                step: 1,
                count: 1,
                keep: false
            }
        );
        assert_eq!(
            r[1],
            AxisSel {
                start: 1,
                step: 3,
                count: 3,
                keep: true
            }
        );
        let r = Selection::new([SliceArg::range(-3, -1)])
            .resolve(&[10])
            .unwrap();
        assert_eq!((r[0].start, r[0].count), (7, 2));
        let r = Selection::new([SliceArg::range(5, 2)])
            .resolve(&[10])
            .unwrap();
        assert_eq!(r[0].count, 0);
        // A huge step selects the start only (the count used to overflow).
        let r = Selection::new([SliceArg::stepped(2, 10, i64::MAX)])
            .resolve(&[10])
            .unwrap();
        assert_eq!((r[0].start, r[0].step, r[0].count), (2, i64::MAX as u64, 1));
        for (start, stop, step, n) in [(0, 10, 3, 4), (1, 10, 3, 3), (0, 9, 3, 3), (9, 10, 5, 1)] {
            let r = Selection::new([SliceArg::stepped(start, stop, step)])
                .resolve(&[10])
                .unwrap();
            assert_eq!(r[0].count, n, "{start}:{stop}:{step}");
        }
    }

    #[test]
    fn bad_selections_are_errors() {
        assert!(Selection::new([SliceArg::Index(10)])
            .resolve(&[10])
            .is_err());
        assert!(Selection::new([SliceArg::Index(-11)])
            .resolve(&[10])
            .is_err());
        assert!(Selection::new([SliceArg::stepped(0, 5, 0)])
            .resolve(&[10])
            .is_err());
        assert!(Selection::new([SliceArg::ALL, SliceArg::ALL])
            .resolve(&[10])
            .is_err());
    }
}
