"""Files whose space the usage walk cannot account for exactly (it must report itself
incomplete). Run with the venv's Python from this folder."""
import h5py
import numpy as np

with h5py.File("external.h5", "w", libver="v110") as f:
    f.create_dataset("ext", shape=(100,), dtype="<f8", external=[("external.bin", 0, 800)])
    f.create_dataset("normal", data=np.arange(10))

with h5py.File("virtual.h5", "w", libver="v110") as f:
    f.create_dataset("src", data=np.arange(10))
    layout = h5py.VirtualLayout(shape=(10,), dtype="<i8")
    layout[:] = h5py.VirtualSource(f["src"])
    f.create_virtual_dataset("vds", layout)

with h5py.File("fs_page.h5", "w", libver="v110", fs_strategy="page", fs_persist=True) as f:
    f.create_dataset("x", data=np.arange(100))
    del f["x"]
    f.create_dataset("y", data=np.arange(10))
