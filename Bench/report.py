"""Merges the Darkscan (scan-bench) and peer results into one table with ratios, and writes
Bench/results/<date>-<host>.json.

usage: report.py SCAN.json... PEERS.json... OUT.json DIR N
(scan-bench results are objects with "rows", peer results lists of rows; DIR/sizes.json, when there,
gives the sizes of files already deleted)
"""
import json
import os
import sys

inputs = [json.load(open(p)) for p in sys.argv[1:-3]]
scans = [x for x in inputs if isinstance(x, dict)]
peers = [r for x in inputs if isinstance(x, list) for r in x]
out, d, n = sys.argv[-3], sys.argv[-2], int(sys.argv[-1])
sizes = json.load(open(f"{d}/sizes.json")) if os.path.exists(f"{d}/sizes.json") else {}

rows = []
for r in (r for scan in scans for r in scan["rows"]):
    codec = "lz4" if r["file"].endswith("lz4.evc") else "zstd"
    rows.append({"engine": "darkscan", "file": f"evc-{codec}", "work": r["work"], "threads": r["threads"],
                 "events_per_second": r["eventsPerSecond"], "min": r["min"], "max": r["max"], "selected": r["selected"],
                 "bound": r.get("boundEventsPerSecond"),
                 "bytes": sizes.get(os.path.basename(r["file"])) or os.path.getsize(r["file"])})
rows += peers

def find(engine, file, work, threads):
    for r in rows:
        if (r["engine"], r["file"], r["work"], r["threads"]) == (engine, file, work, threads):
            return r

print(f"\n{n:,} NA64-like events\n")
print("file sizes: " + ", ".join(sorted({f"{r['file']} {r['bytes'] / 1e9:.2f} GB" for r in rows})))
print()
header = f"{'work':20} {'thr':>3}  {'darkscan evc-lz4':>17} {'evc-zstd':>12}  {'duckdb pq-zstd':>15} {'pq-lz4':>12}  {'polars pq-zstd':>15} {'pq-lz4':>12}  {'RDF rntuple':>12}   {'DS/duckdb':>9} {'DS/polars':>9} {'DS/RDF':>8} {'DS/bound':>8}"
print(header)
ratios = []
thread_counts = sorted({r["threads"] for r in rows})
for work in ("count seed", "count 5 cuts", "skim seed, all cols"):
    for t in thread_counts:
        def v(e, f):
            r = find(e, f, work, t)
            return r["events_per_second"] if r else None
        ds_lz4, ds_zstd = v("darkscan", "evc-lz4"), v("darkscan", "evc-zstd")
        dk_z, dk_l, pl_z, pl_l = v("duckdb", "parquet-zstd"), v("duckdb", "parquet-lz4_raw"), v("polars", "parquet-zstd"), v("polars", "parquet-lz4_raw")
        rdf = v("rdataframe", "rntuple-zstd")
        bound = (find("darkscan", "evc-lz4", work, t) or {}).get("bound")
        best_ds = max(x for x in (ds_lz4, ds_zstd) if x)
        best_dk = max(x for x in (dk_z, dk_l) if x) if (dk_z or dk_l) else None
        best_pl = max(x for x in (pl_z, pl_l) if x) if (pl_z or pl_l) else None
        fmt = lambda x: f"{x / 1e6:10.1f} M/s" if x else f"{'—':>14}"
        rdk = best_ds / best_dk if best_dk else None
        rpl = best_ds / best_pl if best_pl else None
        rb = ds_lz4 / bound if bound else None
        rr = best_ds / rdf if rdf else None
        ratios.append({"work": work, "threads": t, "darkscan_over_duckdb": rdk, "darkscan_over_polars": rpl,
                       "darkscan_over_rdataframe": rr, "darkscan_lz4_over_bound": rb})
        print(f"{work:20} {t:>3}  {fmt(ds_lz4)} {fmt(ds_zstd)}  {fmt(dk_z)} {fmt(dk_l)}  {fmt(pl_z)} {fmt(pl_l)}  {fmt(rdf)}   "
              f"{(f'{rdk:8.1f}x' if rdk else '—'):>9} {(f'{rpl:8.1f}x' if rpl else '—'):>9} {(f'{rr:7.1f}x' if rr else '—'):>8} {(f'{rb:7.2f}' if rb else '—'):>8}")
# The issue's targets: the 5-cut count against the seed count and against its own bound, and
# every work against Polars on Parquet lz4_raw.
print()
five_over_seed = {}
for t in thread_counts:
    seed_r, five_r = find("darkscan", "evc-lz4", "count seed", t), find("darkscan", "evc-lz4", "count 5 cuts", t)
    if seed_r and five_r:
        five_over_seed[t] = five_r["events_per_second"] / seed_r["events_per_second"]
        bounds = f"; bounds {five_r['bound'] / seed_r['bound']:.2f}" if five_r.get("bound") and seed_r.get("bound") else ""
        print(f"5 cuts / seed on evc-lz4, {t} thread(s): {five_over_seed[t]:.2f}{bounds}")
    pl = {w: find("polars", "parquet-lz4_raw", w, t) for w in ("count seed", "count 5 cuts", "skim seed, all cols")}
    ds = {w: find("darkscan", "evc-lz4", w, t) for w in pl}
    if all(pl.values()) and all(ds.values()):
        print(f"evc-lz4 / polars parquet-lz4_raw, {t} thread(s): " +
              ", ".join(f"{w} {ds[w]['events_per_second'] / pl[w]['events_per_second']:.2f}x" for w in pl))
selected = {}
for r in rows:
    selected.setdefault(r["work"], {}).setdefault(r["selected"], set()).add(f"{r['engine']} {r['file']}")
print()
for work, counts in selected.items():
    if len(counts) == 1:
        print(f"{work}: every engine selected {next(iter(counts)):,} events")
    else:
        print(f"{work}: ENGINES DISAGREE on the events selected: " + "; ".join(f"{c:,} by {', '.join(sorted(w))}" for c, w in counts.items()))
print("\nDS/x: best Darkscan file over the peer's best file, same work and threads; DS/bound: Darkscan on evc-lz4 over the")
print("machine's bound for that count (decode the same pages, checking checksums when the count does, + the fastest")
print("cut kernels, no engine) measured in the same run.")
json.dump({"events": n, "rows": rows, "ratios": ratios, "five_cuts_over_seed": five_over_seed,
           "selected": {w: {str(c): sorted(e) for c, e in counts.items()} for w, counts in selected.items()}}, open(out, "w"), indent=1)
print(f"\nwrote {out}")
