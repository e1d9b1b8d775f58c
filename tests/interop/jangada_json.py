"""Value JSON <-> Python jangada 0.1.9, the reference side of the Rust interop tests.

    python jangada_json.py load FILE          # print FILE's value (jangada's loader) as value JSON
                                              # (lists in numeric order; add
                                              # --jangada-list-order for jangada's string order)
    python jangada_json.py write IN.json OUT  # write IN's value with jangada itself

Value JSON (issue 4): null, true/false, integers, finite floats as numbers, other floats as
{"$float": "nan"|"inf"|"-inf"}, {"$complex": [re, im]}, strings, {"$path": "/p"}, lists,
{"$dict": {..}}, {"$class": "mod.Name", "$props": {..}},
{"$array": {"dtype": DT, "shape": [..], "data": FLAT}} (DT = numpy dtype.str, "str" for
strings, "|S8" for fixed-length bytes, whose elements are text or {"$hex": ".."}), {"$timestamp": {"ns": INT, "tz": NAME|null}}, {"$datetimeindex": {"ns": [..],
"tz": ..}} with ns = pandas' .value (the instant), NaT = -2**63.
"""

import json
import math
import sys
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  (registers the plugin filters: files saved with zstd, ...)
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures"))

from jangada.serialization import Persistable  # noqa: E402

NAT = -(2**63)


def float_json(f):
    f = float(f)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f


def tz_name(tz):
    return None if tz is None else str(tz)


def element(x, kind):
    if kind == "c":
        return [float_json(x.real), float_json(x.imag)]
    if kind == "f":
        return float_json(x)
    if kind == "b":
        return bool(x)
    if kind in "iu":
        return int(x)
    if isinstance(x, bytes):
        try:
            return x.decode("utf-8")
        except UnicodeDecodeError:
            return {"$hex": x.hex()}
    return str(x)


def to_json(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float_json(v)
        return {"$float": f} if isinstance(f, str) else f
    if isinstance(v, (complex, np.complexfloating)):
        return {"$complex": [float_json(v.real), float_json(v.imag)]}
    if isinstance(v, str):
        return v
    if isinstance(v, Path):
        return {"$path": str(v)}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        if "__class__" in v:
            props = {k: to_json(x) for k, x in v.items() if k != "__class__"}
            return {"$class": v["__class__"], "$props": props}
        return {"$dict": {k: to_json(x) for k, x in v.items()}}
    if isinstance(v, pd.DatetimeIndex):
        return {"$datetimeindex": {"ns": [int(x) for x in v.asi8], "tz": tz_name(v.tz)}}
    if isinstance(v, pd.Timestamp):
        return {"$timestamp": {"ns": int(v.value), "tz": tz_name(v.tz)}}
    if v is pd.NaT:
        return {"$timestamp": {"ns": NAT, "tz": None}}
    if isinstance(v, np.ndarray):
        kind = v.dtype.kind
        dtype = "str" if kind in "OU" else v.dtype.str  # "|S8" for fixed-length bytes
        data = [element(x, kind) for x in v.reshape(-1)]
        return {"$array": {"dtype": dtype, "shape": list(v.shape), "data": data}}
    raise TypeError(f"no value JSON for {type(v)!r}")


def parse_float(x):
    return float(x)  # float("nan"), float("inf"), float("-inf") or a number


def from_json(j):
    if j is None or isinstance(j, (bool, int, float, str)):
        return j
    if isinstance(j, list):
        return [from_json(x) for x in j]
    if "$class" in j:
        data = {"__class__": j["$class"]}
        data.update({k: from_json(x) for k, x in j["$props"].items()})
        return data
    ((tag, body),) = j.items()
    if tag == "$float":
        return float(body)
    if tag == "$complex":
        return complex(parse_float(body[0]), parse_float(body[1]))
    if tag == "$path":
        return Path(body)
    if tag == "$dict":
        return {k: from_json(x) for k, x in body.items()}
    if tag == "$array":
        dt = np.dtype(body["dtype"])
        if dt.kind == "c":
            flat = [complex(parse_float(a), parse_float(b)) for a, b in body["data"]]
        elif dt.kind == "f":
            flat = [parse_float(x) for x in body["data"]]
        elif dt.kind == "S":
            flat = [
                bytes.fromhex(x["$hex"]) if isinstance(x, dict) else x.encode("utf-8")
                for x in body["data"]
            ]
        else:
            flat = body["data"]
        return np.array(flat, dtype=dt).reshape(body["shape"])
    if tag == "$timestamp":
        t = pd.Timestamp(body["ns"], unit="ns")
        if body["tz"] is not None:
            t = t.tz_localize("UTC").tz_convert(body["tz"])
        return t
    if tag == "$datetimeindex":
        idx = pd.DatetimeIndex(np.array(body["ns"], dtype="int64").view("datetime64[ns]"))
        if body["tz"] is not None:
            idx = idx.tz_localize("UTC").tz_convert(body["tz"])
        return idx
    raise ValueError(f"unknown tag {tag}")


_ORIGINAL_LOAD = Persistable._load_data_from_h5py_tree


def _load_lists_in_numeric_order(value, use_proxy_dataset=False):
    """jangada's loader, except that list items come in numeric order.

    jangada 0.1.9 sorts list item names as strings ("10" before "2"), a known bug that
    the Rust port fixes; everything else is delegated to jangada itself (the recursion
    goes through this wrapper because jangada calls Persistable._load_data_from_h5py_tree).
    """
    if isinstance(value, h5py.Group) and value.attrs.get("__container_type__") == "list":
        names = set(value.keys()) | set(value.attrs.keys())
        names.discard("__container_type__")
        out = []
        for k in sorted(names, key=int):
            node = value.attrs[k] if k in value.attrs else value[k]
            out.append(_load_lists_in_numeric_order(node, use_proxy_dataset))
        return out
    return _ORIGINAL_LOAD(value, use_proxy_dataset=use_proxy_dataset)


class _Writer(Persistable):
    """Any Persistable instance gives access to save_serialized_data."""


def main():
    cmd = sys.argv[1]
    if cmd == "load":
        if "--jangada-list-order" not in sys.argv:
            Persistable._load_data_from_h5py_tree = staticmethod(_load_lists_in_numeric_order)
        data = Persistable.load_serialized_data(sys.argv[2])
        print(json.dumps(to_json(data), sort_keys=True))
    elif cmd == "write":
        with open(sys.argv[2]) as f:
            value = from_json(json.load(f))
        _Writer().save_serialized_data(sys.argv[3], value)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
