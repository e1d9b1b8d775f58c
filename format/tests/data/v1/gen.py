"""Generate the real-file fixtures for the old-style structure tests (v1 B-trees, SNOD,
local heap, global heap).  Run with /work/venv/bin/python (h5py 3.16.0, HDF5 2.0.0) from
this directory.  Every file uses libver='earliest' (superblock v0, v1 object headers,
symbol-table groups, layout v3 with v1 B-tree chunk indexes).

Expected values (names in order, chunk records from get_chunk_info, global heap IDs and
string contents, structure addresses found by walking v1 object headers here) go to
expected.json, which the Rust tests read.
"""
import json
import struct

import h5py
import numpy as np


def v1_messages(raw, addr):
    """(type, body) of every message of the v1 object header at addr, following
    continuation messages.  Base address is 0 in these files."""
    version, _, nmsgs, _, size = struct.unpack_from("<BBHII", raw, addr)
    assert version == 1
    blocks = [(addr + 16, size)]
    out = []
    while blocks:
        start, size = blocks.pop(0)
        pos = start
        while pos + 8 <= start + size:
            mtype, msize, _flags = struct.unpack_from("<HHB", raw, pos)
            body = raw[pos + 8 : pos + 8 + msize]
            if mtype == 0x10:
                caddr, clen = struct.unpack_from("<QQ", body)
                blocks.append((caddr, clen))
            out.append((mtype, body))
            pos += 8 + msize
    return out


def header_addr(obj):
    return h5py.h5o.get_info(obj.id).addr


def stab_addrs(raw, group):
    """(B-tree, local heap) addresses from the group's Symbol Table message."""
    for mtype, body in v1_messages(raw, header_addr(group)):
        if mtype == 0x11:
            return struct.unpack_from("<QQ", body)
    raise ValueError("no symbol table message")


def chunk_btree_addr(raw, dset):
    """Address of the chunk B-tree from the layout message (version 3, class 2)."""
    for mtype, body in v1_messages(raw, header_addr(dset)):
        if mtype == 0x08:
            assert body[0] == 3 and body[1] == 2, body[:2]
            return struct.unpack_from("<Q", body, 3)[0]
    raise ValueError("no layout message")


def sorted_names(group):
    return sorted(group.keys(), key=lambda s: s.encode())


expected = {}

# ---------------------------------------------------------------- groups.h5
with h5py.File("groups.h5", "w", libver="earliest") as f:
    target = f.create_dataset("target", data=np.arange(4, dtype="i4"))
    for n in (0, 1, 5, 40):
        g = f.create_group(f"g{n}")
        for i in range(n):
            # Insert in a scrambled order; the B-tree keeps names sorted.
            j = (i * 7) % n
            if j % 5 == 0:
                g.create_group(f"sub_{j:03d}")
            else:
                g[f"link-{j}"] = target
    s = f.create_group("soft")
    s["a_hard"] = target
    s["b_soft"] = h5py.SoftLink("/target")
    s["c_dangling"] = h5py.SoftLink("/no/such/object")
    s["d_group"] = h5py.SoftLink("/g5")
with open("groups.h5", "rb") as fh:
    raw = fh.read()
with h5py.File("groups.h5", "r") as f:
    exp = {"root": {}, "groups": {}}
    bt, hp = stab_addrs(raw, f)
    exp["root"] = {"btree": bt, "heap": hp, "names": sorted_names(f)}
    for name in ("g0", "g1", "g5", "g40", "soft"):
        g = f[name]
        bt, hp = stab_addrs(raw, g)
        members = []
        for m in sorted_names(g):
            link = g.get(m, getlink=True)
            if isinstance(link, h5py.SoftLink):
                members.append({"name": m, "soft": link.path})
            else:
                members.append({"name": m, "hard": header_addr(g[m])})
        exp["groups"][name] = {"btree": bt, "heap": hp, "members": members}
    expected["groups.h5"] = exp

# ---------------------------------------------------------------- group1000.h5
with h5py.File("group1000.h5", "w", libver="earliest") as f:
    target = f.create_dataset("t", data=np.zeros(1, dtype="u1"))
    g = f.create_group("big")
    for i in range(1000):
        j = (i * 367) % 1000  # scrambled insertion order
        g[f"m{j}"] = target
with open("group1000.h5", "rb") as fh:
    raw = fh.read()
with h5py.File("group1000.h5", "r") as f:
    g = f["big"]
    bt, hp = stab_addrs(raw, g)
    expected["group1000.h5"] = {
        "btree": bt,
        "heap": hp,
        "target": header_addr(f["t"]),
        "names": sorted_names(g),
    }

# ---------------------------------------------------------------- chunks.h5
with h5py.File("chunks.h5", "w", libver="earliest") as f:
    f.create_dataset("d1", data=np.arange(5000, dtype="i4"), chunks=(10,))
    f.create_dataset(
        "d2", data=np.arange(25 * 37, dtype="i2").reshape(25, 37), chunks=(10, 8)
    )
    f.create_dataset(
        "gz",
        data=np.arange(3000, dtype="i4") % 17,
        chunks=(100,),
        compression="gzip",
        compression_opts=6,
    )
    # Only some chunks written: the others are never allocated.
    sp = f.create_dataset("sparse", shape=(40, 40), dtype="u1", chunks=(8, 8))
    sp[0:8, 0:8] = 1
    sp[33, 39] = 2
    sp[17, 9] = 3
    f.create_dataset("empty", shape=(100,), dtype="f8", chunks=(10,))
with open("chunks.h5", "rb") as fh:
    raw = fh.read()
with h5py.File("chunks.h5", "r") as f:
    exp = {}
    for name in ("d1", "d2", "gz", "sparse", "empty"):
        d = f[name]
        chunks = []
        for i in range(d.id.get_num_chunks()):
            c = d.id.get_chunk_info(i)
            chunks.append(
                {
                    "offset": list(c.chunk_offset),
                    "addr": c.byte_offset,
                    "size": c.size,
                    "filter_mask": c.filter_mask,
                }
            )
        exp[name] = {
            "btree": chunk_btree_addr(raw, d),
            "dims": list(d.shape),
            "max_dims": list(d.maxshape),
            "chunk_dims": list(d.chunks),
            "element_size": d.dtype.itemsize,
            "filtered": d.compression is not None,
            "chunks": chunks,
        }
    expected["chunks.h5"] = exp

# ---------------------------------------------------------------- vlen.h5
strings = [f"s{i:04d}-" + "abcdefghij"[i % 10] * (i % 40) for i in range(600)]
with h5py.File("vlen.h5", "w", libver="earliest") as f:
    st = h5py.string_dtype()
    # Written in slices with other data allocated in between, so that the strings fill
    # several 4 KiB collections (a collection at the end of the file would just grow).
    d = f.create_dataset("strings", shape=(len(strings),), dtype=st)
    for k in range(0, len(strings), 100):
        d[k : k + 100] = np.array(strings[k : k + 100], dtype=object)
        f.create_dataset(f"pad{k}", data=np.zeros(500, dtype="u1"))
    f.create_dataset("with_empty", data=np.array(["", "x", "", "last"], dtype=object), dtype=st)
    vi = h5py.vlen_dtype(np.dtype("i4"))
    seqs = np.empty(4, dtype=object)
    seqs[0] = np.array([1, 2, 3], dtype="i4")
    seqs[1] = np.array([], dtype="i4")
    seqs[2] = np.arange(50, dtype="i4")
    seqs[3] = np.array([-7], dtype="i4")
    f.create_dataset("seqs", data=seqs, dtype=vi)
    f.attrs.create("note", "an attribute string", dtype=st)
with open("vlen.h5", "rb") as fh:
    raw = fh.read()


def element_ids(raw, at, count):
    """(length, collection, index) of each 16-byte vlen element at file offset `at`."""
    return [struct.unpack_from("<IQI", raw, at + 16 * i) for i in range(count)]


with h5py.File("vlen.h5", "r") as f:
    exp = {}
    for name in ("strings", "with_empty", "seqs"):
        d = f[name]
        at = d.id.get_offset()
        ids = element_ids(raw, at, d.shape[0])
        values = []
        for v in d[()]:
            if isinstance(v, bytes):
                values.append(v.decode())
            else:
                values.append([int(x) for x in v])
        exp[name] = {
            "raw_data": at,
            "ids": [list(t) for t in ids],
            "values": values,
        }
    # The scalar attribute's element: find the attribute message in the root header.
    for mtype, body in v1_messages(raw, header_addr(f)):
        if mtype == 0x0C:
            ver, _, nlen, tlen, slen = struct.unpack_from("<BBHHH", body)
            assert ver == 1
            pad = lambda n: (n + 7) // 8 * 8
            data = 8 + pad(nlen) + pad(tlen) + pad(slen)
            exp["attr"] = {
                "id": list(struct.unpack_from("<IQI", body, data)),
                "value": f.attrs["note"],
            }
    exp["collections"] = sorted({t[1] for t in exp["strings"]["ids"]})
    expected["vlen.h5"] = exp

with open("expected.json", "w") as fh:
    json.dump(expected, fh)
