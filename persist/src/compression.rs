//! Compression of array datasets (an improvement over jangada, which has none): a filter
//! pipeline, given in code or as text such as `"shuffle,zstd:3"`.
//!
//! The text form is what `#[jangada(compression = "...")]` takes: filters separated by
//! commas, in the order they are applied when writing, each a name and `:`-separated
//! options (h5py's and hdf5plugin's names):
//!
//! | text | filter |
//! |---|---|
//! | `gzip`, `gzip:N` (`deflate:N`) | deflate, level 0-9 (default 4, h5py's) |
//! | `shuffle` | byte shuffle |
//! | `fletcher32` | Fletcher-32 checksums |
//! | `lzf` | LZF |
//! | `lz4` | LZ4 |
//! | `zstd`, `zstd:N` | Zstandard, level (default 3) |
//! | `bzip2`, `bzip2:N` | BZip2, block size 1-9 (default 9) |
//! | `bitshuffle`, `bitshuffle:lz4`, `bitshuffle:zstd[:N]`, `bitshuffle:none` | Bitshuffle (default +LZ4) |
//! | `filter:ID[:V1:V2...]` | any filter by id with its client data values |
//!
//! `#[jangada(compression = N)]` (an integer) is `"shuffle,gzip:N"`.

use std::fmt;
use std::str::FromStr;

use jangada_hdf5::{BitshuffleMode, DatasetBuilder};

use crate::error::{Error, Result};

/// One filter of a [`Compression`] pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Filter {
    /// Deflate at a level (0-9).
    Deflate(u32),
    /// Byte shuffle.
    Shuffle,
    /// Fletcher-32 checksums.
    Fletcher32,
    /// LZF.
    Lzf,
    /// LZ4.
    Lz4,
    /// Zstandard at a level.
    Zstd(u32),
    /// BZip2 with blocks of N x 100 kB (1-9).
    Bzip2(u32),
    /// Bitshuffle then a compressor.
    Bitshuffle(BitshuffleMode),
    /// Any filter by id, with its client data values.
    Other {
        /// The HDF5 filter id.
        id: u16,
        /// Its client data (`cd_values`).
        cd_values: Vec<u32>,
    },
}

/// The filter pipeline of an array dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compression {
    filters: Vec<Filter>,
}

impl Compression {
    /// Deflate at `level`, after a byte shuffle when `shuffle` is set (h5py's
    /// `compression="gzip", shuffle=True`).
    pub fn deflate(level: u32, shuffle: bool) -> Self {
        let mut filters = Vec::new();
        if shuffle {
            filters.push(Filter::Shuffle);
        }
        filters.push(Filter::Deflate(level));
        Compression { filters }
    }

    /// A pipeline of `filters`, applied in this order when writing.
    pub fn new(filters: Vec<Filter>) -> Self {
        Compression { filters }
    }

    /// The filters, in the order they are applied when writing.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// Parse the text form (see the module documentation).
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = |detail: String| Error::Unsupported(format!("compression {spec:?}: {detail}"));
        let mut filters = Vec::new();
        for step in spec.split(',').map(str::trim) {
            let mut parts = step.split(':').map(str::trim);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let args: Vec<&str> = parts.collect();
            let num = |i: usize, default: u32| -> Result<u32> {
                match args.get(i) {
                    None => Ok(default),
                    Some(a) => a
                        .parse::<u32>()
                        .map_err(|_| bad(format!("{name}: {a:?} is not a number"))),
                }
            };
            let at_most = |n: usize| -> Result<()> {
                if args.len() > n {
                    Err(bad(format!("{name} takes at most {n} option(s)")))
                } else {
                    Ok(())
                }
            };
            let filter = match name.as_str() {
                "gzip" | "deflate" => {
                    at_most(1)?;
                    let level = num(0, 4)?;
                    if level > 9 {
                        return Err(bad(format!("deflate level {level} is not 0-9")));
                    }
                    Filter::Deflate(level)
                }
                "shuffle" => {
                    at_most(0)?;
                    Filter::Shuffle
                }
                "fletcher32" => {
                    at_most(0)?;
                    Filter::Fletcher32
                }
                "lzf" => {
                    at_most(0)?;
                    Filter::Lzf
                }
                "lz4" => {
                    at_most(0)?;
                    Filter::Lz4
                }
                "zstd" => {
                    at_most(1)?;
                    Filter::Zstd(num(0, 3)?)
                }
                "bzip2" => {
                    at_most(1)?;
                    let level = num(0, 9)?;
                    if !(1..=9).contains(&level) {
                        return Err(bad(format!("bzip2 block size {level} is not 1-9")));
                    }
                    Filter::Bzip2(level)
                }
                "bitshuffle" => {
                    at_most(2)?;
                    let mode = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("lz4") => BitshuffleMode::Lz4,
                        Some("none") => BitshuffleMode::None,
                        Some("zstd") => BitshuffleMode::Zstd(num(1, 3)?),
                        Some(other) => {
                            return Err(bad(format!(
                                "bitshuffle compressor {other:?} (expected none, lz4 or zstd)"
                            )))
                        }
                    };
                    Filter::Bitshuffle(mode)
                }
                "filter" => {
                    let id = args
                        .first()
                        .and_then(|a| a.parse::<u16>().ok())
                        .ok_or_else(|| bad("filter:ID needs a numeric filter id".into()))?;
                    let cd_values = (1..args.len())
                        .map(|i| num(i, 0))
                        .collect::<Result<Vec<u32>>>()?;
                    Filter::Other { id, cd_values }
                }
                "" => return Err(bad("an empty filter".into())),
                other => return Err(bad(format!("unknown filter {other:?}"))),
            };
            filters.push(filter);
        }
        Ok(Compression { filters })
    }

    /// Add this pipeline to a dataset builder.
    pub fn apply(&self, mut builder: DatasetBuilder) -> DatasetBuilder {
        for f in &self.filters {
            builder = match f {
                Filter::Deflate(level) => builder.deflate(*level),
                Filter::Shuffle => builder.shuffle(),
                Filter::Fletcher32 => builder.fletcher32(),
                Filter::Lzf => builder.lzf(),
                Filter::Lz4 => builder.lz4(),
                Filter::Zstd(level) => builder.zstd(*level),
                Filter::Bzip2(size) => builder.bzip2(*size),
                Filter::Bitshuffle(mode) => builder.bitshuffle(*mode),
                Filter::Other { id, cd_values } => builder.filter(*id, cd_values),
            };
        }
        builder
    }
}

impl FromStr for Compression {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Compression::parse(s)
    }
}

impl fmt::Display for Compression {
    /// The text form, which [`Compression::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, filter) in self.filters.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match filter {
                Filter::Deflate(level) => write!(f, "gzip:{level}")?,
                Filter::Shuffle => f.write_str("shuffle")?,
                Filter::Fletcher32 => f.write_str("fletcher32")?,
                Filter::Lzf => f.write_str("lzf")?,
                Filter::Lz4 => f.write_str("lz4")?,
                Filter::Zstd(level) => write!(f, "zstd:{level}")?,
                Filter::Bzip2(size) => write!(f, "bzip2:{size}")?,
                Filter::Bitshuffle(BitshuffleMode::None) => f.write_str("bitshuffle:none")?,
                Filter::Bitshuffle(BitshuffleMode::Lz4) => f.write_str("bitshuffle:lz4")?,
                Filter::Bitshuffle(BitshuffleMode::Zstd(l)) => write!(f, "bitshuffle:zstd:{l}")?,
                Filter::Other { id, cd_values } => {
                    write!(f, "filter:{id}")?;
                    for v in cd_values {
                        write!(f, ":{v}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn text_forms_parse_and_print_back() {
        for (text, canonical) in [
            ("shuffle,gzip:4", "shuffle,gzip:4"),
            ("gzip", "gzip:4"),
            ("deflate:9", "gzip:9"),
            ("zstd", "zstd:3"),
            (" shuffle , zstd:7 ", "shuffle,zstd:7"),
            ("lzf,fletcher32", "lzf,fletcher32"),
            ("lz4", "lz4"),
            ("bzip2:1", "bzip2:1"),
            ("bitshuffle", "bitshuffle:lz4"),
            ("bitshuffle:zstd:5", "bitshuffle:zstd:5"),
            ("bitshuffle:none", "bitshuffle:none"),
            ("filter:32001:2:2:4", "filter:32001:2:2:4"),
            ("ZSTD:1", "zstd:1"),
        ] {
            let c = Compression::parse(text).unwrap();
            assert_eq!(c.to_string(), canonical, "{text}");
            assert_eq!(Compression::parse(canonical).unwrap(), c);
        }
        assert_eq!(
            Compression::parse("shuffle,gzip:6").unwrap(),
            Compression::deflate(6, true)
        );
        for bad in [
            "",
            "gzip:10",
            "gzip:x",
            "zstd:1:2",
            "brotli",
            "bzip2:0",
            "bitshuffle:snappy",
            "filter",
            "filter:70000",
            "shuffle,,gzip",
            "lzf:1",
        ] {
            let e = Compression::parse(bad).unwrap_err().to_string();
            assert!(e.contains("compression"), "{bad}: {e}");
        }
    }
}
