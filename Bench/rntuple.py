"""Writes Darkscan's Arrow exports as one ROOT RNTuple, streaming, with every column in its own
shape: scalars as scalar fields, fixed-size arrays as nested std::array, lists as std::vector and
record lists as std::vector of a struct with named members (declared to ROOT's interpreter, which
RNTuple accepts without a compiled dictionary). Units and descriptions go into the field
descriptions. The C++ (types, one fill loop per batch) is generated from the Arrow schema, so the
same code writes the summary and the full event; the struct declarations are kept beside the
file (OUT.h) for the process that reads it back.

usage as a module: RNTupleSink(path, arrow_schema) -> .add(reader) per Arrow file -> .close()
writes PATH.partial and PATH.h; the caller checks the file (verify) and renames it.
"""
import os

import numpy as np

SCALARS = {"bool": ("bool", np.bool_), "int8": ("std::int8_t", np.int8), "uint8": ("std::uint8_t", np.uint8),
           "int16": ("std::int16_t", np.int16), "uint16": ("std::uint16_t", np.uint16),
           "int32": ("std::int32_t", np.int32), "uint32": ("std::uint32_t", np.uint32),
           "int64": ("std::int64_t", np.int64), "uint64": ("std::uint64_t", np.uint64),
           "float": ("float", np.float32), "double": ("double", np.float64)}


def _scalar(arrow_type):
    name = str(arrow_type)
    if name not in SCALARS:
        raise ValueError(f"RNTuple bridge: no C++ type for Arrow type {name}")
    return SCALARS[name]


class _Column:
    """One Arrow column: its C++ type, the fill statement, and how to turn a batch column into the
    flat numpy buffers the generated fill function takes."""

    def __init__(self, index, field, structs):
        import pyarrow as pa
        t, self.name, v = field.type, field.name, f"c{index}"
        self.buffers = []  # (C++ pointer type, function: arrow array -> numpy array)
        if pa.types.is_fixed_size_list(t):
            shape, inner = [], t
            while pa.types.is_fixed_size_list(inner):
                shape.append(inner.list_size)
                inner = inner.value_type
            cpp, dtype = _scalar(inner)
            self.type = cpp
            for size in reversed(shape):
                self.type = f"std::array<{self.type}, {size}>"
            count = int(np.prod(shape))
            self.buffers.append((f"const {cpp}*", lambda a, dtype=dtype: _flatten(a, dtype)))
            self.fill = f"std::memcpy(p{index}->data(), {v}_0 + i * {count}, sizeof({self.type}));"
        elif pa.types.is_list(t) and pa.types.is_struct(t.value_type):
            struct = f"dsbench::{field.name}_record"
            members, copies = [], []
            for j in range(t.value_type.num_fields):
                sub = t.value_type.field(j)
                cpp, dtype = _scalar(sub.type)
                members.append(f"  {cpp} {sub.name};")
                copies.append(f"{v}_{j + 1}[k]")
                self.buffers.append((f"const {cpp}*", lambda a, j=j, dtype=dtype: a.values.field(j).to_numpy(zero_copy_only=False).astype(dtype, copy=False)))
            structs.append(f"namespace dsbench {{ struct {field.name}_record {{\n" + "\n".join(members) + "\n}; }")
            self.type = f"std::vector<{struct}>"
            self.buffers.insert(0, ("const std::int32_t*", _offsets))
            self.fill = (f"p{index}->clear(); for (std::int64_t k = {v}_0[i]; k < {v}_0[i + 1]; k++) "
                         f"p{index}->push_back({struct}{{{', '.join(copies)}}});")
        elif pa.types.is_list(t):
            cpp, dtype = _scalar(t.value_type)
            self.type = f"std::vector<{cpp}>"
            self.buffers = [("const std::int32_t*", _offsets),
                            (f"const {cpp}*", lambda a, dtype=dtype: a.values.to_numpy(zero_copy_only=False).astype(dtype, copy=False))]
            self.fill = f"p{index}->assign({v}_1 + {v}_0[i], {v}_1 + {v}_0[i + 1]);"
        else:
            cpp, dtype = _scalar(t)
            self.type = cpp
            self.buffers = [(f"const {cpp}*", lambda a, dtype=dtype: a.to_numpy(zero_copy_only=False).astype(dtype, copy=False))]
            self.fill = f"*p{index} = {v}_0[i];"
        meta = field.metadata or {}
        unit = meta.get(b"unit", b"").decode()
        description = meta.get(b"description", b"").decode()
        self.description = (description + (f" [{unit}]" if unit else "")).replace("\\", "\\\\").replace('"', '\\"')
        self.params = [f"{ctype} {v}_{k}" for k, (ctype, _) in enumerate(self.buffers)]


def _flatten(a, dtype):
    while hasattr(a, "flatten") and a.type.num_fields:
        a = a.flatten()
    return a.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def _offsets(a):
    return a.offsets.to_numpy().astype(np.int32, copy=False)


class RNTupleSink:
    """Streams Arrow record batches into one RNTuple `events` (zstd level 5, ROOT's default)."""
    counter = 0

    def __init__(self, path, schema):
        import ROOT
        RNTupleSink.counter += 1
        self.path, self.ns = path, f"dsbench_writer{RNTupleSink.counter}"
        structs = []
        self.columns = [_Column(i, schema.field(i), structs) for i in range(len(schema))]
        self.header = "#include <array>\n#include <cstdint>\n#include <vector>\n" + "\n".join(structs) + "\n"
        fields = "\n".join(f'    p{i} = m->MakeField<{c.type}>("{c.name}", "{c.description}");' for i, c in enumerate(self.columns))
        members = "\n".join(f"  std::shared_ptr<{c.type}> p{i};" for i, c in enumerate(self.columns))
        params = ", ".join(p for c in self.columns for p in c.params)
        fills = "\n      ".join(c.fill for c in self.columns)
        _declare(self.header)
        ok = ROOT.gInterpreter.Declare(f"""
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <cstring>
namespace {self.ns} {{
struct Writer {{
  std::unique_ptr<ROOT::RNTupleWriter> writer;
{members}
  Writer(const char *path) {{
    auto m = ROOT::RNTupleModel::Create();
{fields}
    ROOT::RNTupleWriteOptions options;
    options.SetCompression(505);
    writer = ROOT::RNTupleWriter::Recreate(std::move(m), "events", path, options);
  }}
  void fill(std::int64_t n, {params}) {{
    for (std::int64_t i = 0; i < n; i++) {{
      {fills}
      writer->Fill();
    }}
  }}
  void close() {{ writer.reset(); }}
}};
}}
""")
        if not ok:
            raise RuntimeError("RNTuple bridge: the generated writer did not compile")
        self.partial = path + ".partial"
        self.writer = getattr(ROOT, self.ns).Writer(self.partial)
        self.rows = 0

    def add(self, reader):
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            args = [np.ascontiguousarray(fn(batch.column(k))) for k, c in enumerate(self.columns) for _, fn in c.buffers]
            self.writer.fill(batch.num_rows, *args)
            self.rows += batch.num_rows

    def close(self):
        """Finishes PATH.partial and writes the record structs to PATH.h."""
        self.writer.close()
        with open(self.path + ".h", "w") as f:
            f.write(self.header)


_declared = set()


def _declare(header):
    import ROOT
    if header not in _declared:
        _declared.add(header)
        ROOT.gInterpreter.Declare(header)


def declare_types(path):
    """Declares the record structs of an RNTuple written by RNTupleSink (PATH.h, or for
    PATH.partial the same PATH.h), before reading it."""
    header = path.removesuffix(".partial") + ".h"
    if os.path.exists(header):
        with open(header) as f:
            _declare(f.read())


def verify(path, batch, events=4096):
    """Reads the first events of the RNTuple back with RDataFrame and compares every value of every
    column with the Arrow batch they were written from; raises on the first mismatch."""
    import pyarrow as pa
    import ROOT
    batch = batch.slice(0, min(events, batch.num_rows))
    declare_types(path)
    df = ROOT.RDataFrame("events", path).Range(batch.num_rows)
    defines, want = {}, {}
    for k, field in enumerate(batch.schema):
        a, t, name = batch.column(k), field.type, field.name
        if pa.types.is_fixed_size_list(t):
            depth, flat = 0, a
            while pa.types.is_fixed_size_list(flat.type):
                flat, depth = flat.flatten(), depth + 1
            loops = "".join(f"for (auto &x{i + 1} : x{i}) " for i in range(depth))
            defines[name] = f"ROOT::VecOps::RVec<double> v; auto &x0 = {name}; {loops}v.push_back(double(x{depth})); return v;"
            want[name] = flat.to_numpy(zero_copy_only=False).astype(np.float64)
        elif pa.types.is_list(t) and pa.types.is_struct(t.value_type):
            for sub in t.value_type:
                defines[f"{name}.{sub.name}"] = f"ROOT::VecOps::RVec<double> v; for (auto &h : {name}) v.push_back(double(h.{sub.name})); return v;"
                want[f"{name}.{sub.name}"] = a.flatten().field(sub.name).to_numpy(zero_copy_only=False).astype(np.float64)
        elif pa.types.is_list(t):
            defines[name] = f"ROOT::VecOps::RVec<double> v; for (auto x : {name}) v.push_back(double(x)); return v;"
            want[name] = a.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            want[name] = a.to_numpy(zero_copy_only=False)
    names = {}
    for i, (column, code) in enumerate(defines.items()):
        names[column] = f"dsbench_check{i}"
        df = df.Define(names[column], code)
    got = df.AsNumpy([names.get(c, c) for c in want])
    for column, expected in want.items():
        values = got[names.get(column, column)]
        if column in names:
            values = np.concatenate([np.asarray(v) for v in values]) if len(values) else np.array([])
        floats = expected.dtype.kind == "f"  # a NaN written is a NaN read back
        if len(values) != len(expected) or not np.array_equal(values.astype(expected.dtype), expected, equal_nan=floats):
            raise RuntimeError(f"{path}: column {column} differs from the Arrow input in the first {batch.num_rows} events")
