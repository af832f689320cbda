"""Checks a histogram file written by `darkscan hist` from outside: `uhi validate` accepts it,
hist.Hist loads every histogram, and each one's contents equal numpy.histogram /
numpy.histogram2d over the Arrow export of the same events (flow bins included: edges
extended by -inf and +inf, NaN counted in the overflow, as Formats/HIST.md says).

usage: check_hist.py HIST.json EXPORT.arrow NAME=COLUMN[,COLUMN] ...
A COLUMN may index the first dimension of an array column: ecal_cells[1] (every value of that
slice, one entry each). Prints one line per problem and exits 1 if any.
"""
import json
import subprocess
import sys

import hist
import numpy as np
import pyarrow.ipc as ipc
import uhi.io.json


def column(table, spec):
    name, index = (spec.split("[", 1) + [None])[:2]
    a = table.column(name).combine_chunks()
    depth = 0
    while hasattr(a.type, "list_size"):
        a, depth = a.flatten(), depth + 1
    values = a.to_numpy(zero_copy_only=False).astype(np.float64)
    if index is None:
        return values
    n = table.num_rows
    first = table.schema.field(name).type.list_size
    return values.reshape(n, first, -1)[:, int(index.rstrip("]")), :].ravel()


def flow_edges(axis):
    return np.concatenate([[-np.inf], axis.edges, [np.inf]])


def reference(h, values):
    """Counts per cell, flow cells included, from numpy."""
    if len(values) == 1:
        x = values[0]
        counts, _ = np.histogram(x[~np.isnan(x)], bins=flow_edges(h.axes[0]))
        counts[-1] += np.isnan(x).sum()
        return counts
    x, y = values
    ex, ey = flow_edges(h.axes[0]), flow_edges(h.axes[1])
    # NaN goes to the overflow: replace it by +inf, which the last (closed) bin holds.
    counts, _, _ = np.histogram2d(np.where(np.isnan(x), np.inf, x), np.where(np.isnan(y), np.inf, y), bins=[ex, ey])
    return counts


def main():
    path, arrow = sys.argv[1], sys.argv[2]
    problems = []
    v = subprocess.run([sys.executable, "-m", "uhi", "validate", path], capture_output=True, text=True)
    if v.returncode != 0:
        problems.append(f"uhi validate: {v.stdout.strip()} {v.stderr.strip()}")
    data = json.load(open(path), object_hook=uhi.io.json.object_hook)
    table = ipc.open_file(arrow).read_all()
    checked = 0
    for spec in sys.argv[3:]:
        name, columns = spec.split("=", 1)
        if name not in data:
            problems.append(f"{name}: not in {path}")
            continue
        h = hist.Hist(data[name])
        values = [column(table, c) for c in columns.split(",")]
        expected = reference(h, values)
        got = h.values(flow=True)
        if got.shape != expected.shape or not np.array_equal(got, expected):
            diff = np.argwhere(got != expected)[:5].tolist() if got.shape == expected.shape else "shape"
            problems.append(f"{name}: hist.Hist differs from numpy at cells {diff} (got {got.sum()}, numpy {expected.sum()})")
        if h.axes[0].label == "" or h.axes[0].name == "":
            problems.append(f"{name}: axis name or label lost")
        checked += 1
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"{checked} histograms of {path} equal numpy over {table.num_rows} events of {arrow}; uhi validate OK")


if __name__ == "__main__":
    main()
