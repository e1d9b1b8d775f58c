//! Creating datasets: [`DatasetBuilder`] with h5py's defaults (layout, chunk shape guess,
//! filters in h5py's order, fill value). Every setting is checked before anything is
//! written, so that a refused creation leaves the file unchanged.

use ndarray::ArrayD;

use crate::dataspace::{Dataspace, SpaceKind, UNLIMITED};
use crate::datatype::Datatype;
use crate::error::{Error, Result};
use crate::messages::external::Segment;
use crate::messages::filter_pipeline::{id, Filter, FilterPipeline};
use crate::writer::datasets::{self, DatasetSpec, StorageChoice};
use crate::writer::{self, chunking};

use super::dataset::Dataset;
use super::group::Group;
use super::selection::Selection;
use super::values::{encode_numbers, AttrData, H5Write, IntoAttr, Number};
use super::write::{attribute_messages, check_dims, check_element_size};

/// How a new dataset is laid out (defaults follow h5py).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Data in the object header (small datasets only).
    Compact,
    /// One contiguous block.
    Contiguous,
    /// Chunked (chunk shape given or guessed).
    Chunked,
}

/// What [`DatasetBuilder::bitshuffle`] does after bit-shuffling each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitshuffleMode {
    /// Nothing (hdf5plugin's `Bitshuffle(cname='none')`).
    None,
    /// LZ4 per block (hdf5plugin's default, `Bitshuffle()`).
    Lz4,
    /// Zstandard per block at a level (hdf5plugin's `Bitshuffle(cname='zstd', clevel=...)`).
    Zstd(u32),
}

/// Builder for a new dataset, with h5py's defaults: contiguous unless chunks, a maximum
/// shape or a filter is asked for; the chunk shape guessed as h5py does when not given.
#[derive(Clone, Debug)]
#[must_use]
pub struct DatasetBuilder {
    group: Group,
    path: String,
    datatype: Option<Datatype>,
    shape: Option<Option<Vec<u64>>>,
    maxshape: Option<Vec<Option<u64>>>,
    chunks: Option<Vec<u64>>,
    storage: Option<Storage>,
    filters: Vec<Filter>,
    fill: Option<Number>,
    track_order: bool,
    attrs: Vec<(String, AttrData)>,
    external: Option<Vec<Segment>>,
}

impl DatasetBuilder {
    pub(super) fn new(group: Group, path: &str) -> DatasetBuilder {
        DatasetBuilder {
            group,
            path: path.to_string(),
            datatype: None,
            shape: None,
            maxshape: None,
            chunks: None,
            storage: None,
            filters: Vec::new(),
            fill: None,
            attrs: Vec::new(),
            track_order: false,
            external: None,
        }
    }

    /// Store the raw data in external files, as h5py's `external=[(name, offset, size), ...]`
    /// (`H5Pset_external`): the dataset's bytes, in row-major order, fill each segment
    /// `(file name, byte offset in that file, bytes)` in turn; `None` as the last size means
    /// unlimited. Relative names are resolved beside the HDF5 file (see
    /// [`Dataset::external`]). The files are created when data is first written; the
    /// dataset must be contiguous (no chunks, filters or larger maximum shape).
    pub fn external(mut self, segments: &[(&str, u64, Option<u64>)]) -> Self {
        self.external = Some(
            segments
                .iter()
                .map(|&(name, offset, size)| Segment {
                    name: name.to_string(),
                    offset,
                    size,
                })
                .collect(),
        );
        self
    }

    /// The element datatype.
    pub fn dtype(mut self, datatype: Datatype) -> Self {
        self.datatype = Some(datatype);
        self
    }

    /// The element datatype of a Rust type.
    pub fn dtype_of<T: H5Write>(self) -> Self {
        self.dtype(T::datatype())
    }

    /// The shape (`&[]` for a scalar dataset).
    pub fn shape(mut self, shape: &[u64]) -> Self {
        self.shape = Some(Some(shape.to_vec()));
        self
    }

    /// No data at all (a null dataspace, h5py's `Empty`).
    pub fn empty(mut self) -> Self {
        self.shape = Some(None);
        self
    }

    /// The maximum shape; `None` is an unlimited axis. Implies chunked storage.
    pub fn maxshape(mut self, maxshape: &[Option<u64>]) -> Self {
        self.maxshape = Some(maxshape.to_vec());
        self
    }

    /// The chunk shape. Implies chunked storage.
    pub fn chunks(mut self, chunks: &[u64]) -> Self {
        self.chunks = Some(chunks.to_vec());
        self
    }

    /// The storage layout.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Deflate (gzip) at `level` 0-9 (another level makes creation fail). Implies chunked
    /// storage.
    pub fn deflate(mut self, level: u32) -> Self {
        self.filters.retain(|f| f.id != id::DEFLATE);
        // libhdf5 marks deflate and shuffle optional (a chunk they cannot shrink may be
        // stored as is); Fletcher-32 is mandatory.
        self.filters.push(Filter {
            id: id::DEFLATE,
            name: None,
            flags: 1,
            client_data: vec![level],
        });
        self
    }

    /// Byte shuffle before compression. Implies chunked storage.
    pub fn shuffle(mut self) -> Self {
        self.filters.retain(|f| f.id != id::SHUFFLE);
        self.filters.push(Filter {
            id: id::SHUFFLE,
            name: None,
            flags: 1,
            client_data: Vec::new(),
        });
        self
    }

    /// A filter of the registry (built in or registered with
    /// [`crate::filters::register`]) with its client data values, marked optional as h5py
    /// marks plugin filters (a chunk the filter declines is stored unfiltered). The
    /// filter's `set_local` completes the values when the dataset is created. An unknown id
    /// makes creation fail. Implies chunked storage.
    pub fn filter(mut self, filter_id: u16, cd_values: &[u32]) -> Self {
        self.filters.retain(|f| f.id != filter_id);
        self.filters.push(Filter {
            id: filter_id,
            name: None,
            flags: 1,
            client_data: cd_values.to_vec(),
        });
        self
    }

    /// LZF (filter 32000, h5py's `compression='lzf'`): fast, modest compression; a chunk it
    /// cannot shrink is stored unfiltered. Implies chunked storage.
    pub fn lzf(self) -> Self {
        self.filter(id::LZF, &[])
    }

    /// LZ4 (filter 32004, hdf5plugin's `LZ4()`): each chunk one LZ4 block. Implies chunked
    /// storage.
    pub fn lz4(self) -> Self {
        self.filter(id::LZ4, &[0])
    }

    /// Zstandard (filter 32015, hdf5plugin's `Zstd(clevel=level)`) at zstd's `level`
    /// (1-22; 0: the default, 3). Implies chunked storage.
    pub fn zstd(self, level: u32) -> Self {
        self.filter(id::ZSTD, &[level])
    }

    /// Bitshuffle (filter 32008, hdf5plugin's `Bitshuffle(...)`) with bitshuffle's default
    /// block size, then `mode`'s compression. Implies chunked storage.
    pub fn bitshuffle(self, mode: BitshuffleMode) -> Self {
        use crate::filters::bitshuffle::{COMPRESS_LZ4, COMPRESS_NONE, COMPRESS_ZSTD};
        let cd = match mode {
            BitshuffleMode::None => vec![0, COMPRESS_NONE],
            BitshuffleMode::Lz4 => vec![0, COMPRESS_LZ4],
            BitshuffleMode::Zstd(level) => vec![0, COMPRESS_ZSTD, level],
        };
        self.filter(id::BITSHUFFLE, &cd)
    }

    /// Blosc (filter 32001, hdf5plugin's `Blosc(cname, clevel, shuffle)` and PyTables'
    /// `blosc:*` complibs): c-blosc 1.x frames compressed with `codec` at `clevel` (0-9;
    /// another level makes creation fail) after `shuffle`. A chunk Blosc cannot shrink (all
    /// of them at level 0) is stored unfiltered, as hdf5-blosc does. Implies chunked storage.
    pub fn blosc(self, codec: crate::BloscCodec, clevel: u8, shuffle: crate::BloscShuffle) -> Self {
        self.filter(
            id::BLOSC,
            &crate::filters::blosc::cd_values(codec, clevel, shuffle),
        )
    }

    /// BZip2 (filter 307, PyTables' `complib='bzip2'`, hdf5plugin's `BZip2(blocksize)`) with
    /// blocks of `block_size` × 100 kB (1 to 9; 9 is the usual choice). Implies chunked
    /// storage.
    pub fn bzip2(self, block_size: u32) -> Self {
        self.filter(id::BZIP2, &[block_size])
    }

    /// Blosc2 (filter 32026, hdf5plugin's `Blosc2(cname, clevel, filters)`): `filter` then
    /// `codec` at `clevel` (0-9; 0 stores the chunk uncompressed) on blocks of each chunk.
    /// Implies chunked storage.
    pub fn blosc2(
        self,
        codec: crate::filters::blosc2::Blosc2Codec,
        clevel: u8,
        filter: crate::filters::blosc2::Blosc2Filter,
    ) -> Self {
        self.filter(
            id::BLOSC2,
            &crate::filters::blosc2::cd_values(codec, clevel, filter),
        )
    }

    /// SZIP (filter 4, h5py's `compression='szip', compression_opts=('nn', n)`): CCSDS
    /// 121.0-B coding with `coding`'s method and `pixels_per_block` (even, 2 to 32) pixels
    /// per block; a chunk it cannot shrink is stored unfiltered. Creation fails for
    /// datatypes SZIP cannot code or chunks smaller than a block. Implies chunked storage.
    pub fn szip(self, coding: crate::filters::szip::SzipCoding, pixels_per_block: u32) -> Self {
        self.filter(id::SZIP, &[coding.options_mask(), pixels_per_block])
    }

    /// ZFP (filter 32013, hdf5plugin's `Zfp(...)`) in `mode`: lossy or lossless compression
    /// of 4- and 8-byte integers and floats in chunks of 1 to 4 dimensions larger than 1.
    /// Implies chunked storage.
    pub fn zfp(self, mode: crate::filters::zfp::ZfpMode) -> Self {
        self.filter(id::ZFP, &mode.cd_values())
    }

    /// N-bit packing (filter 5, libhdf5's `H5Pset_nbit`): only the significant bits of each
    /// integer or float (the datatype's precision at its bit offset, e.g. a
    /// [`Datatype::int_bits`] type) are stored; compound and array members likewise.
    /// Lossless for values that fit the precision. Implies chunked storage.
    pub fn nbit(self) -> Self {
        self.filter(id::NBIT, &[])
    }

    /// Scale-offset (filter 6, libhdf5's `H5Pset_scaleoffset`, h5py's `scaleoffset=`):
    /// integers stored in the fewest bits their chunk's range needs, floats kept to a
    /// number of decimal digits (lossy). Implies chunked storage.
    pub fn scale_offset(self, mode: crate::filters::scaleoffset::ScaleOffset) -> Self {
        self.filter(id::SCALE_OFFSET, &mode.cd_values())
    }

    /// Fletcher-32 checksums of each chunk. Implies chunked storage.
    pub fn fletcher32(mut self) -> Self {
        self.filters.retain(|f| f.id != id::FLETCHER32);
        self.filters.push(Filter {
            id: id::FLETCHER32,
            name: None,
            flags: 0,
            client_data: Vec::new(),
        });
        self
    }

    /// The fill value for elements never written (converted to the dataset's datatype
    /// when the dataset is created; an error now if it does not convert to the datatype
    /// given so far).
    pub fn fill_value<T: H5Write>(mut self, value: T) -> Result<Self> {
        let dtype = self.datatype.clone().unwrap_or_else(T::datatype);
        encode_numbers(&dtype, std::iter::once(value.number()))?;
        self.fill = Some(value.number());
        Ok(self)
    }

    /// Track attribute creation order (h5py's `track_order=True`).
    pub fn track_order(mut self, track: bool) -> Self {
        self.track_order = track;
        self
    }

    fn spec(&self) -> Result<DatasetSpec> {
        let datatype = self
            .datatype
            .clone()
            .ok_or_else(|| Error::Invalid(format!("dataset {}: no datatype given", self.path)))?;
        check_element_size(&datatype, format_args!("dataset {}", self.path))?;
        let fill = match self.fill {
            Some(n) => Some(
                encode_numbers(&datatype, std::iter::once(n))
                    .map_err(|e| Error::Type(format!("dataset {}: fill value: {e}", self.path)))?,
            ),
            None => None,
        };
        for f in &self.filters {
            if !crate::filters::is_known(f.id) {
                return Err(Error::UnsupportedFilter {
                    id: f.id,
                    name: f.display_name(),
                });
            }
            if let (id::DEFLATE, Some(&level)) = (f.id, f.client_data.first()) {
                if level > 9 {
                    return Err(Error::Invalid(format!(
                        "dataset {}: deflate level {level}: levels are 0 to 9",
                        self.path
                    )));
                }
            }
        }
        let shape = self
            .shape
            .clone()
            .ok_or_else(|| Error::Invalid(format!("dataset {}: no shape given", self.path)))?;
        let dataspace = match &shape {
            None => Dataspace {
                kind: SpaceKind::Null,
                dims: Vec::new(),
                max_dims: None,
            },
            Some(dims) if dims.is_empty() => Dataspace::scalar(),
            Some(dims) => {
                check_dims(dims)?;
                // h5py always stores the maximum shape (equal to the shape by default).
                let max_dims = match &self.maxshape {
                    None => Some(dims.clone()),
                    Some(m) => {
                        if m.len() != dims.len() {
                            return Err(Error::Invalid(format!(
                                "maxshape {m:?} has a different rank than shape {dims:?}"
                            )));
                        }
                        let max: Vec<u64> = m.iter().map(|d| d.unwrap_or(UNLIMITED)).collect();
                        for (d, mx) in dims.iter().zip(&max) {
                            if d > mx {
                                return Err(Error::Invalid(format!(
                                    "shape {dims:?} exceeds maxshape {m:?}"
                                )));
                            }
                        }
                        Some(max)
                    }
                };
                Dataspace {
                    kind: SpaceKind::Simple,
                    dims: dims.clone(),
                    max_dims,
                }
            }
        };
        let wants_chunks =
            self.chunks.is_some() || self.maxshape.is_some() || !self.filters.is_empty();
        let storage = match (self.storage, &self.external) {
            (None | Some(Storage::Contiguous), Some(segments)) if !wants_chunks => {
                StorageChoice::External(segments.clone())
            }
            (_, Some(_)) => {
                return Err(Error::Invalid(
                    "external storage is contiguous: no compact or chunked storage, chunks, \
                     maxshape or filters"
                        .into(),
                ))
            }
            (storage, None) => self.storage_choice(storage, wants_chunks, &dataspace, &datatype)?,
        };
        // Filters in h5py's order: scale-offset, shuffle, then compression (in the order asked for),
        // fletcher32 last.
        let mut filters = self.filters.clone();
        filters.sort_by_key(|f| match f.id {
            id::SCALE_OFFSET => -1,
            id::SHUFFLE => 0,
            id::FLETCHER32 => 2,
            _ => 1,
        });
        Ok(DatasetSpec {
            datatype,
            dataspace,
            storage,
            filters: FilterPipeline { filters },
            fill,
            track_order: self.track_order,
        })
    }

    fn storage_choice(
        &self,
        storage: Option<Storage>,
        wants_chunks: bool,
        dataspace: &Dataspace,
        datatype: &Datatype,
    ) -> Result<StorageChoice> {
        Ok(match storage {
            Some(Storage::Compact) if !wants_chunks => StorageChoice::Compact,
            Some(Storage::Contiguous) if !wants_chunks => StorageChoice::Contiguous,
            Some(Storage::Compact | Storage::Contiguous) => {
                return Err(Error::Invalid(
                    "chunks, maxshape and filters need chunked storage".into(),
                ))
            }
            Some(Storage::Chunked) => {
                StorageChoice::Chunked(self.chunk_shape(dataspace, datatype)?)
            }
            None if wants_chunks => StorageChoice::Chunked(self.chunk_shape(dataspace, datatype)?),
            None => StorageChoice::Contiguous,
        })
    }

    fn chunk_shape(&self, space: &Dataspace, datatype: &Datatype) -> Result<Vec<u64>> {
        if space.kind != SpaceKind::Simple {
            return Err(Error::Invalid(
                "scalar and empty datasets cannot be chunked".into(),
            ));
        }
        let Some(chunks) = &self.chunks else {
            return Ok(chunking::guess_chunk(&space.dims, u64::from(datatype.size)));
        };
        if chunks.len() != space.dims.len() {
            return Err(Error::Invalid(format!(
                "chunk shape {chunks:?} has rank {}, the dataset {}",
                chunks.len(),
                space.dims.len()
            )));
        }
        if chunks.contains(&0) {
            return Err(Error::Invalid(format!(
                "chunk shape {chunks:?}: every chunk dimension must be at least 1"
            )));
        }
        Ok(chunks.clone())
    }

    /// Attributes to give the dataset, in order (a later one of the same name wins). They
    /// are written with the dataset's header: one write instead of one per attribute.
    pub fn attrs(mut self, attrs: Vec<(String, AttrData)>) -> Self {
        self.attrs.extend(attrs);
        self
    }

    /// One attribute to give the dataset (see [`DatasetBuilder::attrs`]).
    pub fn attr(self, name: &str, value: impl IntoAttr) -> Result<Self> {
        Ok(self.attrs(vec![(name.to_string(), value.into_attr()?)]))
    }

    /// Create the dataset (elements read as the fill value until written).
    pub fn create(self) -> Result<Dataset> {
        let mut spec = self.spec()?;
        let plan = self.group.plan_create(&self.path)?;
        let file = plan.parent.file_inner().clone();
        let sizes = file.sizes()?;
        spec.datatype = spec.datatype.for_offset_size(sizes.offset);
        // Everything is checked before the first write (the header's messages, then the
        // attributes, whose strings go to the global heap first); the dataset is written
        // before the intermediate groups: a refused creation leaves the file unchanged.
        let (flags, mut messages) = datasets::header_messages(sizes, &spec)?;
        let attrs = attribute_messages(&file, self.attrs)?;
        let addr = {
            let mut session = file.session()?;
            if let StorageChoice::External(segments) = &spec.storage {
                messages.push(datasets::external_message(
                    &mut session,
                    &file.store,
                    segments,
                )?);
            }
            writer::attrs::create_with_attrs(&mut session, &file.store, flags, messages, attrs)?
        };
        plan.link_dataset(addr)
    }

    /// Create the dataset with the shape and (unless given) the datatype of `data`, and
    /// write it.
    pub fn write<T: H5Write>(mut self, data: &ArrayD<T>) -> Result<Dataset> {
        if self.datatype.is_none() {
            self.datatype = Some(T::datatype());
        }
        if self.shape.is_none() {
            self.shape = Some(Some(data.shape().iter().map(|&d| d as u64).collect()));
        }
        // Everything that can fail is checked before the dataset is created, so that a
        // refused call leaves the file unchanged.
        self.spec()?;
        match &self.shape {
            Some(Some(shape)) => {
                let same = data.shape().len() == shape.len()
                    && data.shape().iter().zip(shape).all(|(&a, &b)| a as u64 == b);
                if !same && data.len() != 1 {
                    return Err(Error::Invalid(format!(
                        "data of shape {:?} does not match the dataset's shape {shape:?}",
                        data.shape()
                    )));
                }
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "dataset {}: no data can be written to a null dataspace",
                    self.path
                )))
            }
        }
        if let Some(dtype) = &self.datatype {
            encode_numbers(dtype, data.iter().take(1).map(|v| v.number()))?;
        }
        let ds = self.create()?;
        ds.write_new(data)?;
        Ok(ds)
    }

    /// Create a dataset of variable-length UTF-8 strings.
    pub fn write_strings(mut self, shape: &[u64], values: &[String]) -> Result<Dataset> {
        self.datatype = Some(Datatype::vlen_utf8());
        self.shape = Some(Some(shape.to_vec()));
        // Checked before the dataset is created: a refused call changes nothing.
        self.spec()?;
        let n = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        if n != Some(values.len() as u64) {
            return Err(Error::Invalid(format!(
                "{} strings for a dataset of shape {shape:?}",
                values.len()
            )));
        }
        let ds = self.create()?;
        ds.write_strings(Selection::all(), values)?;
        Ok(ds)
    }
}
