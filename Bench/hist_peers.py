"""The peers of `darkscan hist` on the same events (Bench/hist runs them): ROOT RDataFrame filling a
Histo1D and a Histo2D in one event loop over the RNTuple, and pyarrow reading the two columns
from Parquet (lz4_raw, its fastest file) with boost-histogram filling them. The work is that of
hist-bench's "hist 1D + 2D, every event": ecal_e in 150 bins of 0-150 GeV, and ecal_e vs hcal_e
in 150 x 60 bins of 0-150 x 0-60 GeV. Each result is compared cell by cell, flow cells included,
with Darkscan's histograms of the same events (REF.json, from `darkscan hist -o`).

usage: hist_peers.py make DIR N DARKSCAN                     Parquet lz4_raw and, with ROOT, the RNTuple
       hist_peers.py pyarrow DIR N THREADS RUNS REF OUT.json
       hist_peers.py rdf DIR N THREADS RUNS REF OUT.json
       hist_peers.py report HIST-BENCH.json PEERS.json... OUT.json
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import make_parquet_sliced, make_rntuple, timed  # noqa: E402

ONE = ("ecal_e", 150, 0.0, 150.0)
TWO = (("ecal_e", 150, 0.0, 150.0), ("hcal_e", 60, 0.0, 60.0))


def reference(path):
    """Darkscan's two histograms as numpy arrays with flow cells: [152], [152, 62]."""
    d = json.load(open(path))
    one = np.array(d["ecal_e"]["storage"]["values"], dtype=np.float64)
    two = np.array(d["ecal_e vs hcal_e"]["storage"]["values"], dtype=np.float64)
    return one, two


def compare(got, ref):
    """Cells that differ, and how many entries sit in other cells than Darkscan's."""
    cells = sum(int((g != r).sum()) for g, r in zip(got, ref))
    moved = sum(float(np.abs(g - r).sum()) / 2 for g, r in zip(got, ref))
    return cells, moved


def make(d, n, darkscan):
    if not os.path.exists(f"{d}/na64-{n}-lz4_raw.parquet"):
        make_parquet_sliced(d, n, "lz4_raw", darkscan)
    try:
        import ROOT  # noqa: F401
    except ImportError:
        print("hist_peers: ROOT does not import; RDataFrame left out", file=sys.stderr)
        return
    if not os.path.exists(f"{d}/na64-{n}.rntuple.root"):
        make_rntuple(d, n, darkscan)


def pyarrow_run(d, n, threads, runs, ref, out):
    import boost_histogram as bh
    import pyarrow as pa
    import pyarrow.parquet as pq
    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)
    path = f"{d}/na64-{n}-lz4_raw.parquet"

    def go():
        table = pq.read_table(path, columns=["ecal_e", "hcal_e"], use_threads=threads > 1)
        x = table.column("ecal_e").to_numpy()
        y = table.column("hcal_e").to_numpy()
        h1 = bh.Histogram(bh.axis.Regular(ONE[1], ONE[2], ONE[3]))
        h2 = bh.Histogram(*(bh.axis.Regular(b, lo, hi) for _, b, lo, hi in TWO))
        fill = {"threads": threads} if threads > 1 else {}
        h1.fill(x, **fill)
        h2.fill(x, y, **fill)
        return h1.values(flow=True), h2.values(flow=True), table.num_rows

    med, lo, hi, (one, two, rows) = timed(runs, go)
    cells, moved = compare((one, two), reference(ref))
    row = {"engine": "pyarrow+boost-histogram", "file": "parquet-lz4_raw", "work": "hist 1D + 2D, every event", "threads": threads,
           "events_per_second": n / med, "min": n / hi, "max": n / lo, "rows": rows, "cells_differing": cells, "entries_moved": moved}
    print(f"pyarrow+boost-histogram {threads} threads {n / med / 1e6:8.1f} M events/s; {cells} cells differ from Darkscan's", file=sys.stderr)
    json.dump([row], open(out, "w"), indent=1)


def rdf_run(d, n, threads, runs, ref, out):
    import ROOT
    from rntuple import declare_types
    if threads > 1:
        ROOT.EnableImplicitMT(threads)
    path = f"{d}/na64-{n}.rntuple.root"
    declare_types(path)

    def go():
        df = ROOT.RDataFrame("events", path)
        h1 = df.Histo1D(ROOT.RDF.TH1DModel("h1", "", ONE[1], ONE[2], ONE[3]), "ecal_e")
        (_, bx, x0, x1), (_, by, y0, y1) = TWO
        h2 = df.Histo2D(ROOT.RDF.TH2DModel("h2", "", bx, x0, x1, by, y0, y1), "ecal_e", "hcal_e")
        return h1.GetValue(), h2.GetValue()  # both filled in one event loop

    med, lo, hi, (h1, h2) = timed(runs, go)
    one = np.array([h1.GetBinContent(i) for i in range(ONE[1] + 2)])
    (_, bx, _, _), (_, by, _, _) = TWO
    two = np.array([[h2.GetBinContent(i, j) for j in range(by + 2)] for i in range(bx + 2)])
    cells, moved = compare((one, two), reference(ref))
    row = {"engine": "rdataframe", "file": "rntuple-zstd", "work": "hist 1D + 2D, every event", "threads": threads,
           "events_per_second": n / med, "min": n / hi, "max": n / lo, "rows": int(h1.GetEntries()), "cells_differing": cells, "entries_moved": moved}
    print(f"rdataframe {threads} threads {n / med / 1e6:8.1f} M events/s; {cells} cells differ from Darkscan's", file=sys.stderr)
    json.dump([row], open(out, "w"), indent=1)


def report(bench, peers, out):
    """The table of Bench/README.md: fill overhead, and Darkscan against the peers per thread count."""
    ds = json.load(open(bench))
    n = ds["events"]
    rows = ds["rows"]
    others = [r for p in peers for r in json.load(open(p))]
    lines = [f"{n:,} events (summary profile), median of {ds['runs']} runs after a warm-up", "",
             "| work | threads | Darkscan M events/s | over the count (wall) | over the count (CPU time) |", "|---|---|---|---|---|"]
    for r in rows:
        over = f"{r['overheadOverCount'] * 100:+.1f}%" if r.get("overheadOverCount") is not None else ""
        cpu = f"{r['cpuOverheadOverCount'] * 100:+.1f}%" if r.get("cpuOverheadOverCount") is not None else ""
        lines.append(f"| {r['work']} | {r['threads']} | {r['eventsPerSecond'] / 1e6:.1f} ({r['min'] / 1e6:.1f}-{r['max'] / 1e6:.1f}) | {over} | {cpu} |")
    lines += ["", "| hist 1D + 2D, every event | threads | M events/s | Darkscan / peer | cells differing from Darkscan |", "|---|---|---|---|---|"]
    summary = []
    for o in sorted(others, key=lambda r: (r["threads"], r["engine"])):
        mine = next((r for r in rows if r["work"] == o["work"] and r["threads"] == o["threads"]), None)
        ratio = mine["eventsPerSecond"] / o["events_per_second"] if mine else float("nan")
        lines.append(f"| {o['engine']} ({o['file']}) | {o['threads']} | {o['events_per_second'] / 1e6:.1f} | {ratio:.1f}x | {o['cells_differing']} ({o['entries_moved']:.0f} entries) |")
        summary.append({**o, "darkscan_events_per_second": mine["eventsPerSecond"] if mine else None, "ratio": ratio})
    for r in rows:
        if r["work"] == "hist 1D + 2D, every event":
            lines.append(f"| Darkscan (EVC lz4) | {r['threads']} | {r['eventsPerSecond'] / 1e6:.1f} | | |")
    print("\n".join(lines))
    json.dump({"events": n, "darkscan": rows, "peers": summary}, open(out, "w"), indent=1)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd in ("pyarrow", "rdf"):
        fn = pyarrow_run if cmd == "pyarrow" else rdf_run
        fn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3:-1], sys.argv[-1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
