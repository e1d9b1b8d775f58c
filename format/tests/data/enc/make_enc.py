"""Make the small HDF5 files used by the encoder tests (superblock, object header and
message encoders). Run with h5py 3.16.0 (HDF5 2.0.0): /work/venv/bin/python make_enc.py

Writes enc_<libver>.h5 and enc_<libver>.addrs (object name -> object header address).
"""
import h5py
import numpy as np

for libver in ["earliest", "v110"]:
    name = f"enc_{libver}.h5"
    with h5py.File(name, "w", libver=libver) as f:
        f.create_dataset("plain", data=np.arange(4, dtype="<i4"), track_times=False)
        d = f.create_dataset("ordered", data=np.arange(3, dtype="<f8"), track_order=True,
                             track_times=False)
        for i in range(7):
            d.attrs[f"a{i}"] = np.full(30, i, dtype="<i4")
        d = f.create_dataset("dense_attrs", data=np.zeros(2, dtype="u1"), track_order=True,
                             track_times=False)
        for i in range(12):
            d.attrs[f"x{i}"] = i
        d = f.create_dataset("cont", data=np.zeros(2, dtype="u1"), track_times=False)
        for i in range(6):
            d.attrs[f"big{i}"] = np.full(40, i, dtype="<i8")
        g = f.create_group("g")
        g["soft"] = h5py.SoftLink("/plain")
        g["ext"] = h5py.ExternalLink("other.h5", "/path/x")
        g["hard"] = f["plain"]
        g["caf\u00e9"] = f["plain"]
        g.attrs["n"] = 1
        t = f.create_group("t", track_order=True)
        t["x"] = h5py.SoftLink("/g")
        t["y"] = f["plain"]
        t.attrs["m"] = 2
        dn = f.create_group("dense", track_order=True)
        for i in range(20):
            dn[f"l{i}"] = h5py.SoftLink(f"/target{i}")
        dn2 = f.create_group("dense_untracked")
        for i in range(20):
            dn2[f"l{i}"] = h5py.SoftLink(f"/target{i}")
    with h5py.File(name, "r") as f, open(f"enc_{libver}.addrs", "w") as out:
        for k in ["plain", "ordered", "dense_attrs", "cont", "g", "t", "dense", "dense_untracked"]:
            out.write(f"{k} {h5py.h5o.get_info(f[k].id).addr}\n")
        out.write(f"/ {h5py.h5o.get_info(f.id).addr}\n")
