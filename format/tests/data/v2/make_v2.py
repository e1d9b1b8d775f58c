"""Generate the v2 B-tree / fractal heap / dense storage test files for jangada-hdf5.

Run: /work/venv/bin/python make_v2.py  (h5py 3.16.0, HDF5 2.0.0)

Writes links_<libver>.h5, attrs_<libver>.h5, chunks_<libver>.h5 and expected.json.
expected.json holds, per file, the addresses of the structures the Rust tests start from
(found by walking the v2 object headers below) and the values h5py reports.
"""
import json
import struct
import numpy as np
import h5py

LIBVERS = ["latest", "v110"]


def messages(raw, addr):
    """Yield (type, data bytes) of every message of the v2 object header at addr."""
    assert raw[addr:addr + 4] == b"OHDR", hex(addr)
    flags = raw[addr + 5]
    p = addr + 6
    if flags & 0x20:
        p += 16
    if flags & 0x10:
        p += 4
    nsize = 1 << (flags & 3)
    size0 = int.from_bytes(raw[p:p + nsize], "little")
    p += nsize
    chunks = [(p, p + size0)]
    out = []
    while chunks:
        start, end = chunks.pop(0)
        q = start
        while q + 4 <= end - 4:
            mtype = raw[q]
            msize = struct.unpack_from("<H", raw, q + 1)[0]
            q += 4
            if flags & 0x04:
                q += 2
            data = raw[q:q + msize]
            q += msize
            if mtype == 0x10:
                caddr, clen = struct.unpack_from("<QQ", data, 0)
                assert raw[caddr:caddr + 4] == b"OCHK"
                chunks.append((caddr + 4, caddr + clen))
            out.append((mtype, data))
    return out


def info_addrs(data, kind):
    """Decode a Link Info (kind 'link') or Attribute Info (kind 'attr') message."""
    flags = data[1]
    p = 2
    if flags & 1:
        p += 8 if kind == "link" else 2
    heap, name = struct.unpack_from("<QQ", data, p)
    p += 16
    order = struct.unpack_from("<Q", data, p)[0] if flags & 2 else None
    return {"heap": heap, "name_index": name, "order_index": order}


def layout_btree2(data):
    """Address of the v2 B-tree chunk index in a Data Layout message v4/v5."""
    version, cls, flags, ndims, enc = data[0], data[1], data[2], data[3], data[4]
    assert cls == 2, cls
    p = 5 + ndims * enc
    index_type = data[p]
    assert index_type == 5, index_type
    p += 1 + 4 + 1 + 1  # node size, split, merge
    return {"layout_version": version, "index": struct.unpack_from("<Q", data, p)[0]}


def obj_addr(obj):
    return h5py.h5o.get_info(obj.id).addr


expected = {}
for lv in LIBVERS:
    # ---- links
    fn = f"links_{lv}.h5"
    with h5py.File(fn, "w", libver=lv) as f:
        target = f.create_group("target")
        # 1000-link groups only in the 'latest' file, to keep the files small.
        for n in (9, 100, 1000) if lv == "latest" else (9, 100):
            for tracked in (False, True):
                g = f.create_group(f"{'t' if tracked else 'g'}{n}", track_order=tracked)
                # Insert in an order that differs from name order.
                for i in reversed(range(n)):
                    if i % 10 == 3:
                        g[f"soft_{i:04d}"] = h5py.SoftLink(f"/target_{i}")
                    else:
                        g[f"child_{i:04d}"] = target  # hard link
    raw = open(fn, "rb").read()
    e = {}
    with h5py.File(fn, "r") as f:
        for name, g in f.items():
            if name == "target":
                e[name] = {"addr": obj_addr(g)}
                continue
            msgs = messages(raw, obj_addr(g))
            li = [d for t, d in msgs if t == 0x02]
            e[name] = info_addrs(li[0], "link")
            e[name]["names"] = sorted(g.keys())
            e[name]["created"] = list(g.keys()) if name.startswith("t") else None
    expected[fn] = e

    # ---- attributes
    fn = f"attrs_{lv}.h5"
    with h5py.File(fn, "w", libver=lv) as f:
        d = f.create_dataset("many", data=np.arange(4, dtype="i4"), track_order=True)
        for i in reversed(range(1000 if lv == "latest" else 100)):
            d.attrs[f"attr_{i:04d}"] = np.int32(i)
        d2 = f.create_dataset("huge", data=np.arange(4, dtype="i4"))
        if lv == "latest":
            # > 64 KiB: stored as a 'huge' fractal heap object.
            d2.attrs["big"] = (np.arange(70000) % 251).astype("u1")
        for i in range(9):
            d2.attrs[f"small_{i}"] = np.int16(i)
    raw = open(fn, "rb").read()
    e = {}
    with h5py.File(fn, "r") as f:
        for name in ("many", "huge"):
            o = f[name]
            msgs = messages(raw, obj_addr(o))
            ai = [d for t, d in msgs if t == 0x15]
            e[name] = info_addrs(ai[0], "attr")
            e[name]["names"] = sorted(o.attrs.keys())
            e[name]["created"] = list(o.attrs.keys())
    expected[fn] = e

    # ---- chunks
    fn = f"chunks_{lv}.h5"
    with h5py.File(fn, "w", libver=lv) as f:
        a = np.arange(1600, dtype="i4").reshape(40, 40)
        f.create_dataset("plain", data=a, chunks=(2, 2), maxshape=(None, None))
        f.create_dataset("gzip", data=a, chunks=(2, 2), maxshape=(None, None),
                         compression="gzip")
        s = f.create_dataset("sparse", shape=(40, 40), dtype="i4", chunks=(4, 5),
                             maxshape=(None, None))
        s[0:4, 0:5] = 1
        s[36:40, 35:40] = 2
    raw = open(fn, "rb").read()
    e = {}
    with h5py.File(fn, "r") as f:
        for name in ("plain", "gzip", "sparse"):
            ds = f[name]
            msgs = messages(raw, obj_addr(ds))
            lay = [d for t, d in msgs if t == 0x08]
            e[name] = layout_btree2(lay[0])
            n = ds.id.get_num_chunks()
            chunks = []
            for i in range(n):
                ci = ds.id.get_chunk_info(i)
                chunks.append([list(ci.chunk_offset), ci.byte_offset, ci.size, ci.filter_mask])
            e[name]["chunks"] = chunks
            e[name]["chunk_dims"] = list(ds.chunks)
            e[name]["dims"] = list(ds.shape)
    expected[fn] = e

with open("expected.json", "w") as fp:
    json.dump(expected, fp, separators=(",", ":"))
