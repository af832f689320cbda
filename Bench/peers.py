"""Peer engines on the same events: DuckDB and Polars reading Parquet written by pyarrow from
Darkscan's Arrow export. Each does what `darkscan count` does — the full cut flow (events passing
cuts 1..k for every k) — and what `darkscan skim` does (all columns of the survivors, written as
Parquet). One warm-up and >= 5 timed runs per (engine, file, work, threads); each thread count
runs in its own process, since Polars fixes its pool at import.

usage: peers.py make-parquet DIR N
       peers.py make-parquet-sliced DIR N CODEC DARKSCAN   one codec, simulated and exported ~1e8 events at a time
       peers.py run DIR N THREADS RUNS OUT.json      DuckDB and Polars
       peers.py make-rntuple DIR N [DARKSCAN]        ROOT RNTuple of every column, from DIR/na64-N.arrow or the run's slices
       peers.py rdf DIR N THREADS RUNS OUT.json      ROOT RDataFrame on that RNTuple (when ROOT imports)
"""
import json
import os
import statistics
import sys
import time

SEED = ["missing_energy > 50", "veto = 0"]
FIVE = ["srd_e_sum > 1", "ecal_pre_e > 0.5", "missing_energy > 50", "hcal_e < 1", "veto = 0"]


class RowGroups:
    """Appends the record batches of Arrow files to a Parquet writer in row groups of 1M rows."""
    def __init__(self, writer):
        self.writer, self.pending, self.rows = writer, [], 0

    def add(self, reader):
        import pyarrow as pa
        for i in range(reader.num_record_batches):
            b = reader.get_batch(i)
            self.pending.append(b)
            self.rows += b.num_rows
            if self.rows >= 1 << 20:
                self.writer.write_table(pa.Table.from_batches(self.pending), row_group_size=1 << 20)
                self.pending, self.rows = [], 0

    def close(self):
        import pyarrow as pa
        if self.pending:
            self.writer.write_table(pa.Table.from_batches(self.pending), row_group_size=1 << 20)
        self.writer.close()


def make_parquet(d, n):
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq
    arrow = f"{d}/na64-{n}.arrow"
    for codec, name in (("zstd", "zstd"), ("lz4", "lz4_raw")):
        out = f"{d}/na64-{n}-{name}.parquet"
        if os.path.exists(out):
            continue
        reader = ipc.open_file(arrow)
        groups = RowGroups(pq.ParquetWriter(out + ".partial", reader.schema, compression=codec))
        groups.add(reader)
        groups.close()
        os.rename(out + ".partial", out)
        print(f"wrote {out} ({os.path.getsize(out) // 1_000_000} MB)", file=sys.stderr)


def slices(d, n, darkscan, slice_blocks=6104):
    """The run's events as Arrow, a slice at a time, without a whole copy in another format on
    disk: `darkscan simulate --first-event` makes ~1e8 events (6104 blocks of 16384: the same
    events as the whole-run EVC files), `darkscan export` turns them into Arrow, the caller reads
    the open file, and both slice files go."""
    import subprocess
    import pyarrow.ipc as ipc
    evc, arrow = f"{d}/slice.evc", f"{d}/slice.arrow"
    step = slice_blocks * 16384
    for first in range(0, n, step):
        count = min(n - first, step)
        subprocess.run([darkscan, "simulate", "--run", "4242", "--seed", "1", "--signal-rate", "1e-4", "--profile", "summary",
                        "--format", "evc", "--first-event", str(first), "--events", str(count), "-o", evc],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([darkscan, "export", evc, "--compression", "lz4", "-o", arrow], check=True, stdout=subprocess.DEVNULL)
        os.unlink(evc)
        with ipc.open_file(arrow) as reader:
            yield reader
        os.unlink(arrow)


def make_parquet_sliced(d, n, codec, darkscan):
    """DIR/na64-N-CODEC.parquet from the run's slices, appended as 1M-row groups."""
    import pyarrow.parquet as pq
    out = f"{d}/na64-{n}-{codec}.parquet"
    groups = None
    for reader in slices(d, n, darkscan):
        if groups is None:
            groups = RowGroups(pq.ParquetWriter(out + ".partial", reader.schema, compression="lz4" if codec == "lz4_raw" else codec))
        groups.add(reader)
    groups.close()
    os.rename(out + ".partial", out)
    print(f"wrote {out} ({os.path.getsize(out) // 1_000_000} MB)", file=sys.stderr)


def make_rntuple(d, n, darkscan=None):
    """DIR/na64-N.rntuple.root: every column, from DIR/na64-N.arrow or, given DARKSCAN, from the
    run's slices, streamed through one RNTupleWriter (Bench/rntuple.py); its first batch of events
    is read back with RDataFrame and compared value by value before the file counts as made."""
    import pyarrow.ipc as ipc
    from rntuple import RNTupleSink, verify
    out = f"{d}/na64-{n}.rntuple.root"
    sink, first = None, None
    readers = slices(d, n, darkscan) if darkscan else [ipc.open_file(f"{d}/na64-{n}.arrow")]
    for reader in readers:
        if sink is None:
            sink, first = RNTupleSink(out, reader.schema), reader.get_batch(0)
        sink.add(reader)
    sink.close()
    verify(sink.partial, first)
    os.rename(sink.partial, out)
    print(f"wrote {out} ({os.path.getsize(out) // 1_000_000} MB, {sink.rows} events; first {min(first.num_rows, 4096)} checked value by value)", file=sys.stderr)


def timed(runs, fn):
    fn()
    t = []
    for _ in range(runs):
        s = time.perf_counter()
        result = fn()
        t.append(time.perf_counter() - s)
    t.sort()
    return statistics.median(t), t[0], t[-1], result


def duckdb_work(path, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")

    def flow(cuts):
        exprs = ", ".join(f"count(*) FILTER (WHERE {' AND '.join(cuts[:k + 1])})" for k in range(len(cuts)))
        return lambda: con.execute(f"SELECT count(*), {exprs} FROM read_parquet('{path}')").fetchone()

    def skim():
        out = path + f".duckdb-skim-{threads}.parquet"
        con.execute(f"COPY (SELECT * FROM read_parquet('{path}') WHERE {' AND '.join(SEED)}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
        n = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
        os.unlink(out)
        return n

    return {"count seed": flow(SEED), "count 5 cuts": flow(FIVE), "skim seed, all cols": skim}


def polars_work(path, threads):
    import polars as pl
    col = pl.col

    def cond(c):
        name, op, value = c.split()
        x, v = col(name), float(value)
        return {">": x > v, "<": x < v, "=": x == v}[op]

    def flow(cuts):
        exprs = [pl.len().alias("all")]
        acc = None
        for k, c in enumerate(cuts):
            acc = cond(c) if acc is None else acc & cond(c)
            exprs.append(acc.sum().alias(f"c{k}"))
        return lambda: tuple(pl.scan_parquet(path).select(exprs).collect().row(0))

    def skim():
        out = path + f".polars-skim-{threads}.parquet"
        f = cond(SEED[0]) & cond(SEED[1])
        pl.scan_parquet(path).filter(f).sink_parquet(out, compression="zstd")
        n = pl.scan_parquet(out).select(pl.len()).collect().item()
        os.unlink(out)
        return n

    return {"count seed": flow(SEED), "count 5 cuts": flow(FIVE), "skim seed, all cols": skim}


def run(d, n, threads, runs, out):
    rows = []
    for engine, make in (("duckdb", duckdb_work), ("polars", polars_work)):
        for name in ("zstd", "lz4_raw"):
            path = f"{d}/na64-{n}-{name}.parquet"
            if not os.path.exists(path):
                continue  # runs that keep one file on disk at a time measure the codecs in turn
            for work, fn in make(path, threads).items():
                med, lo, hi, result = timed(runs, fn)
                selected = result if isinstance(result, int) else result[-1]
                rows.append({"engine": engine, "file": f"parquet-{name}", "work": work, "threads": threads,
                             "events_per_second": n / med, "min": n / hi, "max": n / lo, "selected": int(selected),
                             "bytes": os.path.getsize(path)})
                print(f"{engine:7} parquet-{name:8} {work:20} {threads}  {n / med:14.0f} ev/s  selected {selected}", file=sys.stderr)
    json.dump(rows, open(out, "w"), indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "make-parquet":
        make_parquet(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "make-parquet-sliced":
        make_parquet_sliced(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "make-rntuple":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        make_rntuple(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif sys.argv[1] == "rdf":
        pass  # handled at the end of the file, once the ROOT functions are defined
    elif sys.argv[1] == "run":
        if os.environ.get("POLARS_MAX_THREADS") != sys.argv[4]:
            os.environ["POLARS_MAX_THREADS"] = sys.argv[4]
            os.execv(sys.executable, [sys.executable] + sys.argv)
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])


# ROOT RDataFrame on the RNTuple that make_rntuple wrote (every column, zstd level 5): the cut flow
# as a chain of jitted string filters, as an analysis writes it, and the skim as a Snapshot of
# every column into an RNTuple.
def rdf_run(d, n, threads, runs, out_json):
    import ROOT
    from rntuple import declare_types
    if threads > 1:
        ROOT.EnableImplicitMT(threads)
    path = f"{d}/na64-{n}.rntuple.root"
    declare_types(path)
    cuts = {"count seed": ["missing_energy > 50", "veto == 0"],
            "count 5 cuts": ["srd_e_sum > 1", "ecal_pre_e > 0.5", "missing_energy > 50", "hcal_e < 1", "veto == 0"]}

    def flow(cs):
        def go():
            node = ROOT.RDataFrame("events", path)
            counts = []
            for c in cs:
                node = node.Filter(c)
                counts.append(node.Count())
            return [int(x.GetValue()) for x in counts]
        return go

    def skim():
        out = f"{path}.rdf-skim-{threads}.root"
        df = ROOT.RDataFrame("events", path)
        columns = [str(c) for c in df.GetColumnNames() if "." not in str(c)]
        opts = ROOT.RDF.RSnapshotOptions()
        opts.fOutputFormat = ROOT.RDF.ESnapshotOutputFormat.kRNTuple
        opts.fCompressionAlgorithm = ROOT.RCompressionSetting.EAlgorithm.kZSTD
        opts.fCompressionLevel = 5
        df.Filter(cuts["count seed"][0]).Filter(cuts["count seed"][1]).Snapshot("events", out, columns, opts)
        selected = int(ROOT.RDataFrame("events", out).Count().GetValue())
        os.unlink(out)
        return [selected]

    rows = []
    for work, fn in (("count seed", flow(cuts["count seed"])), ("count 5 cuts", flow(cuts["count 5 cuts"])), ("skim seed, all cols", skim)):
        med, lo, hi, result = timed(runs, fn)
        rows.append({"engine": "rdataframe", "file": "rntuple-zstd", "work": work, "threads": threads,
                     "events_per_second": n / med, "min": n / hi, "max": n / lo, "selected": result[-1],
                     "bytes": os.path.getsize(path)})
        print(f"rdataframe rntuple-zstd {work:20} {threads}  {n / med:14.0f} ev/s  selected {result[-1]}", file=sys.stderr)
    json.dump(rows, open(out_json, "w"), indent=1)


if __name__ == "__main__" and sys.argv[1] == "rdf":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    rdf_run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
