"""Darkscan from Python (the darkscan package over libdarkscan) on the seed query, side by side
with the darkscan command and with the Python peers reading the same events.

  1. pa.table(ds.scan(SEED, columns=C)) and polars.DataFrame(...) against `darkscan skim --where
     SEED --select C` (events read per second; target >= 90% of the command's rate);
  2. ds.count(SEED) from Python against `darkscan count --json`'s in-process time (target: less
     than 1 ms more);
  3. the same selection by polars.scan_parquet(...).filter(...).collect() and by uproot.iterate
     with the same cut on a Parquet file and a ROOT TTree holding the same events' columns
     (target: Darkscan >= 3x both). uproot reads the four columns and applies the cut as a
     numpy mask per chunk (its own cut= argument returned unfiltered arrays in uproot 5.7.7 here).

C = ecal_e, hcal_e, missing_energy; SEED = missing energy > 50 GeV, veto == 0.

usage: python Bench/python_bench.py [--events N] [--runs R] [--profile summary|full] [--dir DIR] [--out OUT.json]
Run through Bench/run-python, which builds and installs what it needs first.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SEED = "missing energy > 50 GeV, veto == 0"
COLUMNS = ["ecal_e", "hcal_e", "missing_energy"]
CLI = os.path.join(ROOT, ".build", "release", "darkscan")


def interleaved(fns, runs):
    """One warm-up of each, then `runs` rounds calling each once in turn, so that a change in
    the machine's load falls on all alike. {name: (median seconds, last result)}."""
    results = {name: fn() for name, fn in fns.items()}
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (statistics.median(times[name]), results[name]) for name in fns}


def cli_json(*args):
    r = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def make_data(d, n, profile):
    """The EVC run (simulated), and Parquet and ROOT files of the columns the query needs."""
    os.makedirs(d, exist_ok=True)
    evc = os.path.join(d, f"na64-{n}-{profile}.evc")
    if not os.path.exists(evc):
        subprocess.run([CLI, "simulate", "--run", "4242", "--events", str(n), "--seed", "1", "--signal-rate", "1e-4",
                        "--profile", profile, "-o", evc], check=True)
    import darkscan
    import pyarrow.parquet as pq
    cols = COLUMNS + ["veto"]
    parquet = os.path.join(d, f"na64-{n}-{profile}-cut-columns.parquet")
    if not os.path.exists(parquet):
        with darkscan.open(evc) as ds:
            reader = ds.scan(columns=cols, batch_events=1 << 20).reader()
            with pq.ParquetWriter(parquet + ".partial", reader.schema, compression="zstd") as w:
                for b in reader:
                    w.write_batch(b, row_group_size=1 << 20)
        os.rename(parquet + ".partial", parquet)
    rootfile = os.path.join(d, f"na64-{n}-{profile}-cut-columns.root")
    if not os.path.exists(rootfile):
        import uproot
        with darkscan.open(evc) as ds, uproot.recreate(rootfile + ".partial") as f:
            first = True
            for b in ds.scan(columns=cols, batch_events=1 << 20):
                arrays = {c: b.column(c).to_numpy() for c in cols}
                if first:
                    f["events"] = arrays
                    first = False
                else:
                    f["events"].extend(arrays)
        os.rename(rootfile + ".partial", rootfile)
    return evc, parquet, rootfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=float, default=1e7)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", choices=["summary", "full"], default="summary")
    ap.add_argument("--dir", default=os.path.join(ROOT, ".build", "bench-python"))
    ap.add_argument("--out")
    a = ap.parse_args()
    n, runs = int(a.events), a.runs
    evc, parquet, rootfile = make_data(a.dir, n, a.profile)

    import darkscan
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import uproot

    res = {"events": n, "profile": a.profile, "runs": runs, "cores": os.cpu_count(), "host": platform.node(),
           "python": platform.python_version(), "darkscan": darkscan.library_version(), "pyarrow": pa.__version__,
           "polars": pl.__version__, "uproot": uproot.__version__, "numpy": np.__version__}

    # Every measurement in one interleaved loop: the command's skim and count (their own
    # in-process times), the scans into pyarrow and polars, counting from Python, the peers.
    out = os.path.join(a.dir, "skim-out.evc")
    ds = darkscan.open(evc)
    cut = (pl.col("missing_energy") > 50) & (pl.col("veto") == 0)

    def up():
        # uproot 5.7.7's cut= returned every entry here (tried on this file with several cuts), so
        # the cut is the same mask applied to each chunk, which is what cut= does inside uproot.
        parts = []
        for b in uproot.iterate(f"{rootfile}:events", COLUMNS + ["veto"], library="np", step_size="100 MB"):
            mask = (b["missing_energy"] > 50) & (b["veto"] == 0)
            parts.append({c: b[c][mask] for c in COLUMNS})
        return {c: np.concatenate([p[c] for p in parts]) for c in COLUMNS}

    counts = []  # (wall seconds, the library's own seconds) of each count from Python

    def count_once():
        t = time.perf_counter()
        f = ds.count(SEED)
        counts.append((time.perf_counter() - t, f.seconds))
        return f

    cli_seconds = {"skim": [], "count": []}

    def cli_timed(what, *args):
        r = cli_json(what, evc, "--where", SEED, *args)
        cli_seconds[what].append(r["seconds"])
        return r

    m = interleaved({
        "cli_skim": lambda: cli_timed("skim", "--select", ",".join(COLUMNS), "-o", out),
        "cli_count": lambda: cli_timed("count"),
        "pyarrow": lambda: pa.table(ds.scan(SEED, columns=COLUMNS)),
        "polars": lambda: pl.DataFrame(ds.scan(SEED, columns=COLUMNS)),
        "count": count_once,
        "polars_parquet": lambda: pl.scan_parquet(parquet).filter(cut).select(COLUMNS).collect(),
        "uproot": up,
    }, runs)
    # The command's own in-process times, as it reported them in the same rounds.
    cli_skim = statistics.median(cli_seconds["skim"])
    cli_count = statistics.median(cli_seconds["count"])
    t_pa, table = m["pyarrow"]
    t_pl, frame = m["polars"]
    t_count, flow = m["count"]
    t_pq, pq_frame = m["polars_parquet"]
    t_up, up_arrays = m["uproot"]
    selected = m["cli_skim"][1]["events_written"]
    inner = statistics.median([c[1] for c in counts])
    overhead = statistics.median([c[0] - c[1] for c in counts])
    assert table.num_rows == frame.height == flow.selected == selected, (table.num_rows, frame.height, selected)
    assert pq_frame.height == len(up_arrays["ecal_e"]) == selected, (pq_frame.height, len(up_arrays["ecal_e"]), selected)
    assert np.array_equal(pq_frame["ecal_e"].to_numpy(), table.column("ecal_e").to_numpy())
    res["scan"] = {"selected": selected, "cli_skim_seconds": cli_skim, "cli_skim_wall_seconds": m["cli_skim"][0],
                   "pyarrow_seconds": t_pa, "polars_seconds": t_pl,
                   "pyarrow_vs_cli": cli_skim / t_pa, "polars_vs_cli": cli_skim / t_pl}
    res["count"] = {"cli_seconds": cli_count, "python_seconds": t_count, "library_seconds_inside_python": inner,
                    "python_minus_cli_ms": (t_count - cli_count) * 1e3, "python_minus_library_ms": overhead * 1e3}
    res["peers"] = {"darkscan_polars_seconds": t_pl, "polars_scan_parquet_seconds": t_pq, "uproot_iterate_seconds": t_up,
                    "vs_polars_parquet": t_pq / t_pl, "vs_uproot": t_up / t_pl,
                    "pyarrow_vs_polars_parquet": t_pq / t_pa, "pyarrow_vs_uproot": t_up / t_pa,
                    "evc_bytes": os.path.getsize(evc), "parquet_bytes": os.path.getsize(parquet), "root_bytes": os.path.getsize(rootfile)}
    ds.close()

    s, c, p = res["scan"], res["count"], res["peers"]
    rate = lambda t: f"{n / t / 1e6:8.1f} M events/s"
    print(f"Darkscan from Python, {n:,} events ({a.profile} profile), seed query selects {selected:,}; median of {runs} runs, {os.cpu_count()} cores")
    print(f"  darkscan skim --select {','.join(COLUMNS)} (in-process) {cli_skim * 1e3:9.1f} ms {rate(cli_skim)}")
    print(f"  pa.table(ds.scan(SEED, columns))                  {t_pa * 1e3:9.1f} ms {rate(t_pa)}  {s['pyarrow_vs_cli'] * 100:5.0f}% of the command (target >= 90%)")
    print(f"  pl.DataFrame(ds.scan(SEED, columns))              {t_pl * 1e3:9.1f} ms {rate(t_pl)}  {s['polars_vs_cli'] * 100:5.0f}% of the command")
    print(f"  darkscan count (in-process)                       {cli_count * 1e3:9.3f} ms")
    print(f"  ds.count(SEED) from Python                        {t_count * 1e3:9.3f} ms  {c['python_minus_cli_ms']:+.3f} ms over the command (target < 1 ms),"
          f" {c['python_minus_library_ms']:+.3f} ms over the library's own time in the same calls")
    print(f"  polars.scan_parquet(...).filter(...).collect()    {t_pq * 1e3:9.1f} ms {rate(t_pq)}  Darkscan {p['pyarrow_vs_polars_parquet']:.1f}x into pyarrow, {p['vs_polars_parquet']:.1f}x into polars (target >= 3x)")
    print(f"  uproot.iterate, the cut as a numpy mask           {t_up * 1e3:9.1f} ms {rate(t_up)}  Darkscan {p['pyarrow_vs_uproot']:.1f}x / {p['vs_uproot']:.1f}x (target >= 3x)")
    out_json = a.out or os.path.join(ROOT, ".build", f"bench-python-{n}.json")
    with open(out_json, "w") as f:
        json.dump(res, f, indent=2)
    print(f"results: {out_json}")


if __name__ == "__main__":
    main()
