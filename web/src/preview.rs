//! The preview of one dataset: which bounded hyperslab to read ([`plan`], pure), and the
//! JSON of the elements read ([`preview`]).
//!
//! A preview never reads the whole of a large dataset:
//!
//! - a scalar is its one value;
//! - 1-D numeric data is a line plot of its first [`LINE_MAX`] values;
//! - numeric data of rank 2 or more is an image of its last two axes (position 0 of every
//!   leading axis) of at most [`IMAGE_SIDE`] x [`IMAGE_SIDE`] pixels: the whole plane,
//!   downsampled by one step on both axes (aspect kept), when the plane holds at most
//!   [`DOWNSAMPLE_MAX`] elements (a stepped selection decodes every chunk it touches, so
//!   the whole plane); else its top-left corner, cropped;
//! - anything else (strings, compounds, references, ...) is a list of its first
//!   [`VALUES_MAX`] elements along the last axis (position 0 of every leading axis).

use serde_json::{json, Value};

use jangada::cli::dump::element_json;
use jangada_hdf5::datatype::TypeClass;
use jangada_hdf5::{Dataset, Datatype, Result, Selection, SliceArg};

/// Most values of a line plot (1-D numeric data).
pub const LINE_MAX: u64 = 4096;
/// Most pixels on each side of an image (numeric data of rank 2 or more).
pub const IMAGE_SIDE: u64 = 512;
/// Most elements of a plane that is downsampled rather than cropped.
pub const DOWNSAMPLE_MAX: u64 = 1 << 22;
/// Most elements listed for data that is neither plotted nor drawn.
pub const VALUES_MAX: u64 = 100;

/// How a preview shows its elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A scalar dataset: one value.
    Scalar,
    /// A dataset without elements (an axis of length 0, or a null dataspace).
    Empty,
    /// 1-D numeric data: a line plot.
    Line,
    /// Numeric data of rank 2 or more: an image of the last two axes.
    Image,
    /// Other data: a list of values.
    Values,
}

impl Kind {
    /// The name in the JSON (`"kind"`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Scalar => "scalar",
            Kind::Empty => "empty",
            Kind::Line => "line",
            Kind::Image => "image",
            Kind::Values => "values",
        }
    }
}

/// One axis of a preview's hyperslab: `start..stop` by `step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    /// First position.
    pub start: u64,
    /// One past the last position.
    pub stop: u64,
    /// Step, at least 1.
    pub step: u64,
}

impl Axis {
    fn range(stop: u64) -> Axis {
        Axis {
            start: 0,
            stop,
            step: 1,
        }
    }

    /// Positions selected.
    pub fn len(&self) -> u64 {
        self.stop
            .saturating_sub(self.start)
            .div_ceil(self.step.max(1))
    }

    /// Whether no position is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a preview reads: a kind and one [`Axis`] per dataset axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// How the elements are shown.
    pub kind: Kind,
    /// The hyperslab, one entry per axis of the dataset.
    pub axes: Vec<Axis>,
}

impl Plan {
    /// The number of elements the plan reads.
    pub fn elements(&self) -> u64 {
        self.axes.iter().map(Axis::len).product()
    }

    /// The plan as a selection for `Dataset::read_dyn_slice`.
    pub fn selection(&self) -> Selection {
        // Positions are below the dataset's axis lengths, which are checked to fit i64.
        let pos = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        Selection::new(
            self.axes
                .iter()
                .map(|a| SliceArg::stepped(pos(a.start), pos(a.stop), pos(a.step))),
        )
    }
}

/// Whether elements of `dtype` are numbers that can be plotted or drawn (integers,
/// floats, bit fields, enums; h5py's booleans are enums).
pub fn is_numeric(dtype: &Datatype) -> bool {
    matches!(
        dtype.class,
        TypeClass::Integer { .. }
            | TypeClass::Float { .. }
            | TypeClass::Bitfield { .. }
            | TypeClass::Enum { .. }
    )
}

/// The hyperslab to preview for a dataset of shape `dims` (`None`: a null dataspace).
pub fn plan(dims: Option<&[u64]>, numeric: bool) -> Plan {
    let Some(dims) = dims else {
        return Plan {
            kind: Kind::Empty,
            axes: Vec::new(),
        };
    };
    if dims.is_empty() {
        return Plan {
            kind: Kind::Scalar,
            axes: Vec::new(),
        };
    }
    // Position 0 of every axis but the last one or two.
    let leading = |keep: usize| -> Vec<Axis> {
        let n = dims.len().saturating_sub(keep);
        dims.iter()
            .take(n)
            .map(|&d| Axis::range(d.min(1)))
            .collect()
    };
    let kind = if dims.contains(&0) {
        Kind::Empty
    } else if !numeric {
        Kind::Values
    } else if dims.len() == 1 {
        Kind::Line
    } else {
        Kind::Image
    };
    let mut axes;
    match kind {
        Kind::Empty => axes = dims.iter().map(|_| Axis::range(0)).collect(),
        Kind::Image => {
            axes = leading(2);
            let (rows, cols) = match dims {
                [.., r, c] => (*r, *c),
                _ => (1, 1),
            };
            if rows.saturating_mul(cols) <= DOWNSAMPLE_MAX {
                let step = rows.max(cols).div_ceil(IMAGE_SIDE).max(1);
                for stop in [rows, cols] {
                    axes.push(Axis {
                        start: 0,
                        stop,
                        step,
                    });
                }
            } else {
                axes.push(Axis::range(rows.min(IMAGE_SIDE)));
                axes.push(Axis::range(cols.min(IMAGE_SIDE)));
            }
        }
        Kind::Line | Kind::Values | Kind::Scalar => {
            let max = if kind == Kind::Line {
                LINE_MAX
            } else {
                VALUES_MAX
            };
            axes = leading(1);
            let last = dims.last().copied().unwrap_or(0);
            axes.push(Axis::range(last.min(max)));
        }
    }
    Plan { kind, axes }
}

/// The preview of `ds` as JSON: `{"path", "kind", "selection": [[start, stop, step], ..],
/// "shape": [..], "data": FLAT, "stored_bytes": N|null}` (FLAT as `jangada dump --json`
/// writes it). `stored_bytes` sums the stored chunks of a chunked dataset (`null` for
/// other layouts, or when the chunk index cannot be read).
pub fn preview(ds: &Dataset) -> Result<Value> {
    let dims = (!ds.is_null()).then(|| ds.shape());
    let plan = plan(dims.as_deref(), is_numeric(ds.dtype()));
    let data = match plan.kind {
        Kind::Empty => Vec::new(),
        _ => ds.read_dyn_slice(plan.selection())?.elements,
    };
    let stored_bytes = ds
        .chunks()
        .and_then(|_| ds.stored_chunks().ok())
        .map(|chunks| chunks.iter().map(|c| c.size).sum::<u64>());
    Ok(json!({
        "path": ds.path(),
        "kind": plan.kind.name(),
        "selection": plan.axes.iter().map(|a| [a.start, a.stop, a.step]).collect::<Vec<_>>(),
        "shape": plan.axes.iter().map(Axis::len).collect::<Vec<_>>(),
        "data": data.iter().map(element_json).collect::<Vec<_>>(),
        "stored_bytes": stored_bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(spec: &[(u64, u64, u64)]) -> Vec<Axis> {
        spec.iter()
            .map(|&(start, stop, step)| Axis { start, stop, step })
            .collect()
    }

    #[test]
    fn scalars_nulls_and_empty_axes() {
        assert_eq!(plan(Some(&[]), true).kind, Kind::Scalar);
        assert_eq!(plan(None, true).kind, Kind::Empty);
        let p = plan(Some(&[0, 5]), true);
        assert_eq!((p.kind, p.elements()), (Kind::Empty, 0));
    }

    #[test]
    fn lines_take_the_first_values() {
        assert_eq!(plan(Some(&[9]), true).axes, axes(&[(0, 9, 1)]));
        let p = plan(Some(&[1 << 40]), true);
        assert_eq!((p.kind, p.elements()), (Kind::Line, LINE_MAX));
    }

    #[test]
    fn small_planes_are_whole_and_large_ones_downsampled_with_one_step() {
        let p = plan(Some(&[7, 9]), true);
        assert_eq!(
            (p.kind, p.axes),
            (Kind::Image, axes(&[(0, 7, 1), (0, 9, 1)]))
        );
        // 2000 x 1000: step 4 on both axes keeps the aspect: 500 x 250 pixels.
        let p = plan(Some(&[2000, 1000]), true);
        assert_eq!(p.axes, axes(&[(0, 2000, 4), (0, 1000, 4)]));
        assert_eq!(p.axes.iter().map(Axis::len).collect::<Vec<_>>(), [500, 250]);
    }

    #[test]
    fn huge_planes_are_cropped_and_leading_axes_take_position_0() {
        let p = plan(Some(&[3, 100_000, 100_000]), true);
        assert_eq!(p.axes, axes(&[(0, 1, 1), (0, 512, 1), (0, 512, 1)]));
        assert!(p.elements() <= IMAGE_SIDE * IMAGE_SIDE);
    }

    #[test]
    fn other_types_list_the_first_values_of_the_last_axis() {
        let p = plan(Some(&[4, 1000]), false);
        assert_eq!(
            (p.kind, p.axes),
            (Kind::Values, axes(&[(0, 1, 1), (0, 100, 1)]))
        );
    }

    #[test]
    fn every_plan_is_bounded() {
        for dims in [
            &[u64::MAX][..],
            &[u64::MAX, u64::MAX],
            &[5, 1 << 21, 3],
            &[2, 2, 2, 2],
        ] {
            for numeric in [true, false] {
                let n = plan(Some(dims), numeric).elements();
                assert!(n <= IMAGE_SIDE * IMAGE_SIDE, "{dims:?}: {n}");
            }
        }
    }
}
