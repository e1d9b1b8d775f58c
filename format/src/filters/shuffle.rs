//! The shuffle filter (filter ID 2, spec IV.A.2.l; libhdf5 `H5Zshuffle.c`): byte `b` of
//! every element goes to byte plane `b`. When the buffer length is not a multiple of the
//! element size the trailing bytes are left in place; buffers of element size 1, or holding
//! at most one whole element, are not changed.

/// Whether libhdf5 would rearrange a buffer of `len` bytes of `size`-byte elements.
fn active(len: usize, size: usize) -> bool {
    size > 1 && len / size > 1
}

/// Shuffle `data` (writing direction).
pub fn shuffle(data: &[u8], size: usize) -> Vec<u8> {
    if !active(data.len(), size) {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = Vec::with_capacity(data.len());
    for b in 0..size {
        out.extend(
            data.chunks_exact(size)
                .map(|element| element.get(b).copied().unwrap_or(0)),
        );
    }
    out.extend_from_slice(data.get(n * size..).unwrap_or_default());
    out
}

/// Undo [`shuffle`] (reading direction).
pub fn unshuffle(data: &[u8], size: usize) -> Vec<u8> {
    if !active(data.len(), size) {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = vec![0u8; data.len()];
    for (b, plane) in data.chunks_exact(n).take(size).enumerate() {
        for (element, &byte) in out.chunks_exact_mut(size).zip(plane) {
            if let Some(slot) = element.get_mut(b) {
                *slot = byte;
            }
        }
    }
    let tail = n * size;
    if let (Some(dst), Some(src)) = (out.get_mut(tail..), data.get(tail..)) {
        dst.copy_from_slice(src);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_and_remainder() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8, 9];
        let s = shuffle(&data, 4);
        assert_eq!(s, vec![1, 5, 2, 6, 3, 7, 4, 8, 9]);
        assert_eq!(unshuffle(&s, 4), data.to_vec());
    }

    #[test]
    fn untouched_cases() {
        assert_eq!(shuffle(&[1, 2, 3], 1), vec![1, 2, 3]);
        // One whole element (plus a remainder) is left alone, as libhdf5 does.
        assert_eq!(shuffle(&[1, 2, 3, 4, 5], 4), vec![1, 2, 3, 4, 5]);
        assert_eq!(unshuffle(&[1, 2, 3], 8), vec![1, 2, 3]);
        assert_eq!(shuffle(&[], 0), Vec::<u8>::new());
    }
}
