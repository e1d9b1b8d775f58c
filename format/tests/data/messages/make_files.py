"""Make the small HDF5 files used by format/tests/messages_real.rs.

Run with h5py 3.16.0 (HDF5 2.0.0): /work/venv/bin/python make_files.py
One file per library version bound; each holds datasets of many datatypes and layouts,
attributes, links and a committed datatype.
"""
import h5py
import numpy as np

for libver in ["earliest", "v108", "v110", "v112", "latest"]:
    with h5py.File(f"messages_{libver}.h5", "w", libver=libver) as f:
        # Datatypes
        f["bool"] = np.array([True, False])
        f["cplx"] = np.array([1 + 2j], dtype="c8")
        f["nested"] = np.zeros(1, dtype=[("a", "<i4"), ("b", [("c", "<f8"), ("d", "u1")])])
        f["arr"] = np.zeros(1, dtype=[("m", "<i4", (2, 3))])
        f.create_dataset("arr_plain", shape=(1,), dtype=np.dtype(("<i4", (2, 3))))
        f.create_dataset("vstr_utf8", shape=(1,), dtype=h5py.string_dtype("utf-8"))
        f.create_dataset("vstr_ascii", shape=(1,), dtype=h5py.string_dtype("ascii"))
        f.create_dataset("vlen_i4", shape=(1,), dtype=h5py.vlen_dtype("<i4"))
        f.create_dataset("s_nullpad", data=np.array([b"ab"], dtype="S5"))
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(6)
        tid.set_strpad(h5py.h5t.STR_NULLTERM)
        h5py.h5d.create(f.id, b"s_nullterm", tid, h5py.h5s.create_simple((1,)))
        f.create_dataset("opaque", shape=(1,), dtype=h5py.opaque_dtype(np.dtype("M8[s]")))
        f.create_dataset("objref", shape=(1,), dtype=h5py.ref_dtype)
        f.create_dataset("enum16", shape=(1,),
                         dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 513}, basetype="<u2"))
        f.create_dataset("f16", shape=(1,), dtype="<f2")
        f.create_dataset("i4be", shape=(1,), dtype=">i4")
        f.create_dataset("f8be", shape=(1,), dtype=">f8")
        if libver in ("v112", "latest"):
            h5py.h5d.create(f.id, b"c11", h5py.h5t.COMPLEX_IEEE_F64LE, h5py.h5s.create_simple((1,)))
        # Layouts, fill values, filters
        f.create_dataset("contig", data=np.arange(6, dtype="<i4").reshape(2, 3))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I16LE, h5py.h5s.create_simple((3,)), dcpl=dcpl)
        f["compact"][:] = [1, 2, 3]
        f.create_dataset("fixed", data=np.arange(20, dtype="<i4").reshape(4, 5), chunks=(2, 5))
        f.create_dataset("single_gz", data=np.arange(10, dtype="<f8"), chunks=(10,), compression="gzip")
        f.create_dataset("earr", data=np.arange(10, dtype="<i4"), chunks=(4,), maxshape=(None,))
        f.create_dataset("bt2", data=np.zeros((4, 4), dtype="<i4"), chunks=(2, 2), maxshape=(None, None))
        f.create_dataset("filtered", data=np.arange(20, dtype="<i4").reshape(4, 5), chunks=(2, 5),
                         compression="gzip", shuffle=True, fletcher32=True)
        f.create_dataset("fill5", shape=(3,), dtype="<i4", fillvalue=5)
        f.create_dataset("scalar", data=3.0)
        f.create_dataset("null", data=h5py.Empty("f4"))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((2,))
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I32LE, h5py.h5s.create_simple((4,)), dcpl=dcpl)
        # Attributes, links, committed datatype
        g = f.create_group("g")
        g.attrs["i"] = np.int32(7)
        g.attrs["s"] = "hello"
        g.attrs["arr"] = np.arange(3, dtype="<f4")
        g.attrs["e"] = h5py.Empty("i4")
        f["tcommit"] = np.dtype("<i2")
        d = f.create_dataset("withtype", shape=(2,), dtype=f["tcommit"])
        d.attrs.create("ta", data=np.array([1, 2], dtype="<i2"), dtype=f["tcommit"])
        g["sub"] = h5py.SoftLink("/fixed")
        g["ext"] = h5py.ExternalLink("other.h5", "/path/x")
        g["hard"] = f["fixed"]
        t = f.create_group("tracked", track_order=True)
        t.attrs["a"] = 1
        t["x"] = h5py.SoftLink("/g")

    # Object header addresses, so the test needs no group traversal.
    with h5py.File(f"messages_{libver}.h5", "r") as f, open(f"messages_{libver}.addrs", "w") as out:
        names = []
        f.visit(names.append)
        for name in sorted(names):
            out.write(f"{name} {h5py.h5o.get_info(f[name].id).addr}\n")
