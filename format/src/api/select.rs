//! Selections written the Rust way: `5`, `10..20`, `..`, `(2..5, 3..7)`, [`SliceArg`] for
//! steps, ndarray's `s![10..20, ..;2]` — numpy's indexing rules, resolved by [`Selection`].
//! One selection story for both crates: the persist crate's lazy datasets take the same.

use super::selection::{Selection, SliceArg};
use crate::error::{Error, Result};

/// Anything usable as a selection: a [`Selection`], one axis (`5`, `10..20`, `..`, `3..`,
/// `..7`, a [`SliceArg`] for steps), a tuple of axes (`(10..20, 5..15)`) or ndarray's
/// `s![..]`.
pub trait IntoSelection {
    /// The selection; an error for what has no meaning as a selection of stored data
    /// (ndarray's negative steps, which reverse, and new axes).
    fn into_selection(self) -> Result<Selection>;
}

/// One axis of a selection (integers, ranges, [`SliceArg`]).
pub trait IntoSliceArg {
    /// The axis argument.
    fn into_slice_arg(self) -> SliceArg;
}

impl IntoSliceArg for SliceArg {
    fn into_slice_arg(self) -> SliceArg {
        self
    }
}

impl IntoSliceArg for std::ops::RangeFull {
    fn into_slice_arg(self) -> SliceArg {
        SliceArg::ALL
    }
}

/// Saturating conversion of an index type to `i64` (huge values select nothing).
trait ToI64: Copy {
    fn to_i64(self) -> i64;
}

macro_rules! to_i64 {
    ($($t:ty),*) => {$(
        impl ToI64 for $t {
            #[allow(clippy::unnecessary_fallible_conversions)]
            fn to_i64(self) -> i64 {
                i64::try_from(self).unwrap_or(i64::MAX)
            }
        }
        impl IntoSliceArg for $t {
            fn into_slice_arg(self) -> SliceArg {
                SliceArg::Index(self.to_i64())
            }
        }
        impl IntoSliceArg for std::ops::Range<$t> {
            fn into_slice_arg(self) -> SliceArg {
                SliceArg::range(self.start.to_i64(), self.end.to_i64())
            }
        }
        impl IntoSliceArg for std::ops::RangeFrom<$t> {
            fn into_slice_arg(self) -> SliceArg {
                SliceArg::Slice { start: Some(self.start.to_i64()), stop: None, step: 1 }
            }
        }
        impl IntoSliceArg for std::ops::RangeTo<$t> {
            fn into_slice_arg(self) -> SliceArg {
                SliceArg::Slice { start: None, stop: Some(self.end.to_i64()), step: 1 }
            }
        }
        impl IntoSelection for $t {
            fn into_selection(self) -> Result<Selection> {
                Ok(Selection::new([self.into_slice_arg()]))
            }
        }
        impl IntoSelection for std::ops::Range<$t> {
            fn into_selection(self) -> Result<Selection> {
                Ok(Selection::new([self.into_slice_arg()]))
            }
        }
        impl IntoSelection for std::ops::RangeFrom<$t> {
            fn into_selection(self) -> Result<Selection> {
                Ok(Selection::new([self.into_slice_arg()]))
            }
        }
        impl IntoSelection for std::ops::RangeTo<$t> {
            fn into_selection(self) -> Result<Selection> {
                Ok(Selection::new([self.into_slice_arg()]))
            }
        }
    )*};
}

to_i64!(i32, i64, usize, u64);

impl IntoSelection for Selection {
    fn into_selection(self) -> Result<Selection> {
        Ok(self)
    }
}

impl IntoSelection for &Selection {
    fn into_selection(self) -> Result<Selection> {
        Ok(self.clone())
    }
}

impl IntoSelection for SliceArg {
    fn into_selection(self) -> Result<Selection> {
        Ok(Selection::new([self]))
    }
}

impl IntoSelection for std::ops::RangeFull {
    fn into_selection(self) -> Result<Selection> {
        Ok(Selection::all())
    }
}

impl IntoSelection for Vec<SliceArg> {
    fn into_selection(self) -> Result<Selection> {
        Ok(Selection::new(self))
    }
}

macro_rules! tuple_selection {
    ($($name:ident),+) => {
        impl<$($name: IntoSliceArg),+> IntoSelection for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_selection(self) -> Result<Selection> {
                let ($($name,)+) = self;
                Ok(Selection::new([$($name.into_slice_arg()),+]))
            }
        }
    };
}

tuple_selection!(A);
tuple_selection!(A, B);
tuple_selection!(A, B, C);
tuple_selection!(A, B, C, D);
tuple_selection!(A, B, C, D, E);
tuple_selection!(A, B, C, D, E, F);

/// ndarray's `s![..]`: ranges (negative bounds count from the end, as in numpy), indices
/// and positive steps. ndarray's negative steps reverse the order, which a hyperslab cannot:
/// read, then reverse with `.slice(s![..;-1])`.
impl<T, Din, Dout> IntoSelection for ndarray::SliceInfo<T, Din, Dout>
where
    T: AsRef<[ndarray::SliceInfoElem]>,
    Din: ndarray::Dimension,
    Dout: ndarray::Dimension,
{
    fn into_selection(self) -> Result<Selection> {
        (&self).into_selection()
    }
}

impl<T, Din, Dout> IntoSelection for &ndarray::SliceInfo<T, Din, Dout>
where
    T: AsRef<[ndarray::SliceInfoElem]>,
    Din: ndarray::Dimension,
    Dout: ndarray::Dimension,
{
    fn into_selection(self) -> Result<Selection> {
        use ndarray::SliceInfoElem as E;
        let elems: &[E] = self.as_ref();
        let mut args = Vec::with_capacity(elems.len());
        for (axis, elem) in elems.iter().enumerate() {
            args.push(match *elem {
                E::Index(i) => SliceArg::Index(i as i64),
                E::Slice { start, end, step } if step > 0 => SliceArg::Slice {
                    start: Some(start as i64),
                    stop: end.map(|e| e as i64),
                    step: step as i64,
                },
                E::Slice { step, .. } => {
                    return Err(Error::Invalid(format!(
                        "step {step} on axis {axis} of s![..]: ndarray's negative steps \
                         reverse, which a selection of stored data cannot; select with a \
                         positive step and reverse the array read"
                    )))
                }
                E::NewAxis => {
                    return Err(Error::Invalid(format!(
                        "s![..] entry {axis} is a new axis, which selects no stored data; \
                         insert it into the array read (`insert_axis`)"
                    )))
                }
            });
        }
        Ok(Selection::new(args))
    }
}
