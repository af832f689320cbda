"""The C interface of libdarkscan (include/darkscan.h) through ctypes: the library inside this
package, its structs and function signatures, and the translation of its errors into exceptions.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32, c_int64,
                    c_size_t, c_uint32, c_void_p)
from typing import Optional, Sequence

from ._errors import ArgumentError, DarkscanError, FileError, QueryError

ABI_VERSION = 1

KIND_ARGUMENT, KIND_QUERY, KIND_FILE, KIND_CANCELLED, KIND_INTERNAL = 1, 2, 3, 4, 5


class ArrowSchema(Structure):
    _fields_ = [("format", c_char_p), ("name", c_char_p), ("metadata", c_void_p), ("flags", c_int64),
                ("n_children", c_int64), ("children", c_void_p), ("dictionary", c_void_p),
                ("release", c_void_p), ("private_data", c_void_p)]


class ArrowArrayStream(Structure):
    _fields_ = [("get_schema", c_void_p), ("get_next", c_void_p), ("get_last_error", c_void_p),
                ("release", c_void_p), ("private_data", c_void_p)]


class Error(Structure):
    _fields_ = [("code", c_int32), ("kind", c_int32), ("reason", c_char * 48), ("message", c_char * 4000)]


class OpenOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("verify_checksums", c_int32), ("threads", c_int32)]


class QueryOptions(Structure):
    _fields_ = [("struct_size", c_size_t), ("weight", c_char_p), ("defines", POINTER(c_char_p)),
                ("n_defines", c_size_t), ("n_minus_1", c_int32), ("threads", c_int32),
                ("batch_events", c_int64), ("codec", c_char_p), ("histograms", POINTER(c_char_p)),
                ("n_histograms", c_size_t)]


class Cut(Structure):
    _fields_ = [("name", c_char_p), ("events", c_int64), ("efficiency", c_double), ("cumulative", c_double),
                ("sum_w", c_double), ("sum_w2", c_double), ("n_minus_1", c_int64)]


class CutFlowStruct(Structure):
    _fields_ = [("total", c_int64), ("selected", c_int64), ("total_sum_w", c_double), ("total_sum_w2", c_double),
                ("weighted", c_int32), ("has_n_minus_1", c_int32), ("n_cuts", c_size_t), ("cuts", POINTER(Cut)),
                ("clusters_read", c_int64), ("clusters_skipped", c_int64), ("batches_decided_by_pages", c_int64),
                ("seconds", c_double), ("table", c_char_p), ("json", c_char_p), ("private_data", c_void_p)]


def _library_path() -> str:
    """DARKSCAN_LIBRARY when set (a development build), else the copy inside this package."""
    env = os.environ.get("DARKSCAN_LIBRARY")
    if env:
        return env
    return os.path.join(os.path.dirname(__file__), "_lib", "libdarkscan.so")


def _load() -> ctypes.CDLL:
    path = _library_path()
    if not os.path.exists(path):
        raise ImportError(f"darkscan: the native library is missing ({path}); build it with "
                          "`swift build -c release --product DarkscanC` and reinstall the package (`pip install ./python`)")
    lib = ctypes.CDLL(path)
    P = POINTER
    sigs = {
        "darkscan_abi_version": (c_uint32, []),
        "darkscan_version": (c_char_p, []),
        "darkscan_last_error": (c_char_p, []),
        "darkscan_free": (None, [c_void_p]),
        "darkscan_malloc": (c_void_p, [c_size_t]),
        "darkscan_open": (c_int, [P(c_char_p), c_size_t, P(OpenOptions), P(c_void_p), P(Error)]),
        "darkscan_close": (None, [P(c_void_p)]),
        "darkscan_event_count": (c_int, [c_void_p, P(c_int64), P(Error)]),
        "darkscan_schema": (c_int, [c_void_p, P(c_char_p), c_size_t, c_void_p, P(Error)]),
        "darkscan_metadata_json": (c_int, [c_void_p, P(c_void_p), P(Error)]),
        "darkscan_check": (c_int, [c_void_p, c_char_p, P(c_char_p), c_size_t, P(QueryOptions), P(Error)]),
        "darkscan_count": (c_int, [c_void_p, c_char_p, P(QueryOptions), P(P(CutFlowStruct)), P(Error)]),
        "darkscan_skim": (c_int, [c_void_p, c_char_p, c_char_p, P(c_char_p), c_size_t, P(QueryOptions),
                                  P(P(CutFlowStruct)), P(Error)]),
        "darkscan_cut_flow_free": (None, [P(P(CutFlowStruct))]),
        "darkscan_scan": (c_int, [c_void_p, c_char_p, P(c_char_p), c_size_t, P(QueryOptions), c_void_p, P(Error)]),
        "darkscan_capsule_init": (None, [c_void_p]),
        "darkscan_live_batches": (c_int64, []),
        "darkscan_owns_address": (c_int, [c_void_p]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    abi = lib.darkscan_abi_version()
    if abi != ABI_VERSION:
        raise ImportError(f"darkscan: {path} has C ABI version {abi}, this package needs {ABI_VERSION}")
    lib.darkscan_capsule_init(ctypes.cast(ctypes.pythonapi.PyCapsule_GetPointer, c_void_p))
    return lib


lib = _load()

# The capsule names must outlive every capsule: module-level buffers.
_STREAM_NAME = ctypes.create_string_buffer(b"arrow_array_stream")
_SCHEMA_NAME = ctypes.create_string_buffer(b"arrow_schema")
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [c_void_p, c_void_p, c_void_p]
_free_stream = ctypes.cast(lib.darkscan_capsule_free_stream, c_void_p).value
_free_schema = ctypes.cast(lib.darkscan_capsule_free_schema, c_void_p).value


def raise_for(code: int, err: Error) -> None:
    """Raises the exception matching a failed call's darkscan_error."""
    if code == 0:
        return
    message = err.message.decode("utf-8", "replace") or os.strerror(code)
    reason = err.reason.decode("utf-8", "replace")
    if err.kind == KIND_QUERY:
        raise QueryError(message, reason=reason)
    if err.kind == KIND_FILE:
        raise FileError(code, message, reason=reason)
    if err.kind == KIND_ARGUMENT:
        raise ArgumentError(message, reason=reason)
    raise DarkscanError(message, reason=reason)


def call(fn, *args) -> None:
    """Calls an exported function whose last argument is a darkscan_error*, raising on failure."""
    err = Error()
    raise_for(fn(*args, ctypes.byref(err)), err)


def cstr(value: str) -> bytes:
    """UTF-8 for a C string; a NUL inside would silently cut it short, so it is an error."""
    if "\0" in value:
        raise ArgumentError(f"a NUL character in {value!r}")
    return value.encode()


def strings(values: Optional[Sequence[str]]):
    """A C array of UTF-8 strings and its length (NULL and 0 for None)."""
    if values is None:
        return None, 0
    arr = (c_char_p * max(1, len(values)))(*[cstr(v) for v in values])
    return arr, len(values)


def query_options(*, weight=None, defines=None, n_minus_1=False, threads=None, batch_events=None, codec=None,
                  histograms=None) -> QueryOptions:
    o = QueryOptions()
    o.struct_size = ctypes.sizeof(QueryOptions)
    if weight is not None:
        o.weight = cstr(weight)
    if defines:
        arr, n = strings(list(defines))
        o.defines, o.n_defines = ctypes.cast(arr, POINTER(c_char_p)), n
        o._keep = arr  # the array must live as long as the options
    o.n_minus_1 = 1 if n_minus_1 else 0
    o.threads = threads or 0
    o.batch_events = batch_events or 0
    if codec is not None:
        o.codec = cstr(codec)
    if histograms:
        harr, hn = strings(list(histograms))
        o.histograms, o.n_histograms = ctypes.cast(harr, POINTER(c_char_p)), hn
        o._keep_histograms = harr
    return o


def _capsule(struct, name, destructor, make) -> object:
    """A PyCapsule named `name` around a `struct` that `make(pointer)` fills; the library's
    destructor releases and frees it."""
    p = lib.darkscan_malloc(ctypes.sizeof(struct))
    try:
        make(p)
    except BaseException:
        lib.darkscan_free(p)
        raise
    return _capsule_new(p, ctypes.addressof(name), destructor)


def stream_capsule(make) -> object:
    """An "arrow_array_stream" capsule around a stream that `make(pointer)` fills."""
    return _capsule(ArrowArrayStream, _STREAM_NAME, _free_stream, make)


def schema_capsule(make) -> object:
    """An "arrow_schema" capsule around a schema that `make(pointer)` fills."""
    return _capsule(ArrowSchema, _SCHEMA_NAME, _free_schema, make)
