"""Datasets and scans."""
from __future__ import annotations

import ctypes
import errno
import json
import os
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Sequence, Union

from . import _native as N
from ._cutflow import CutFlow
from ._errors import ArgumentError, FileError

if TYPE_CHECKING:
    import awkward
    import numpy
    import polars
    import pyarrow

PathArg = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


def _paths(paths: PathArg) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    if isinstance(paths, bytes):
        raise TypeError("paths must be str or os.PathLike, not bytes")
    try:
        out = [os.fspath(p) for p in paths]
    except TypeError:
        raise TypeError(f"paths must be a path or an iterable of paths, not {type(paths).__name__}") from None
    if not out:
        raise ArgumentError("no paths given")
    return out


def _columns(columns: Optional[Sequence[str]]) -> Optional[list[str]]:
    if columns is None:
        return None
    if isinstance(columns, str):
        return [c.strip() for c in columns.split(",") if c.strip()]
    out = list(columns)
    for c in out:
        if not isinstance(c, str):
            raise TypeError(f"column names must be str, not {type(c).__name__}")
    return out


def _specs(hists: Optional[Sequence[str]]) -> Optional[list[str]]:
    if hists is None:
        return None
    if isinstance(hists, str):
        return [hists]
    out = list(hists)
    for h in out:
        if not isinstance(h, str):
            raise TypeError(f"histogram specs must be str, not {type(h).__name__}")
    return out


def _text(value: Any, what: str, optional: bool = True) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def _count_arg(value: Any, what: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 1:
        raise ArgumentError(f"{what} must be at least 1, got {value}")
    return value


class Dataset:
    """EVC files read as one dataset. Opening reads only headers and footers.

    Use as a context manager, or call close(). Streams already being read when it is closed go
    on; new scans and queries raise ArgumentError.
    """

    def __init__(self, paths: PathArg, *, verify_checksums: bool = True, threads: Optional[int] = None) -> None:
        self._handle: Optional[ctypes.c_void_p] = None
        self._lock = threading.Lock()
        files = _paths(paths)
        threads = _count_arg(threads, "threads")
        arr, n = N.strings(files)
        o = N.OpenOptions(ctypes.sizeof(N.OpenOptions), 1 if verify_checksums else 0, threads or 0)
        h = ctypes.c_void_p()
        N.call(N.lib.darkscan_open, arr, n, ctypes.byref(o), ctypes.byref(h))
        self._handle = h
        self.paths: list[str] = files

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the dataset (again is fine). Streams already being read go on."""
        with self._lock:
            if self._handle is not None:
                N.lib.darkscan_close(ctypes.byref(self._handle))
                self._handle = None

    def __enter__(self) -> "Dataset":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._handle is None

    def _h(self) -> ctypes.c_void_p:
        h = self._handle
        if h is None:
            raise ArgumentError("the dataset is closed")
        return h

    # -- what it holds -------------------------------------------------------------------------

    @property
    def events(self) -> int:
        """Number of events in all files."""
        out = ctypes.c_int64()
        N.call(N.lib.darkscan_event_count, self._h(), ctypes.byref(out))
        return out.value

    def __len__(self) -> int:
        return self.events

    @property
    def schema(self) -> "pyarrow.Schema":
        """The schema as a pyarrow schema, laid out as scans deliver it; units and descriptions
        are in each field's metadata (b"unit", b"description")."""
        import pyarrow as pa
        return pa.schema(_SchemaSource(self, None))

    @property
    def columns(self) -> list[str]:
        """The names of the fields."""
        return [f["name"] for f in self.metadata["fields"]]

    @property
    def metadata(self) -> dict[str, Any]:
        """Files, events, fields (type, unit, description) and each file's metadata (run, the
        query and cut flow of a skim, ...)."""
        out = ctypes.c_void_p()
        N.call(N.lib.darkscan_metadata_json, self._h(), ctypes.byref(out))
        try:
            return json.loads(ctypes.string_at(out.value).decode())
        finally:
            N.lib.darkscan_free(out)

    def __repr__(self) -> str:
        if self.closed:
            return "<darkscan.Dataset (closed)>"
        return f"<darkscan.Dataset {self.events} events in {len(self.paths)} path(s)>"

    # -- queries -------------------------------------------------------------------------------

    def count(self, where: str, weight: Optional[str] = None, n_minus_1: bool = False, *,
              defines: Optional[Sequence[str]] = None, threads: Optional[int] = None,
              hists: Optional[Sequence[str]] = None) -> CutFlow:
        """Runs the cuts `where` ("missing energy > 50 GeV, veto == 0") over every event and
        returns the cut flow. `weight` adds Σw and Σw² per cut; `n_minus_1` counts, per cut,
        the events passing all the others; `hists` are histogram specs as `darkscan count
        --hist` takes them ("ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV ..
        60 GeV"), filled in the same pass: `flow.hists` holds them as hist.Hist objects.
        Raises QueryError with the caret message."""
        _text(where, "where", optional=False)
        _text(weight, "weight")
        o = N.query_options(weight=weight, defines=defines, n_minus_1=n_minus_1, threads=_count_arg(threads, "threads"),
                            histograms=_specs(hists))
        out = ctypes.POINTER(N.CutFlowStruct)()
        N.call(N.lib.darkscan_count, self._h(), N.cstr(where), ctypes.byref(o), ctypes.byref(out))
        try:
            return CutFlow(out.contents)
        finally:
            N.lib.darkscan_cut_flow_free(ctypes.byref(out))

    def skim(self, where: str, path: Union[str, "os.PathLike[str]"], columns: Optional[Sequence[str]] = None, *,
             codec: Optional[str] = None, weight: Optional[str] = None, defines: Optional[Sequence[str]] = None,
             threads: Optional[int] = None, hists: Optional[Sequence[str]] = None) -> CutFlow:
        """Writes the events passing `where` (all fields, or `columns`) to the EVC file `path`,
        with the query, the cut flow and the inputs in its metadata; returns the cut flow (with
        the histograms of `hists`, which the file's metadata keeps too)."""
        _text(where, "where", optional=False)
        _text(codec, "codec")
        target = os.fspath(path)
        cols, n = N.strings(_columns(columns))
        o = N.query_options(weight=weight, defines=defines, threads=_count_arg(threads, "threads"), codec=codec,
                            histograms=_specs(hists))
        out = ctypes.POINTER(N.CutFlowStruct)()
        N.call(N.lib.darkscan_skim, self._h(), N.cstr(where), N.cstr(target), cols, n, ctypes.byref(o), ctypes.byref(out))
        try:
            return CutFlow(out.contents)
        finally:
            N.lib.darkscan_cut_flow_free(ctypes.byref(out))

    def scan(self, where: Optional[str] = None, columns: Optional[Sequence[str]] = None, *,
             batch_events: int = 65536, defines: Optional[Sequence[str]] = None,
             threads: Optional[int] = None) -> "Scan":
        """The events passing `where` (every event when None), fields `columns` (all when None),
        as an Arrow stream: pass it to pyarrow.table(), polars.DataFrame(), duckdb.sql("select
        ... from s"), iterate it for record batches, or call to_arrow(), to_polars(),
        to_awkward(), to_numpy(column). The query and columns are checked now; the scan runs
        each time the stream is read."""
        return Scan(self, _text(where, "where"), _columns(columns), _count_arg(batch_events, "batch_events"),
                    list(defines) if defines else None, _count_arg(threads, "threads"))

    def to_arrow(self, columns: Optional[Sequence[str]] = None) -> "pyarrow.Table":
        """Every event as a pyarrow table (shorthand for scan(columns=...).to_arrow())."""
        return self.scan(columns=columns).to_arrow()


class _SchemaSource:
    """An object with __arrow_c_schema__ for the schema of some columns of a dataset."""

    def __init__(self, ds: Dataset, columns: Optional[list[str]]) -> None:
        self.ds, self.columns = ds, columns

    def __arrow_c_schema__(self) -> object:
        cols, n = N.strings(self.columns)
        h = self.ds._h()
        return N.schema_capsule(lambda p: N.call(N.lib.darkscan_schema, h, cols, n, p))


class Scan:
    """The selected events' columns as an Arrow C stream (the Arrow PyCapsule protocol).

    Re-executable: each consumer that asks for the stream gets a fresh scan (DuckDB asks more
    than once). The scan runs on a thread of the library, at most two batches ahead of the
    reader; batches are not copied (numeric columns point into the decoded buffers) and stay
    valid as long as anything refers to them.
    """

    def __init__(self, ds: Dataset, where: Optional[str], columns: Optional[list[str]], batch_events: Optional[int],
                 defines: Optional[list[str]], threads: Optional[int]) -> None:
        self._ds, self.where, self.columns = ds, where, columns
        self._options = dict(defines=defines, threads=threads, batch_events=batch_events)
        cols, n = N.strings(columns)
        o = N.query_options(**self._options)
        N.call(N.lib.darkscan_check, ds._h(), N.cstr(where) if where is not None else None, cols, n, ctypes.byref(o))

    def __repr__(self) -> str:
        return f"<darkscan.Scan where={self.where!r} columns={self.columns!r}>"

    # -- the Arrow PyCapsule protocol -----------------------------------------------------------

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """A new "arrow_array_stream" capsule: the scan, from the start. `requested_schema` is
        not used: the stream has the scan's own schema."""
        h = self._ds._h()
        cols, n = N.strings(self.columns)
        o = N.query_options(**self._options)
        where = N.cstr(self.where) if self.where is not None else None
        return N.stream_capsule(lambda p: N.call(N.lib.darkscan_scan, h, where, cols, n, ctypes.byref(o), p))

    def __arrow_c_schema__(self) -> object:
        """The stream's schema as an "arrow_schema" capsule."""
        return _SchemaSource(self._ds, self.columns).__arrow_c_schema__()

    # -- conveniences ----------------------------------------------------------------------------

    @property
    def schema(self) -> "pyarrow.Schema":
        import pyarrow as pa
        return pa.schema(self)

    def reader(self) -> "pyarrow.RecordBatchReader":
        """A pyarrow RecordBatchReader over a fresh run of the scan."""
        import pyarrow as pa
        return pa.RecordBatchReader.from_stream(self)

    def __iter__(self) -> Iterator["pyarrow.RecordBatch"]:
        """Record batches in file order. Python checks for Ctrl-C between batches. A file
        damaged mid-way raises FileError after the batches before the damage."""
        with self.reader() as r:
            try:
                for batch in r:
                    yield batch
            except OSError as e:  # pyarrow's form of the stream's EIO: the library's message
                raise FileError(errno.EIO, str(e), reason="read") from None

    def to_arrow(self) -> "pyarrow.Table":
        """All selected events as a pyarrow Table (batches as chunks, not copied). Read batch by
        batch in Python, so Ctrl-C stops it between batches."""
        import pyarrow as pa
        return pa.Table.from_batches(list(self), schema=self.schema)

    def to_polars(self) -> "polars.DataFrame":
        """A polars DataFrame; arrays become Array columns, lists List, record lists List of Struct."""
        import polars as pl
        return pl.from_arrow(self.to_arrow(), rechunk=False)

    def to_awkward(self) -> "awkward.Array":
        """An awkward Array of records: lists as jagged arrays, fixed arrays as regular dimensions."""
        import awkward as ak
        return ak.from_arrow(self.to_arrow())

    def to_pandas(self):
        """A pandas DataFrame (through pyarrow)."""
        return self.to_arrow().to_pandas()

    def to_numpy(self, column: str) -> "numpy.ndarray":
        """One scalar or fixed-array column as a numpy array: shape (events,) or (events, d1, d2,
        ...). Lists have no such shape: use to_awkward()."""
        import numpy as np
        import pyarrow as pa
        if not isinstance(column, str):
            raise TypeError(f"column must be a str, not {type(column).__name__}")
        o = self._options
        table = Scan(self._ds, self.where, [column], o["batch_events"], o["defines"], o["threads"]).to_arrow()
        field = table.schema.field(column)
        shape: list[int] = []
        t = field.type
        while pa.types.is_fixed_size_list(t):
            shape.append(t.list_size)
            t = t.value_type
        if pa.types.is_list(t) or pa.types.is_struct(t):
            raise ArgumentError(f"column '{column}' is a list: it has no numpy shape; use to_awkward()")
        chunks = table.column(column).chunks
        values = []
        for c in chunks:
            for _ in shape:
                c = c.flatten()
            values.append(c.to_numpy(zero_copy_only=False))
        if not values:
            values.append(np.empty(0, dtype=t.to_pandas_dtype()))
        flat = np.concatenate(values) if len(values) != 1 else values[0]
        return flat.reshape((table.num_rows, *shape)) if shape else flat
