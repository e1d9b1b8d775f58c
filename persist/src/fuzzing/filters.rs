//! Fuzz target `filters`: one filtered chunk through the filter pipeline
//! ([`jangada_hdf5::filters::decode_chunk`]), with a pipeline of built-in filters the input
//! chooses. Decoding must never panic and never hold much more than the expected chunk
//! size ([`filter_budget`]).
//!
//! The input (integers little-endian):
//!
//! ```text
//! u8        n % 4: the number of filters (0 to 3), in writing order
//! n times:
//!   u16     filter id: a built-in id is used as is, any other picks
//!           builtin_ids()[id % count] (so that seeds of filters not built in yet pick
//!           theirs once they are)
//!   u8      c % 65: the number of client data values (0 to 64)
//!   c x u32 client data values
//! u16       element size in bytes
//! u32       expected (unfiltered) chunk size, modulo MAX_FILTER_EXPECTED + 1
//! u32       filter mask (bit i set: filter i was skipped)
//! rest      the stored chunk
//! ```
//!
//! `fuzz/filter_seeds.py` writes real chunks of the filter corpus (`fixtures/filters/`) in
//! this form into `fuzz/corpus-seeds/filters/`.

use jangada_hdf5::filters::{decode_chunk, registry::builtin_ids};
use jangada_hdf5::messages::filter_pipeline::{Filter, FilterPipeline};
use jangada_hdf5::Result;

/// The largest expected chunk size an input may ask for (1 MiB).
pub const MAX_FILTER_EXPECTED: usize = 1 << 20;

/// Most filters in one input's pipeline.
const MAX_FILTERS: u8 = 3;

/// Most client data values of one filter.
const MAX_CD_VALUES: u8 = 64;

/// A decoded input: the pipeline, the chunk's description and its stored bytes.
struct Input<'a> {
    pipeline: FilterPipeline,
    element_size: usize,
    expected: usize,
    mask: u32,
    stored: &'a [u8],
}

/// A little-endian reader over the input that fails (`None`) at its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// A built-in filter id for the input's `raw` id.
fn pick_id(raw: u16) -> u16 {
    let ids = builtin_ids();
    if ids.contains(&raw) || ids.is_empty() {
        return raw;
    }
    ids.get(usize::from(raw) % ids.len())
        .copied()
        .unwrap_or(raw)
}

fn parse(bytes: &[u8]) -> Option<Input<'_>> {
    let mut r = Reader(bytes);
    let n = r.u8()? % (MAX_FILTERS + 1);
    let mut filters = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let id = pick_id(r.u16()?);
        let count = r.u8()? % (MAX_CD_VALUES + 1);
        let client_data = (0..count).map(|_| r.u32()).collect::<Option<Vec<u32>>>()?;
        filters.push(Filter {
            id,
            name: None,
            flags: 0,
            client_data,
        });
    }
    let element_size = usize::from(r.u16()?);
    let expected = usize::try_from(r.u32()?).ok()? % (MAX_FILTER_EXPECTED + 1);
    let mask = r.u32()?;
    Some(Input {
        pipeline: FilterPipeline { filters },
        element_size,
        expected,
        mask,
        stored: r.0,
    })
}

/// `fuzz_target filters`: decode the chunk `bytes` describes (see the module doc); errors
/// are expected and ignored.
pub fn filters(bytes: &[u8]) {
    let _ = filter_decode(bytes);
}

/// The decoded chunk of a well-formed input (`None` when the header is cut short): what
/// [`filters`] computes. Real seeds of built-in filters decode to their chunk.
pub fn filter_decode(bytes: &[u8]) -> Option<Result<Vec<u8>>> {
    let input = parse(bytes)?;
    Some(decode_chunk(
        &input.pipeline,
        input.mask,
        input.stored,
        input.element_size,
        input.expected,
    ))
}

/// The most bytes decoding `bytes` may allocate: each applied filter's decoding limit (the
/// chunk, grown by the filters before it) for its output and once more for its working
/// state, the input twice, and 4 MiB for the decoders' state that does not grow with the
/// chunk: BZip2 works on whole blocks of up to 900 kB, 4 bytes an entry (3.6 MB, as its
/// stream header declares, for any chunk), `ruzstd` reserves a block's literals (up to 1 MiB
/// as a literals header claims) beside its tables.
pub fn filter_budget(bytes: &[u8]) -> usize {
    let slack = bytes.len().saturating_mul(2).saturating_add(4 << 20);
    let Some(input) = parse(bytes) else {
        return slack;
    };
    let mut limit = input.expected;
    let mut total = 0usize;
    for (i, f) in input.pipeline.filters.iter().enumerate() {
        if i < 32 && input.mask & (1u32 << i) != 0 {
            continue;
        }
        let Some(codec) = jangada_hdf5::filters::builtin(f.id) else {
            continue;
        };
        total = total.saturating_add(limit.saturating_mul(2));
        limit = codec.encoded_bound(limit);
    }
    total.saturating_add(slack)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An input for one filter.
    fn input(id: u16, cd: &[u32], elem: u16, expected: u32, mask: u32, stored: &[u8]) -> Vec<u8> {
        let mut v = vec![1u8];
        v.extend(id.to_le_bytes());
        v.push(u8::try_from(cd.len()).unwrap_or(0));
        for c in cd {
            v.extend(c.to_le_bytes());
        }
        v.extend(elem.to_le_bytes());
        v.extend(expected.to_le_bytes());
        v.extend(mask.to_le_bytes());
        v.extend(stored);
        v
    }

    #[test]
    fn a_real_chunk_decodes_and_garbage_is_an_error() {
        let data: Vec<u8> = (0..4000u32).flat_map(|i| (i / 7).to_le_bytes()).collect();
        let stored = jangada_hdf5::filters::zstd::encode(&data, 3);
        let good = input(32015, &[3], 4, 16_000, 0, &stored);
        assert_eq!(
            filter_decode(&good).and_then(|r| r.ok()),
            Some(data.clone())
        );
        assert!(filter_budget(&good) >= 32_000);
        // Skipped by the mask: the stored bytes are the chunk, which has the wrong size.
        let skipped = input(32015, &[3], 4, 16_000, 1, &stored);
        assert!(matches!(filter_decode(&skipped), Some(Err(_))));
        // Cut header, unknown ids, every prefix: no panic.
        assert!(filter_decode(&[]).is_none());
        let other = input(9, &[], 4, 16_000, 0, &stored);
        filters(&other);
        for cut in 0..good.len().min(200) {
            filters(good.get(..cut).unwrap_or_default());
        }
    }

    #[test]
    fn ids_map_onto_built_in_filters() {
        for raw in [0u16, 1, 5, 307, 32001, 32015, u16::MAX] {
            assert!(
                jangada_hdf5::filters::builtin(pick_id(raw)).is_some(),
                "{raw}"
            );
        }
        assert_eq!(pick_id(32004), 32004);
    }
}
