"""Generate the chunk-index test files in this directory.

Run with the project venv (h5py 3.16.0, HDF5 2.0.0):

    /work/venv/bin/python format/tests/data/chunks/gen_chunks.py format/tests/data/chunks

For every file `<name>.h5` it writes `<name>.json`, describing each dataset:
its shape, max shape, chunk shape, element size, the filter pipeline, the layout
message fields (version, flags, index type, index parameters, index address; read
by a small object-header walker below), and every stored chunk as reported by
libhdf5 as `[offset, addr, size, filter_mask, unfiltered hex, stored hex]`: the
stored bytes and mask from `read_direct_chunk`, the address from `chunk_iter`
(null where libhdf5 reports wrong offsets, see `describe`), and the expected
unfiltered bytes (the dataset values, zero-padded past the extent).
"""
import itertools
import json
import os
import struct
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
UNDEF = 0xFFFFFFFFFFFFFFFF


# ---------------------------------------------------------------- header walker
def messages(buf, addr):
    """Yield (type, body) of every message of the v2 object header at addr."""
    assert buf[addr:addr + 4] == b"OHDR", "only version 2 object headers"
    p = addr + 4
    p += 1  # version
    flags = buf[p]
    p += 1
    if flags & 0x20:
        p += 16
    if flags & 0x10:
        p += 4
    width = 1 << (flags & 3)
    size = int.from_bytes(buf[p:p + width], "little")
    p += width
    blocks = [(p, p + size)]
    while blocks:
        start, end = blocks.pop(0)
        q = start
        hdr = 4 + (2 if flags & 0x04 else 0)
        while q + hdr <= end:
            mtype = buf[q]
            msize = int.from_bytes(buf[q + 1:q + 3], "little")
            q += hdr
            body = buf[q:q + msize]
            q += msize
            if mtype == 0x10:
                caddr, clen = struct.unpack("<QQ", body[:16])
                assert buf[caddr:caddr + 4] == b"OCHK"
                blocks.append((caddr + 4, caddr + clen - 4))
            yield mtype, body


def layout_of(buf, addr):
    for mtype, body in messages(buf, addr):
        if mtype != 0x08:
            continue
        version, cls = body[0], body[1]
        assert cls == 2, "chunked layout expected"
        assert version >= 4, f"layout version {version}"
        flags, ndims, enc = body[2], body[3], body[4]
        p = 5 + ndims * enc
        dims = [int.from_bytes(body[5 + i * enc:5 + (i + 1) * enc], "little") for i in range(ndims)]
        itype = body[p]
        p += 1
        info = {"version": version, "flags": flags, "dims": dims, "index_type": itype}
        if itype == 1 and flags & 2:
            info["filtered_size"], info["filtered_mask"] = struct.unpack("<QI", body[p:p + 12])
            p += 12
        elif itype == 3:
            info["page_bits"] = body[p]
            p += 1
        elif itype == 4:
            (info["max_bits"], info["index_elements"], info["min_pointers"],
             info["min_elements"], info["page_bits"]) = body[p:p + 5]
            p += 5
        elif itype == 5:
            p += 6
        a = int.from_bytes(body[p:p + 8], "little")
        info["addr"] = None if a == UNDEF else a
        return info
    raise ValueError("no layout message")


# ---------------------------------------------------------------- describing
def describe(path):
    out = {}
    with h5py.File(path, "r") as f:
        names = []
        f.visit(lambda n: names.append(n) if isinstance(f[n], h5py.Dataset) else None)
        for name in names:
            d = f[name]
            addr = h5py.h5o.get_info(d.id).addr
            plist = d.id.get_create_plist()
            filters = []
            for i in range(plist.get_nfilters()):
                code, flags, values, fname = plist.get_filter(i)
                filters.append({"id": code, "flags": flags, "client_data": list(values),
                                "name": fname.decode()})
            full = d[...]
            chunk = d.chunks
            # libhdf5's chunk iteration (H5Dchunk_iter, H5Dget_chunk_info*) reports wrong
            # offsets for extensible arrays whose unlimited dimension is not the first: its
            # iterator walks the elements in index order but counts the coordinates in
            # natural (unswizzled) order. Reads go through the swizzled index, so the ground
            # truth here is read_direct_chunk() at every chunk of the grid; the addresses
            # from chunk_iter are kept only where its offsets can be trusted.
            reported = {}
            d.id.chunk_iter(lambda i: reported.__setitem__(tuple(i.chunk_offset), i))
            unlim = [k for k, m in enumerate(d.maxshape) if m is None]
            trust = not unlim or unlim[0] == 0
            chunks = []
            grid = [range(0, n, c) for n, c in zip(d.shape, chunk)]
            for start in itertools.product(*grid):
                try:
                    mask, stored = d.id.read_direct_chunk(start)
                except (RuntimeError, OSError):
                    continue  # never written
                info = reported.get(start) if trust else None
                if info is not None:
                    assert info.size == len(stored) and info.filter_mask == mask
                block = np.zeros(chunk, dtype=d.dtype)
                sel = tuple(slice(s, min(s + c, n)) for s, c, n in zip(start, chunk, d.shape))
                part = full[sel]
                block[tuple(slice(0, k) for k in part.shape)] = part
                chunks.append([list(start), None if info is None else info.byte_offset,
                               len(stored), mask, block.tobytes().hex(), stored.hex()])
            if trust:
                assert len(chunks) == len(reported), name
            out[name] = {
                "shape": list(d.shape),
                "maxshape": [None if m is None else m for m in d.maxshape],
                "chunks": list(chunk),
                "element_size": d.dtype.itemsize,
                "filters": filters,
                "layout": None,
                "stored": chunks,
            }
            out[name]["_ohdr"] = addr
    with open(path, "rb") as fh:
        buf = fh.read()
    for name, entry in out.items():
        entry["layout"] = layout_of(buf, entry.pop("_ohdr"))
    with open(path[:-3] + ".json", "w") as fh:
        json.dump(out, fh, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- making files
FILTERED = dict(compression="gzip", compression_opts=6, shuffle=True, fletcher32=True)


def values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def misc(f):
    # Single chunk, unfiltered and filtered.
    f.create_dataset("single", data=values((5, 7), "i4", 1), chunks=(5, 7))
    f.create_dataset("single_f", data=values((5, 7), "i4", 2), chunks=(5, 7), **FILTERED)
    # Implicit: early allocation, fixed max dims larger than the current dims.
    space = h5py.h5s.create_simple((5, 5), (8, 6))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((2, 3))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I32LE, space, dcpl=dcpl)
    f["implicit"][...] = values((5, 5), "i4", 3)
    # Small fixed array, one chunk never written, partial edge chunks.
    d = f.create_dataset("fa_small", shape=(9, 7), chunks=(4, 3), dtype="i2")
    v = values((9, 7), "i2", 4)
    d[0:4, :] = v[0:4, :]
    d[4:9, 0:3] = v[4:9, 0:3]
    d[8:9, 6:7] = v[8:9, 6:7]
    # Fixed array over max dims larger than dims.
    d = f.create_dataset("fa_resizable", shape=(5, 4), maxshape=(9, 7), chunks=(2, 3), dtype="i4")
    d[...] = values((5, 4), "i4", 5)
    # Extensible array with the fixed dimension smaller than its maximum.
    d = f.create_dataset("ea_narrow", shape=(7, 6), maxshape=(None, 10), chunks=(1, 4), dtype="i2")
    d[...] = values((7, 6), "i2", 6)
    # lzf: a filter this crate does not decode (compressible data, so it is not skipped).
    f.create_dataset("lzf", data=np.arange(200, dtype="i4") // 50, chunks=(100,),
                     compression="lzf")


def fixed_array(f, filtered):
    kw = FILTERED if filtered else {}
    # 36 x 31 = 1116 chunks > 1024: the data block is paged; rows 20..30 never written.
    d = f.create_dataset("fa_paged", shape=(71, 31), chunks=(2, 1), dtype="i2", **kw)
    v = values((71, 31), "i2", 10)
    d[0:20, :] = v[0:20, :]
    d[30:71, :] = v[30:71, :]
    if filtered:
        # A chunk stored with every filter skipped (filter mask 0b111).
        d.id.write_direct_chunk((20, 5), np.array([7, -7], dtype="<i2").tobytes(), filter_mask=7)


def extensible(f, filtered):
    kw = FILTERED if filtered else {}
    # Filtered records are larger: fewer rows keep the files small (still > 244 chunks,
    # so super blocks are used).
    n = 270 if filtered else 450
    # Unlimited dimension first: n x 5 chunks, partial edge chunks in dimension 1, chunk
    # rows 100..119 never written.
    d = f.create_dataset("ea_first", shape=(n, 9), maxshape=(None, 9), chunks=(1, 2),
                         dtype="i1", **kw)
    v = values((n, 9), "i1", 20)
    d[0:100, :] = v[0:100, :]
    d[120:n, :] = v[120:n, :]
    # Unlimited dimension last: 5 x n chunks, partial edge chunks in dimension 0.
    d = f.create_dataset("ea_last", shape=(9, n), maxshape=(10, None), chunks=(2, 1),
                         dtype="i1", **kw)
    v = values((9, n), "i1", 21)
    d[:, 0:100] = v[:, 0:100]
    d[:, 120:n] = v[:, 120:n]


def sparse(f, filtered):
    kw = FILTERED if filtered else {}
    # Extensible array reaching super block 13, whose data blocks (2048 elements) are
    # paged (1024 elements a page); only a few chunks written.
    d = f.create_dataset("ea_sparse", shape=(140000,), maxshape=(None,), chunks=(1,),
                         dtype="i1", **kw)
    for i, x in [(0, 1), (3, 2), (5, 3), (300, 4), (131100, 5), (131100 + 1500, 6),
                 (131100 + 2048 * 3 + 7, 7)]:
        d[i] = x


def main():
    os.makedirs(OUT, exist_ok=True)
    for tag, libver in [("v110", ("v110", "v110")), ("latest", ("latest", "latest"))]:
        jobs = [
            (f"misc_{tag}", lambda f: misc(f)),
            (f"fa_{tag}", lambda f: fixed_array(f, False)) if tag == "v110" else None,
            (f"fa_filtered_{tag}", lambda f: fixed_array(f, True)),
            (f"ea_{tag}", lambda f: extensible(f, False)) if tag == "v110" else None,
            (f"ea_filtered_{tag}", lambda f: extensible(f, True)),
            (f"ea_sparse_{tag}", lambda f: (sparse(f.create_group("u"), False),
                                              sparse(f.create_group("f"), True))),
        ]
        # (Unfiltered fixed and extensible arrays are identical under both bounds.)
        for name, make in filter(None, jobs):
            path = os.path.join(OUT, name + ".h5")
            with h5py.File(path, "w", libver=libver) as f:
                make(f)
            describe(path)
            print(name, os.path.getsize(path), os.path.getsize(path[:-3] + ".json"))


if __name__ == "__main__":
    main()
