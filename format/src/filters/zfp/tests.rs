#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The valid region `sel` of a C-order chunk of `chunks` values of `elem` bytes.
fn region(chunk: &[u8], chunks: &[usize], sel: &[(usize, usize)], offset: &[usize], elem: usize) -> Vec<u8> {
    let n: usize = sel.iter().map(|(a, b)| b - a).product();
    let mut out = Vec::new();
    for i in 0..n {
        let mut rem = i;
        let mut idx = 0;
        let mut stride = 1;
        let mut coords = vec![0; sel.len()];
        for d in (0..sel.len()).rev() {
            let ext = sel[d].1 - sel[d].0;
            coords[d] = rem % ext;
            rem /= ext;
        }
        for d in (0..sel.len()).rev() {
            idx += (coords[d] + sel[d].0 - offset[d]) * stride;
            stride *= chunks[d];
        }
        out.extend_from_slice(&chunk[idx * elem..idx * elem + elem]);
    }
    out
}

/// Chunks written by hdf5plugin (`ZFP_CHUNKS=file.json`, made by a generator script):
/// decoded exactly as h5py reads them.
#[test]
fn hdf5plugin_chunks_from_env() {
    let Ok(path) = std::env::var("ZFP_CHUNKS") else {
        return;
    };
    let all: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut bad = Vec::new();
    for c in all.as_array().unwrap() {
        let u = |v: &serde_json::Value| -> Vec<usize> {
            v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
        };
        let name = c["name"].as_str().unwrap();
        let cd: Vec<u32> = u(&c["cd"]).into_iter().map(|v| v as u32).collect();
        let elem = c["elem"].as_u64().unwrap() as usize;
        let nbytes = c["nbytes"].as_u64().unwrap() as usize;
        let raw = hex(c["raw"].as_str().unwrap());
        let ctx = FilterContext {
            cd_values: &cd,
            element_size: elem,
            limit: nbytes,
            offset: 0,
        };
        let got = match Zfp.decode(&ctx, &raw) {
            Ok(g) => g,
            Err(e) => {
                bad.push(format!("{name}: {e}"));
                continue;
            }
        };
        let sel: Vec<(usize, usize)> = c["sel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s[0].as_u64().unwrap() as usize, s[1].as_u64().unwrap() as usize))
            .collect();
        let ours = region(&got, &u(&c["chunks"]), &sel, &u(&c["offset"]), elem);
        if ours != hex(c["values"].as_str().unwrap()) {
            bad.push(format!("{name}: values differ"));
        }
    }
    assert!(bad.is_empty(), "{} bad:\n{}", bad.len(), bad.join("\n"));
}
