"""Reads an Arrow IPC file written by `darkscan export` with pyarrow and with polars and compares
every value with the reference events printed by `darkscan cat --format json`.

usage: check_arrow.py EXPORT.arrow REFERENCE.json [--expect-meta KEY=VALUE ...]
Prints one line per problem and exits 1 if any; prints a summary and exits 0 otherwise.
"""
import json
import math
import sys

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc


def same(a, b):
    """Equal values, with NaN equal to NaN and the reference's "nan"/"inf" strings decoded."""
    if isinstance(b, str) and b in ("nan", "inf", "-inf"):
        b = float(b)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return False
        if math.isnan(a) and math.isnan(b):
            return True
        return float(a) == float(b) or abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def main():
    path, ref_path = sys.argv[1], sys.argv[2]
    expected_meta = dict(kv.split("=", 1) for kv in sys.argv[4:]) if "--expect-meta" in sys.argv else {}
    reference = json.load(open(ref_path))
    problems = []

    reader = ipc.open_file(path)
    table = reader.read_all()
    rows_pa = table.to_pylist()
    df = pl.read_ipc(path)
    rows_pl = df.to_dicts()

    for name, rows in (("pyarrow", rows_pa), ("polars", rows_pl)):
        if len(rows) != len(reference):
            problems.append(f"{name}: {len(rows)} rows, reference {len(reference)}")
            continue
        for i, (got, want) in enumerate(zip(rows, reference)):
            for key in want:
                if key not in got:
                    problems.append(f"{name}: row {i}: no column {key}")
                elif not same(got[key], want[key]):
                    problems.append(f"{name}: row {i} {key}: {got[key]!r} != {want[key]!r}")
                    break
            if len(problems) > 20:
                break

    meta = {k.decode(): v.decode() for k, v in (reader.schema.metadata or {}).items()}
    for k, v in expected_meta.items():
        if meta.get(k) is None or v not in meta[k]:
            problems.append(f"schema metadata {k}: {meta.get(k)!r} does not contain {v!r}")
    for field in reader.schema:
        fm = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        if "evc.field_id" not in fm:
            problems.append(f"field {field.name}: no evc.field_id metadata")

    for p in problems[:50]:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok: {len(reference)} rows, {len(table.columns)} columns, pyarrow and polars agree with darkscan")


if __name__ == "__main__":
    main()
