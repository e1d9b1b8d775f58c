"""Make guess_chunk.json: h5py's chunk guess for random shapes, the reference of
format/tests/guess_chunk.rs.

Usage: .venv/bin/python format/tests/data/guess_chunk.py   (rewrites guess_chunk.json beside it)
Deterministic (fixed seed); records the h5py version used.
"""

import json
import random
from pathlib import Path

import h5py
from h5py._hl.filters import guess_chunk

rng = random.Random(20261126)
TYPE_SIZES = [1, 2, 4, 8, 16]


def random_dim():
    # 0 sometimes (h5py substitutes 1024), otherwise log-uniform on [1, 10**7].
    if rng.random() < 0.08:
        return 0
    return min(10**7, int(round(10 ** rng.uniform(0, 7))))


cases = []
seen = set()
# Hand-picked edges: exact powers, tiny shapes, elements larger than CHUNK_MAX.
edges = [((1,), 1), ((0,), 8), ((10**7,), 16), ((10**7,) * 4, 16), ((1024, 1024), 1),
         ((1024, 1024), 16), ((1, 1, 1, 1), 16), ((2**20,), 1), ((2**17,), 8), ((3, 5), 2**21)]
for shape, ts in edges:
    seen.add((shape, ts))
    cases.append((shape, ts))
while len(cases) < 500:
    rank = rng.randint(1, 4)
    shape = tuple(random_dim() for _ in range(rank))
    ts = rng.choice(TYPE_SIZES)
    if (shape, ts) in seen:
        continue
    seen.add((shape, ts))
    cases.append((shape, ts))

rows = [json.dumps({"shape": list(s), "type_size": ts, "chunk": list(guess_chunk(s, None, ts))})
        for s, ts in cases]
text = '{"h5py": %s, "cases": [\n%s\n]}\n' % (json.dumps(h5py.__version__), ",\n".join(rows))
json.loads(text)
out = Path(__file__).resolve().parent / "guess_chunk.json"
out.write_text(text, encoding="utf-8")
print("wrote", out, len(cases), "cases")
