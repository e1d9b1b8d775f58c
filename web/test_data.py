"""Test data for web/test.sh, written to the directory given as argv[1]:

- big.h5: a 1500 x 1000 float32 image (chunked, shuffle + deflate) and a 100000-long line,
  larger than a preview reads (it downsamples the image by 3, plots 4096 values);
- badchunk.h5: fixtures/filters_latest.h5 with its first /deflate_1 chunk damaged;
- corrupt.h5: bytes that are no HDF5 file;
- expected.json: what h5py reads for every dataset the test selects (first values of the
  preview's selection, shape, dtype) and the attributes it checks.
"""
import json
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np

out = Path(sys.argv[1])
root = Path(__file__).resolve().parent.parent
fixtures = root / "fixtures"
out.mkdir(parents=True, exist_ok=True)

y, x = np.mgrid[0:1500, 0:1000].astype(np.float32)
image = np.sin(x / 90.0) * np.cos(y / 130.0) + 0.5 * np.exp(-((x - 600) ** 2 + (y - 500) ** 2) / 2e4)
with h5py.File(out / "big.h5", "w") as f:
    f.attrs["title"] = "a smooth test image"
    d = f.create_dataset("image", data=image.astype(np.float32), chunks=(100, 100),
                         shuffle=True, compression="gzip")
    d.attrs["units"] = "arbitrary"
    f.create_dataset("series/line", data=np.sin(np.arange(100_000) / 500.0))

shutil.copy(fixtures / "filters_latest.h5", out / "badchunk.h5")
with h5py.File(out / "badchunk.h5", "r") as f:
    info = f["deflate_1"].id.get_chunk_info(0)
with open(out / "badchunk.h5", "r+b") as f:
    f.seek(info.byte_offset + 2)
    f.write(b"\xff" * 40)

(out / "corrupt.h5").write_bytes(b"this is not an HDF5 file\n" * 40)


def first(file, path, selection=(), n=50):
    """dtype, shape and the first n values of `selection` of a dataset, as h5py reads them."""
    with h5py.File(file, "r") as f:
        d = f[path]
        values = d[selection] if selection else d[()]
        flat = np.asarray(values).reshape(-1)[:n]
        if d.dtype.kind in "OS":
            items = [v.decode() if isinstance(v, bytes) else v for v in flat]
        else:
            items = [v.item() for v in flat]
        return {"dtype": d.dtype.str if d.dtype.kind != "O" else "str",
                "shape": list(d.shape), "first": items}


def attr(file, path, name):
    with h5py.File(file, "r") as f:
        v = f[path].attrs[name]
        return v.decode() if isinstance(v, bytes) else (v.item() if hasattr(v, "item") else v)


nc = fixtures / "producers" / "nc4_filters.h5"
flt = fixtures / "filters_latest.h5"
with h5py.File(nc, "r") as f:
    nc_members = sorted(f.keys())
expected = {
    "nc4": {
        "file": str(nc),
        "members": nc_members,
        "root_attr": ["_NCProperties", attr(nc, "/", "_NCProperties")],
        "x_attr": ["CLASS", attr(nc, "/x", "CLASS")],
        "x": first(nc, "/x"),
        "zlib9_shuffle": first(nc, "/zlib9_shuffle"),
    },
    "filters": {
        "file": str(flt),
        "shuffle_deflate_fletcher32": first(flt, "/shuffle_deflate_fletcher32"),
        "deflate_2d_u2": first(flt, "/deflate_2d_u2"),
        "deflate_strings": first(flt, "/deflate_strings"),
    },
    "big": {
        "file": str(out / "big.h5"),
        "image": first(out / "big.h5", "/image", np.s_[::3, ::3]),
        "line": first(out / "big.h5", "/series/line", np.s_[:4096]),
        "units": attr(out / "big.h5", "/image", "units"),
    },
    "sz": {"file": str(fixtures / "filters" / "h5py_sz.h5"), "dataset": "/abs/f4"},
    "badchunk": str(out / "badchunk.h5"),
    "corrupt": str(out / "corrupt.h5"),
}
(out / "expected.json").write_text(json.dumps(expected, indent=1))
