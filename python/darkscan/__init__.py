"""Darkscan from Python: open EVC files, count events passing cuts with units, skim them, and
scan the selected events' columns as Arrow streams that pyarrow, polars, duckdb and awkward read
without a copy.

    import darkscan
    ds = darkscan.open("run4242.evc")
    print(ds.count("missing energy > 50 GeV, veto == 0"))
    df = polars.DataFrame(ds.scan("missing energy > 50 GeV, veto == 0", columns=["ecal_e", "hcal_e"]))
"""
from __future__ import annotations

from typing import Optional

from . import _native
from ._cutflow import Cut, CutFlow
from ._dataset import Dataset, PathArg, Scan
from ._errors import ArgumentError, DarkscanError, FileError, QueryError

__all__ = ["open", "Dataset", "Scan", "CutFlow", "Cut", "DarkscanError", "QueryError", "FileError",
           "ArgumentError", "library_version", "__version__"]

__version__ = "0.1.0"


def open(paths: PathArg, *, verify_checksums: bool = True, threads: Optional[int] = None) -> Dataset:
    """Opens EVC files as one dataset: a path, a glob ("runs/*.evc"), a directory (every .evc
    inside) or a list of these. `verify_checksums=False` skips page checksums; `threads` (default
    every core) is what queries on the dataset use. Raises FileError naming the file."""
    return Dataset(paths, verify_checksums=verify_checksums, threads=threads)


def library_version() -> str:
    """The version of the native library (libdarkscan)."""
    return _native.lib.darkscan_version().decode()
