//! Selections written the Rust way: `5`, `10..20`, `..`, `(2..5, 3..7)`, [`SliceArg`] for
//! steps — numpy's indexing rules, resolved by `jangada_hdf5::Selection`.

use jangada_hdf5::{Selection, SliceArg};

/// Anything usable as a selection: a [`Selection`], one axis (`5`, `10..20`, `..`, `3..`,
/// `..7`, a [`SliceArg`] for steps) or a tuple of axes (`(10..20, 5..15)`).
pub trait IntoSelection {
    /// The selection.
    fn into_selection(self) -> Selection;
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
            fn into_selection(self) -> Selection {
                Selection::new([self.into_slice_arg()])
            }
        }
        impl IntoSelection for std::ops::Range<$t> {
            fn into_selection(self) -> Selection {
                Selection::new([self.into_slice_arg()])
            }
        }
        impl IntoSelection for std::ops::RangeFrom<$t> {
            fn into_selection(self) -> Selection {
                Selection::new([self.into_slice_arg()])
            }
        }
        impl IntoSelection for std::ops::RangeTo<$t> {
            fn into_selection(self) -> Selection {
                Selection::new([self.into_slice_arg()])
            }
        }
    )*};
}

to_i64!(i32, i64, usize, u64);

impl IntoSelection for Selection {
    fn into_selection(self) -> Selection {
        self
    }
}

impl IntoSelection for &Selection {
    fn into_selection(self) -> Selection {
        self.clone()
    }
}

impl IntoSelection for SliceArg {
    fn into_selection(self) -> Selection {
        Selection::new([self])
    }
}

impl IntoSelection for std::ops::RangeFull {
    fn into_selection(self) -> Selection {
        Selection::all()
    }
}

impl IntoSelection for Vec<SliceArg> {
    fn into_selection(self) -> Selection {
        Selection::new(self)
    }
}

macro_rules! tuple_selection {
    ($($name:ident),+) => {
        impl<$($name: IntoSliceArg),+> IntoSelection for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_selection(self) -> Selection {
                let ($($name,)+) = self;
                Selection::new([$($name.into_slice_arg()),+])
            }
        }
    };
}

tuple_selection!(A);
tuple_selection!(A, B);
tuple_selection!(A, B, C);
tuple_selection!(A, B, C, D);
