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
//! | `blosc[:CODEC[:N[:SHUFFLE]]]` | Blosc: codec `blosclz` (default, PyTables'), `lz4`, `lz4hc`, `zlib`, `zstd`, `snappy`; level (default 5); `shuffle` (default), `bitshuffle`, `noshuffle` |
//! | `blosc2[:CODEC[:N[:SHUFFLE]]]` | Blosc2: codec `blosclz`, `lz4` (default), `lz4hc`, `zlib`, `zstd`; level (default 5); `shuffle` (default), `bitshuffle`, `noshuffle`, `delta` |
//! | `szip`, `szip:nn:N`, `szip:ec:N` | SZIP, N pixels per block (default `nn:8`, h5py's) |
//! | `nbit` | N-bit packing (the datatype's precision) |
//! | `scaleoffset:int[:N]`, `scaleoffset:float:D` | scale-offset: integers in N bits (default: as few as each chunk needs), floats kept to D decimal digits (lossy) |
//! | `zfp:rate:R`, `zfp:precision:P`, `zfp:accuracy:A`, `zfp:reversible`, `zfp:expert:MINBITS:MAXBITS:MAXPREC:MINEXP` | ZFP |
//! | `filter:ID[:V1:V2...]` | any filter by id with its client data values |
//!
//! `#[jangada(compression = N)]` (an integer) is `"shuffle,gzip:N"`.

use std::fmt;
use std::str::FromStr;

use jangada_hdf5::{
    BitshuffleMode, Blosc2Codec, Blosc2Filter, BloscCodec, BloscShuffle, DatasetBuilder,
    ScaleOffset, SzipCoding, ZfpMode,
};

use crate::error::{Error, Result};

/// One filter of a [`Compression`] pipeline.
#[derive(Clone, Debug, PartialEq)]
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
    /// Blosc: codec, level (0-9) and shuffle.
    Blosc(BloscCodec, u8, BloscShuffle),
    /// Blosc2: codec, level (0-9) and shuffle filter.
    Blosc2(Blosc2Codec, u8, Blosc2Filter),
    /// SZIP with a coding method and pixels per block.
    Szip(SzipCoding, u32),
    /// N-bit packing.
    Nbit,
    /// Scale-offset.
    ScaleOffset(ScaleOffset),
    /// ZFP.
    Zfp(ZfpMode),
    /// Any filter by id, with its client data values.
    Other {
        /// The HDF5 filter id.
        id: u16,
        /// Its client data (`cd_values`).
        cd_values: Vec<u32>,
    },
}

/// The filter pipeline of an array dataset.
#[derive(Clone, Debug, PartialEq)]
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
                "blosc" => {
                    at_most(3)?;
                    let codec = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("blosclz") => BloscCodec::BloscLz,
                        Some("lz4") => BloscCodec::Lz4,
                        Some("lz4hc") => BloscCodec::Lz4Hc,
                        Some("zlib") => BloscCodec::Zlib,
                        Some("zstd") => BloscCodec::Zstd,
                        Some("snappy") => BloscCodec::Snappy,
                        Some(other) => return Err(bad(format!("blosc codec {other:?}"))),
                    };
                    let level = num(1, 5)?;
                    if level > 9 {
                        return Err(bad(format!("blosc level {level} is not 0-9")));
                    }
                    let shuffle = match args.get(2).map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("shuffle") => BloscShuffle::Byte,
                        Some("bitshuffle") => BloscShuffle::Bit,
                        Some("noshuffle") => BloscShuffle::None,
                        Some(other) => return Err(bad(format!("blosc shuffle {other:?}"))),
                    };
                    Filter::Blosc(codec, level as u8, shuffle)
                }
                "blosc2" => {
                    at_most(3)?;
                    let codec = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("lz4") => Blosc2Codec::Lz4,
                        Some("blosclz") => Blosc2Codec::BloscLz,
                        Some("lz4hc") => Blosc2Codec::Lz4Hc,
                        Some("zlib") => Blosc2Codec::Zlib,
                        Some("zstd") => Blosc2Codec::Zstd,
                        Some(other) => return Err(bad(format!("blosc2 codec {other:?}"))),
                    };
                    let level = num(1, 5)?;
                    if level > 9 {
                        return Err(bad(format!("blosc2 level {level} is not 0-9")));
                    }
                    let shuffle = match args.get(2).map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("shuffle") => Blosc2Filter::Shuffle,
                        Some("bitshuffle") => Blosc2Filter::BitShuffle,
                        Some("noshuffle") => Blosc2Filter::NoFilter,
                        Some("delta") => Blosc2Filter::Delta,
                        Some(other) => return Err(bad(format!("blosc2 shuffle {other:?}"))),
                    };
                    Filter::Blosc2(codec, level as u8, shuffle)
                }
                "szip" => {
                    at_most(2)?;
                    let coding = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        None | Some("nn") => SzipCoding::Nn,
                        Some("ec") => SzipCoding::Ec,
                        Some(other) => return Err(bad(format!("szip coding {other:?}"))),
                    };
                    Filter::Szip(coding, num(1, 8)?)
                }
                "nbit" => {
                    at_most(0)?;
                    Filter::Nbit
                }
                "scaleoffset" => {
                    at_most(2)?;
                    match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        Some("int") => Filter::ScaleOffset(ScaleOffset::Integer(
                            args.get(1).map(|_| num(1, 0)).transpose()?,
                        )),
                        Some("float") if args.len() == 2 => {
                            Filter::ScaleOffset(ScaleOffset::FloatDScale(num(1, 0)?))
                        }
                        _ => {
                            return Err(bad(
                                "scaleoffset:int[:BITS] or scaleoffset:float:DIGITS".into()
                            ))
                        }
                    }
                }
                "zfp" => {
                    let real = |i: usize| -> Result<f64> {
                        args.get(i)
                            .and_then(|a| a.parse::<f64>().ok())
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| {
                                bad("zfp: the mode's value is not a finite number".into())
                            })
                    };
                    let mode = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
                        Some("reversible") if args.len() == 1 => ZfpMode::Reversible,
                        Some("rate") if args.len() == 2 => ZfpMode::Rate(real(1)?),
                        Some("accuracy") if args.len() == 2 => ZfpMode::Accuracy(real(1)?),
                        Some("precision") if args.len() == 2 => ZfpMode::Precision(num(1, 0)?),
                        Some("expert") if args.len() == 5 => ZfpMode::Expert {
                            minbits: num(1, 0)?,
                            maxbits: num(2, 0)?,
                            maxprec: num(3, 0)?,
                            minexp: args
                                .get(4)
                                .and_then(|a| a.parse::<i32>().ok())
                                .ok_or_else(|| bad("zfp:expert: minexp is a number".into()))?,
                        },
                        _ => {
                            return Err(bad("zfp:rate:R, zfp:precision:P, zfp:accuracy:A or \
                                            zfp:reversible"
                                .into()))
                        }
                    };
                    Filter::Zfp(mode)
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
                Filter::Blosc(codec, level, shuffle) => builder.blosc(*codec, *level, *shuffle),
                Filter::Blosc2(codec, level, shuffle) => builder.blosc2(*codec, *level, *shuffle),
                Filter::Szip(coding, pixels) => builder.szip(*coding, *pixels),
                Filter::Nbit => builder.nbit(),
                Filter::ScaleOffset(mode) => builder.scale_offset(*mode),
                Filter::Zfp(mode) => builder.zfp(*mode),
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
                Filter::Blosc(codec, level, shuffle) => {
                    let codec = match codec {
                        BloscCodec::BloscLz => "blosclz",
                        BloscCodec::Lz4 => "lz4",
                        BloscCodec::Lz4Hc => "lz4hc",
                        BloscCodec::Zlib => "zlib",
                        BloscCodec::Zstd => "zstd",
                        BloscCodec::Snappy => "snappy",
                    };
                    let shuffle = match shuffle {
                        BloscShuffle::None => "noshuffle",
                        BloscShuffle::Byte => "shuffle",
                        BloscShuffle::Bit => "bitshuffle",
                    };
                    write!(f, "blosc:{codec}:{level}:{shuffle}")?
                }
                Filter::Blosc2(codec, level, shuffle) => {
                    let codec = match codec {
                        Blosc2Codec::BloscLz => "blosclz",
                        Blosc2Codec::Lz4 => "lz4",
                        Blosc2Codec::Lz4Hc => "lz4hc",
                        Blosc2Codec::Zlib => "zlib",
                        Blosc2Codec::Zstd => "zstd",
                    };
                    let shuffle = match shuffle {
                        Blosc2Filter::NoFilter => "noshuffle",
                        Blosc2Filter::Shuffle => "shuffle",
                        Blosc2Filter::BitShuffle => "bitshuffle",
                        Blosc2Filter::Delta => "delta",
                    };
                    write!(f, "blosc2:{codec}:{level}:{shuffle}")?
                }
                Filter::Szip(SzipCoding::Nn, n) => write!(f, "szip:nn:{n}")?,
                Filter::Szip(SzipCoding::Ec, n) => write!(f, "szip:ec:{n}")?,
                Filter::Nbit => f.write_str("nbit")?,
                Filter::ScaleOffset(ScaleOffset::Integer(None)) => {
                    f.write_str("scaleoffset:int")?
                }
                Filter::ScaleOffset(ScaleOffset::Integer(Some(n))) => {
                    write!(f, "scaleoffset:int:{n}")?
                }
                Filter::ScaleOffset(ScaleOffset::FloatDScale(d)) => {
                    write!(f, "scaleoffset:float:{d}")?
                }
                Filter::Zfp(ZfpMode::Rate(r)) => write!(f, "zfp:rate:{r}")?,
                Filter::Zfp(ZfpMode::Precision(p)) => write!(f, "zfp:precision:{p}")?,
                Filter::Zfp(ZfpMode::Accuracy(a)) => write!(f, "zfp:accuracy:{a}")?,
                Filter::Zfp(ZfpMode::Reversible) => f.write_str("zfp:reversible")?,
                Filter::Zfp(ZfpMode::Expert {
                    minbits,
                    maxbits,
                    maxprec,
                    minexp,
                }) => write!(f, "zfp:expert:{minbits}:{maxbits}:{maxprec}:{minexp}")?,
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
            ("blosc", "blosc:blosclz:5:shuffle"),
            ("blosc:lz4:9:bitshuffle", "blosc:lz4:9:bitshuffle"),
            ("blosc:zstd:1:noshuffle", "blosc:zstd:1:noshuffle"),
            ("blosc:snappy", "blosc:snappy:5:shuffle"),
            ("blosc2", "blosc2:lz4:5:shuffle"),
            ("blosc2:zstd:9:bitshuffle", "blosc2:zstd:9:bitshuffle"),
            ("blosc2:blosclz:1:noshuffle", "blosc2:blosclz:1:noshuffle"),
            ("szip", "szip:nn:8"),
            ("szip:ec:32", "szip:ec:32"),
            ("nbit", "nbit"),
            ("scaleoffset:int", "scaleoffset:int"),
            ("scaleoffset:int:4", "scaleoffset:int:4"),
            ("scaleoffset:float:3", "scaleoffset:float:3"),
            ("zfp:rate:8.5", "zfp:rate:8.5"),
            ("zfp:accuracy:0.001", "zfp:accuracy:0.001"),
            ("zfp:precision:20", "zfp:precision:20"),
            ("zfp:reversible", "zfp:reversible"),
            ("zfp:expert:8:64:20:-1074", "zfp:expert:8:64:20:-1074"),
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
            "blosc:lz4:5:delta",
            "blosc2:lz5",
            "blosc2:lz4:10",
            "szip:xx:8",
            "scaleoffset:3",
            "scaleoffset:float",
            "zfp:rate",
            "zfp:rate:nan",
            "zfp:magic:1",
        ] {
            let e = Compression::parse(bad).unwrap_err().to_string();
            assert!(e.contains("compression"), "{bad}: {e}");
        }
    }
}
