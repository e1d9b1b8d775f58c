//! BloscLZ, Blosc's own LZ77 codec (c-blosc `blosclz.c`, derived from FastLZ level 1), as
//! c-blosc 1.x and c-blosc2 write and read it. Both libraries share one stream format.
//!
//! A stream is a sequence of instructions; the first is always a literal run, and the high
//! three bits of the first byte are a marker the decoder ignores (c-blosc sets bit 5).
//!
//! ```text
//! literal run   000nnnnn                 n + 1 literal bytes follow (1..=32)
//! short match   lllddddd dddddddd        l in 1..=6: copy l + 2 bytes from distance d + 1
//! long match    111ddddd (255)* x dddddddd
//!                                        copy 9 + 255 * count(255) + x bytes
//! far match     as either match with ddddd = 31 and the distance byte 255, then two
//!               bytes (big-endian) f: the distance is f + 8192
//! ```
//!
//! Distances count back from the next output byte (1 = the byte just written); a match may
//! overlap its own output (a run). A match is never the last instruction: c-blosc2's and
//! c-blosc 1.21's decoders stop before applying one that ends the stream, so their encoders
//! always end with literals. Such a stream is treated as corrupt here.

/// Longest literal run of one instruction.
const MAX_COPY: usize = 32;
/// Distance bias of the far form (c-blosc's `MAX_DISTANCE`).
const MAX_DISTANCE: usize = 8191;
/// Matches at this distance or farther are not encoded (c-blosc's `MAX_FARDISTANCE`).
const MAX_FAR_DISTANCE: usize = 65535 + MAX_DISTANCE - 1;
/// The shortest match the encoder emits.
const MIN_MATCH: usize = 4;
/// The shortest far match the encoder emits (a far match costs 4 bytes or more).
const MIN_FAR_MATCH: usize = 7;
/// Bytes at the end of the input the encoder never starts a match in (c-blosc's 12).
const TAIL: usize = 12;

/// Decompress the BloscLZ stream `input` into `out`, returning the bytes written, or
/// `None` when the stream is corrupt or decodes to more than `out` holds.
pub fn decompress(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let Some(&first) = input.first() else {
        return Some(0);
    };
    let mut ctrl = usize::from(first & 31);
    let mut ip = 1usize;
    let mut op = 0usize;
    loop {
        if ctrl < 32 {
            let n = ctrl + 1;
            let src = input.get(ip..ip.checked_add(n)?)?;
            out.get_mut(op..op.checked_add(n)?)?.copy_from_slice(src);
            ip += n;
            op += n;
            match input.get(ip) {
                Some(&c) => ctrl = usize::from(c),
                None => return Some(op),
            }
            ip += 1;
            continue;
        }
        let mut len = (ctrl >> 5) + 2;
        if len == 9 {
            loop {
                let code = *input.get(ip)?;
                ip += 1;
                len = len.checked_add(usize::from(code))?;
                if code != 255 {
                    break;
                }
            }
        }
        let hi = ctrl & 31;
        let code = usize::from(*input.get(ip)?);
        ip += 1;
        let mut distance = (hi << 8) + code + 1;
        if code == 255 && hi == 31 {
            let far = input.get(ip..ip + 2)?;
            let f = usize::from(*far.first()?) << 8 | usize::from(*far.get(1)?);
            ip += 2;
            distance = f + MAX_DISTANCE + 1;
        }
        // A match must be followed by another instruction.
        ctrl = usize::from(*input.get(ip)?);
        ip += 1;
        let end = op.checked_add(len)?;
        if end > out.len() || distance > op {
            return None;
        }
        copy_match(out, op, distance, len);
        op = end;
    }
}

/// Copy `len` bytes to `out[op..]` from `distance` bytes back, the source possibly
/// overlapping the destination (the caller checked both ranges).
fn copy_match(out: &mut [u8], op: usize, distance: usize, len: usize) {
    let start = op - distance;
    if distance == 1 {
        let b = out.get(start).copied().unwrap_or_default();
        if let Some(d) = out.get_mut(op..op + len) {
            d.fill(b);
        }
        return;
    }
    // The bytes from `start` repeat with period `distance`: copy whole periods from there,
    // doubling what each copy may take.
    let mut done = 0;
    while done < len {
        let n = (len - done).min(distance + done);
        out.copy_within(start..start + n, op + done);
        done += n;
    }
}

/// Compress `input` as one BloscLZ stream appended to `out` at level `clevel` (1-9; 0
/// compresses nothing). Returns the bytes appended, or 0 (with `out` unchanged) when the
/// stream would not be shorter than the input.
///
/// A greedy single-hash LZ77 parse: higher levels use a larger hash table, so find more
/// matches. The format is what matters for interchange; the parse is this crate's own.
pub fn compress(input: &[u8], out: &mut Vec<u8>, clevel: u8) -> usize {
    let n = input.len();
    let base = out.len();
    if clevel == 0 || n < TAIL + MIN_MATCH || u32::try_from(n).is_err() {
        return 0;
    }
    let hash_log = 11 + u32::from(clevel.min(9)) / 2;
    let mut table = vec![0u32; 1 << hash_log];
    let limit = n - TAIL;
    // A match stops one byte before the end: the stream ends with a literal.
    let match_end = n - 1;
    let mut anchor = 0usize;
    let mut ip = 1usize;
    while ip < limit {
        if out.len() - base >= n {
            out.truncate(base);
            return 0;
        }
        let seq = read32(input, ip);
        let h = (seq.wrapping_mul(2_654_435_761) >> (32 - hash_log)) as usize;
        let Some(slot) = table.get_mut(h) else {
            ip += 1;
            continue;
        };
        let cand = *slot as usize;
        *slot = ip as u32;
        let distance = ip - cand;
        if cand >= ip || distance >= MAX_FAR_DISTANCE || read32(input, cand) != seq {
            ip += 1;
            continue;
        }
        let mut len = MIN_MATCH;
        while ip + len < match_end && input.get(cand + len) == input.get(ip + len) {
            len += 1;
        }
        if distance > MAX_DISTANCE && len < MIN_FAR_MATCH {
            ip += 1;
            continue;
        }
        literals(out, input.get(anchor..ip).unwrap_or_default());
        emit_match(out, len, distance);
        ip += len;
        anchor = ip;
        // Index the two positions before the next one, as c-blosc does.
        for p in ip.saturating_sub(2)..ip {
            if p + 4 <= n {
                let h = (read32(input, p).wrapping_mul(2_654_435_761) >> (32 - hash_log)) as usize;
                if let Some(slot) = table.get_mut(h) {
                    *slot = p as u32;
                }
            }
        }
    }
    literals(out, input.get(anchor..).unwrap_or_default());
    let written = out.len() - base;
    if written >= n {
        out.truncate(base);
        return 0;
    }
    if let Some(b) = out.get_mut(base) {
        *b |= 1 << 5;
    }
    written
}

/// The little-endian `u32` at `at` (0 past the end).
fn read32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_le_bytes)
}

/// Literal runs of at most [`MAX_COPY`] bytes.
fn literals(out: &mut Vec<u8>, bytes: &[u8]) {
    for run in bytes.chunks(MAX_COPY) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

/// One match of `len` (>= 3) bytes from `distance` (1..[`MAX_FAR_DISTANCE`]) back.
fn emit_match(out: &mut Vec<u8>, len: usize, distance: usize) {
    let near = distance <= MAX_DISTANCE;
    let d = if near { distance - 1 } else { 31 << 8 };
    let long = len > 8;
    let hi = if long { 7 } else { len - 2 };
    out.push(((hi << 5) | (d >> 8)) as u8);
    if long {
        let mut rest = len - 9;
        while rest >= 255 {
            out.push(255);
            rest -= 255;
        }
        out.push(rest as u8);
    }
    if near {
        out.push((d & 255) as u8);
    } else {
        let f = distance - MAX_DISTANCE - 1;
        out.extend_from_slice(&[255, (f >> 8) as u8, (f & 255) as u8]);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn round_trip(data: &[u8], clevel: u8) -> usize {
        let mut z = vec![0xee];
        let k = compress(data, &mut z, clevel);
        if k == 0 {
            assert_eq!(z, [0xee]);
            return 0;
        }
        assert_eq!(z.len(), k + 1);
        let mut out = vec![0u8; data.len()];
        assert_eq!(decompress(&z[1..], &mut out), Some(data.len()));
        assert_eq!(out, data);
        // One byte less room is "too long".
        if !data.is_empty() {
            assert_eq!(decompress(&z[1..], &mut out[..data.len() - 1]), None);
        }
        k
    }

    #[test]
    fn round_trips() {
        let mut x = 12345u32;
        let noise: Vec<u8> = (0..70_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let runs: Vec<u8> = (0..100_000u32).map(|i| (i / 1000) as u8).collect();
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(2000);
        // Far matches: a noise block repeated 20 000 and 70 000 bytes later.
        let mut far = noise[..20_000].to_vec();
        far.extend_from_slice(&noise[..20_000]);
        far.extend_from_slice(&noise[..40_000]);
        far.extend_from_slice(&noise[..20_000]);
        for clevel in 1..=9 {
            assert!(round_trip(&runs, clevel) < 2000, "runs {clevel}");
            assert!(round_trip(&text, clevel) < 3000, "text {clevel}");
            assert_eq!(round_trip(&noise, clevel), 0);
            let k = round_trip(&far, clevel);
            // Larger hash tables keep the far positions (20 000+ bytes back).
            assert!(clevel < 7 || (k > 0 && k < 50_000), "far {clevel}: {k}");
            assert_eq!(round_trip(&[0u8; 15], clevel), 0);
            assert!(round_trip(&[7u8; 17], clevel) > 0);
        }
        assert_eq!(round_trip(&runs, 0), 0);
    }

    #[test]
    fn hand_made_streams() {
        // Literal "ab", short match len 3 dist 2 ("aba"), literal "z".
        let s = [0x21, b'a', b'b', 0x20, 1, 0, b'z'];
        let mut out = [0u8; 6];
        assert_eq!(decompress(&s, &mut out), Some(6));
        assert_eq!(&out, b"ababaz");
        // Long run: literal "x", match len 9 + 255 + 3 dist 1, literal "y".
        let s = [0, b'x', 0xE0, 255, 3, 0, 0, b'y'];
        let mut out = vec![0u8; 1 + 267 + 1];
        assert_eq!(decompress(&s, &mut out), Some(269));
        assert!(out[..268].iter().all(|&b| b == b'x'));
        assert_eq!(out[268], b'y');
        // A match ending the stream, a distance before the output, a truncated literal.
        assert_eq!(decompress(&[0, b'x', 0x20, 0], &mut [0u8; 8]), None);
        assert_eq!(
            decompress(&[0, b'x', 0x20, 1, 0, b'y'], &mut [0u8; 8]),
            None
        );
        assert_eq!(decompress(&[3, b'x'], &mut [0u8; 8]), None);
        assert_eq!(decompress(&[], &mut [0u8; 8]), Some(0));
    }

    #[test]
    fn corrupt_streams_never_panic() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * i / 7) as u8).collect();
        let mut z = Vec::new();
        assert!(compress(&data, &mut z, 5) > 0);
        let mut out = vec![0u8; data.len()];
        for cut in 0..z.len() {
            if let Some(k) = decompress(&z[..cut], &mut out) {
                assert!(k < data.len());
            }
        }
        for i in 0..z.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = z.clone();
                bad[i] ^= flip;
                let _ = decompress(&bad, &mut out);
            }
        }
    }
}
