"""Seeds of the `filters` fuzz target: real chunks of the filter corpus (fixtures/filters/,
written by fixtures/filters.py), each prefixed with the header the target expects (see
persist/src/fuzzing/filters.rs): the dataset's pipeline (at most 3 filters, 64 client data
values each), element size, chunk size and the chunk's filter mask.

Usage: .venv/bin/python fuzz/filter_seeds.py   (rewrites fuzz/corpus-seeds/filters/)

One seed per distinct (file, pipeline, element size) with the chunk's stored bytes up to
64 KiB. Chunks of filters not built in yet are kept too: the target maps their ids onto a
built-in filter until theirs lands.
"""

import hashlib
import struct
import sys
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401 - registers the plugin filters (reading metadata only)
import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "fixtures" / "filters"
OUT = HERE / "corpus-seeds" / "filters"
MAX_STORED = 64 << 10
MAX_EXPECTED = 1 << 20


def header(filters, elem, expected, mask):
    h = bytes([len(filters)])
    for fid, cd in filters:
        h += struct.pack("<HB", fid, len(cd)) + b"".join(struct.pack("<I", c) for c in cd)
    return h + struct.pack("<HII", elem, expected, mask)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    seen = set()
    total = 0
    for path in sorted(CORPUS.glob("*.h5")):
        with h5py.File(path, "r") as f:
            found = []
            f.visititems(lambda n, o: found.append(o) if isinstance(o, h5py.Dataset) else None)
            for d in found:
                pl = d.id.get_create_plist()
                if d.chunks is None or pl.get_nfilters() == 0:
                    continue
                filters = [pl.get_filter(i)[:3:2] for i in range(pl.get_nfilters())]
                filters = [(fid, tuple(cd)) for fid, cd in filters]
                elem = d.id.get_type().get_size()
                expected = int(np.prod(d.chunks)) * elem
                key = (path.name, tuple(filters), elem)
                if (len(filters) > 3 or any(len(cd) > 64 for _, cd in filters)
                        or expected > MAX_EXPECTED or key in seen
                        or d.id.get_num_chunks() == 0):
                    continue
                info = d.id.get_chunk_info(0)
                mask, raw = d.id.read_direct_chunk(info.chunk_offset)
                if len(raw) > MAX_STORED:
                    continue
                seen.add(key)
                seed = header(filters, elem, expected, mask) + raw
                ids = "-".join(str(fid) for fid, _ in filters)
                name = f"{path.stem}-{ids}-{hashlib.sha1(seed).hexdigest()[:10]}"
                (OUT / name).write_bytes(seed)
                total += len(seed)
    print(f"{len(seen)} seeds, {total} bytes in {OUT}")


if __name__ == "__main__":
    sys.exit(main())
