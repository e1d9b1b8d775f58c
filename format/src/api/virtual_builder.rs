//! Creating virtual datasets: [`VirtualDatasetBuilder`] (h5py's `create_virtual_dataset`
//! with a `VirtualLayout`; libhdf5's `H5Pset_virtual`) and [`VirtualSource`] (h5py's
//! `VirtualSource`).
//!
//! A virtual dataset stores no data: each mapping copies the elements of a selection of a
//! source dataset (in this file, `"."`, or in another file, found as
//! [`Dataset`]'s reading docs describe: relative names beside the virtual dataset's file)
//! to a selection of the virtual dataset; the rest reads as the fill value. Mappings are
//! checked as libhdf5 checks them (`writer::datasets::virtual_layout`) before anything is
//! written, and stored as libhdf5 2.0 stores them with h5py's `libver='v110'` (the mapping
//! block version 0 in a global heap collection, the layout message version 4 class 3,
//! selections in libhdf5's serialized form): h5py, h5dump 1.10 and this crate read them.
//!
//! ```no_run
//! use jangada_hdf5::{File, RegularDim, Selection, SliceArg, SpaceSelection, VirtualSource};
//! let f = File::create_truncate("vds.h5")?;
//! let root = f.root()?;
//! let v = root
//!     .new_virtual_dataset("v")
//!     .dtype_of::<i32>()
//!     .shape(&[30])
//!     .fill_value(-1)?
//!     // v[0:10] <- src.h5:/x (10 elements, all of it)
//!     .map(&Selection::new([SliceArg::range(0, 10)]), VirtualSource::new("src.h5", "x", &[10]))
//!     // v[10:30:2] <- /own[0:10] in this file
//!     .map(
//!         &Selection::new([SliceArg::stepped(10, 30, 2)]),
//!         VirtualSource::new(".", "own", &[20]).slice(&Selection::new([SliceArg::range(0, 10)])),
//!     )
//!     .create()?;
//! // Unlimited: v2[2:] grows with the appendable source /grow (h5py's `h5s.UNLIMITED`).
//! root.new_virtual_dataset("v2")
//!     .dtype_of::<i32>()
//!     .shape(&[2])
//!     .maxshape(&[None])
//!     .map_selection(
//!         SpaceSelection::Regular(vec![RegularDim::from(2)]),
//!         VirtualSource::new(".", "grow", &[0]).select(SpaceSelection::Regular(vec![RegularDim::from(0)])),
//!     )
//!     .create()?;
//! # Ok::<(), jangada_hdf5::Error>(())
//! ```

use crate::dataspace::selection::{RegularDim, Selection as SpaceSelection};
use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::heap::global::GlobalHeapId;
use crate::heap::vds_block::{self, Mapping};
use crate::messages::filter_pipeline::FilterPipeline;
use crate::writer;
use crate::writer::datasets::virtual_layout::{self, MappingSpec};
use crate::writer::datasets::{self, DatasetSpec, StorageChoice};

use super::dataset::Dataset;
use super::group::Group;
use super::selection::Selection;
use super::values::{encode_numbers, AttrData, H5Write, IntoAttr, Number};
use super::write::{attribute_messages, check_dims, check_element_size};

/// A selection given either numpy-style (resolved against its extent when the dataset is
/// created) or as a dataspace selection.
#[derive(Clone, Debug)]
enum Sel {
    Slices(Selection),
    Space(SpaceSelection),
}

impl Sel {
    /// The dataspace selection for `extent`: slices become a regular hyperslab (an index
    /// selects one position; `Selection::all()` every position).
    fn resolve(&self, extent: &[u64], what: &str) -> Result<SpaceSelection> {
        match self {
            Sel::Space(s) => Ok(s.clone()),
            Sel::Slices(s) => {
                let axes = s
                    .resolve(extent)
                    .map_err(|e| Error::Invalid(format!("{what}: {e}")))?;
                Ok(SpaceSelection::Regular(
                    axes.iter()
                        .map(|a| RegularDim::new(a.start, a.step.max(1), a.count, 1))
                        .collect(),
                ))
            }
        }
    }
}

/// The source side of a virtual dataset mapping (h5py's `VirtualSource`): a file name
/// (`"."` for the virtual dataset's own file; may hold `%b` in printf mappings), a dataset
/// path, the source's extent (its shape now: the source selection is checked against it
/// and "all" counts its elements) and a selection in it ("all" unless
/// [`VirtualSource::slice`] or [`VirtualSource::select`] says otherwise).
#[derive(Clone, Debug)]
#[must_use]
pub struct VirtualSource {
    file: String,
    dataset: String,
    shape: Vec<u64>,
    selection: Sel,
}

impl VirtualSource {
    /// All of dataset `dataset` of shape `shape` in file `file` (`"."`: this file).
    pub fn new(file: &str, dataset: &str, shape: &[u64]) -> Self {
        VirtualSource {
            file: file.to_string(),
            dataset: dataset.to_string(),
            shape: shape.to_vec(),
            selection: Sel::Space(SpaceSelection::All),
        }
    }

    /// All of an open dataset, stored under the file name `file` (`"."` when the virtual
    /// dataset goes to the same file; else the name to find its file by, relative to the
    /// virtual dataset's file or absolute).
    pub fn from_dataset(file: &str, dataset: &Dataset) -> Self {
        Self::new(file, dataset.path(), &dataset.shape())
    }

    /// Select numpy-style slices of the source (resolved against its shape).
    pub fn slice(mut self, selection: &Selection) -> Self {
        self.selection = Sel::Slices(selection.clone());
        self
    }

    /// Select a dataspace selection of the source: "all" or a regular hyperslab, possibly
    /// unlimited ([`SpaceSelection::hyperslab`], [`RegularDim`]).
    pub fn select(mut self, selection: SpaceSelection) -> Self {
        self.selection = Sel::Space(selection);
        self
    }
}

/// Builder for a new virtual dataset ([`Group::new_virtual_dataset`]): datatype, shape,
/// maximum shape (unlimited axes allowed: unlimited mappings grow the dataset with their
/// sources), fill value, attributes, and the mappings, in order.
#[derive(Clone, Debug)]
#[must_use]
pub struct VirtualDatasetBuilder {
    group: Group,
    path: String,
    datatype: Option<Datatype>,
    shape: Option<Vec<u64>>,
    maxshape: Option<Vec<Option<u64>>>,
    fill: Option<Number>,
    attrs: Vec<(String, AttrData)>,
    mappings: Vec<(Sel, VirtualSource)>,
}

impl Group {
    /// Start creating a virtual dataset called `path` in this group.
    pub fn new_virtual_dataset(&self, path: &str) -> VirtualDatasetBuilder {
        VirtualDatasetBuilder {
            group: self.clone(),
            path: path.to_string(),
            datatype: None,
            shape: None,
            maxshape: None,
            fill: None,
            attrs: Vec::new(),
            mappings: Vec::new(),
        }
    }
}

impl VirtualDatasetBuilder {
    /// The element datatype (the sources' datatype: readers convert, this crate's reader
    /// needs them equal).
    pub fn dtype(mut self, datatype: Datatype) -> Self {
        self.datatype = Some(datatype);
        self
    }

    /// The element datatype of a Rust type.
    pub fn dtype_of<T: H5Write>(self) -> Self {
        self.dtype(T::datatype())
    }

    /// The shape (rank 1 or more). With unlimited mappings this is the least extent: the
    /// unlimited axis reads as far as the sources reach.
    pub fn shape(mut self, shape: &[u64]) -> Self {
        self.shape = Some(shape.to_vec());
        self
    }

    /// The maximum shape; `None` is an unlimited axis (needed where a mapping is
    /// unlimited).
    pub fn maxshape(mut self, maxshape: &[Option<u64>]) -> Self {
        self.maxshape = Some(maxshape.to_vec());
        self
    }

    /// The value read where no mapping (or a missing source) gives one; an error now if it
    /// does not convert to the datatype given so far.
    pub fn fill_value<T: H5Write>(mut self, value: T) -> Result<Self> {
        let dtype = self.datatype.clone().unwrap_or_else(T::datatype);
        encode_numbers(&dtype, std::iter::once(value.number()))?;
        self.fill = Some(value.number());
        Ok(self)
    }

    /// Attributes to give the dataset, in order (written with its header).
    pub fn attrs(mut self, attrs: Vec<(String, AttrData)>) -> Self {
        self.attrs.extend(attrs);
        self
    }

    /// One attribute to give the dataset.
    pub fn attr(self, name: &str, value: impl IntoAttr) -> Result<Self> {
        Ok(self.attrs(vec![(name.to_string(), value.into_attr()?)]))
    }

    /// Map `source` to the numpy-style slices `selection` of the virtual dataset (h5py's
    /// `layout[selection] = source`), resolved against the shape when the dataset is
    /// created.
    pub fn map(mut self, selection: &Selection, source: VirtualSource) -> Self {
        self.mappings.push((Sel::Slices(selection.clone()), source));
        self
    }

    /// Map `source` to a dataspace selection of the virtual dataset: "all" or a regular
    /// hyperslab, possibly unlimited (h5py's low-level `dcpl.set_virtual`).
    pub fn map_selection(mut self, selection: SpaceSelection, source: VirtualSource) -> Self {
        self.mappings.push((Sel::Space(selection), source));
        self
    }

    /// Everything checked: the dataset (with a placeholder heap ID) and the mappings to
    /// store.
    fn checked(&self) -> Result<(DatasetSpec, Vec<Mapping>)> {
        let what = format!("virtual dataset {}", self.path);
        let datatype = self
            .datatype
            .clone()
            .ok_or_else(|| Error::Invalid(format!("{what}: no datatype given")))?;
        check_element_size(&datatype, format_args!("{what}"))?;
        let dims = self
            .shape
            .clone()
            .ok_or_else(|| Error::Invalid(format!("{what}: no shape given")))?;
        check_dims(&dims)?;
        if dims.is_empty() {
            return Err(Error::Invalid(format!(
                "{what}: the shape must have at least one axis"
            )));
        }
        let max_dims: Vec<u64> = match &self.maxshape {
            None => dims.clone(),
            Some(m) => {
                if m.len() != dims.len() {
                    return Err(Error::Invalid(format!(
                        "{what}: maxshape {m:?} has a different rank than shape {dims:?}"
                    )));
                }
                let max: Vec<u64> = m.iter().map(|d| d.unwrap_or(UNLIMITED)).collect();
                if dims.iter().zip(&max).any(|(d, mx)| d > mx) {
                    return Err(Error::Invalid(format!(
                        "{what}: shape {dims:?} exceeds maxshape {m:?}"
                    )));
                }
                max
            }
        };
        let mut specs = Vec::with_capacity(self.mappings.len());
        for (i, (vsel, src)) in self.mappings.iter().enumerate() {
            check_dims(&src.shape)?;
            let virtual_sel = vsel.resolve(&dims, &format!("{what}: mapping {i}"))?;
            let source = src
                .selection
                .resolve(&src.shape, &format!("{what}: mapping {i} (source)"))?;
            specs.push(MappingSpec {
                mapping: Mapping {
                    file: src.file.clone(),
                    dataset: src.dataset.clone(),
                    source,
                    virtual_sel,
                },
                source_dims: src.shape.clone(),
            });
        }
        let mappings =
            virtual_layout::check_mappings(&specs, &dims, &max_dims).map_err(|e| match e {
                Error::Invalid(m) => Error::Invalid(format!("{what}: {m}")),
                other => other,
            })?;
        let fill = match self.fill {
            Some(n) => Some(
                encode_numbers(&datatype, std::iter::once(n))
                    .map_err(|e| Error::Type(format!("{what}: fill value: {e}")))?,
            ),
            None => None,
        };
        let space = Dataspace {
            kind: SpaceKind::Simple,
            dims,
            max_dims: Some(max_dims),
        };
        let spec = DatasetSpec {
            datatype,
            dataspace: space,
            storage: StorageChoice::Virtual(GlobalHeapId {
                collection: None,
                index: 0,
            }),
            filters: FilterPipeline::default(),
            fill,
            track_order: false,
        };
        Ok((spec, mappings))
    }

    /// Create the virtual dataset. Everything is checked before the first write (a refused
    /// creation leaves the file unchanged); then the mapping block goes to the global heap,
    /// the dataset's header is written, then its link.
    pub fn create(self) -> Result<Dataset> {
        let (mut spec, mappings) = self.checked()?;
        let plan = self.group.plan_create(&self.path)?;
        let file = plan.parent.file_inner().clone();
        let sizes = file.sizes()?;
        let block = vds_block::encode(&mappings, sizes)?;
        spec.datatype = spec.datatype.for_offset_size(sizes.offset);
        // The header's messages are checked with a placeholder heap ID.
        datasets::header_messages(sizes, &spec)?;
        let attrs = attribute_messages(&file, self.attrs)?;
        let addr = {
            let mut session = file.session()?;
            let heap = virtual_layout::store(&mut session, &file.store, &block)?;
            spec.storage = StorageChoice::Virtual(heap);
            let (flags, messages) = datasets::header_messages(sizes, &spec)?;
            writer::attrs::create_with_attrs(&mut session, &file.store, flags, messages, attrs)?
        };
        plan.link_dataset(addr)
    }
}
