"""Threads, signals, leaks and Ctrl-C: the library inside a Python process."""
import concurrent.futures
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pyarrow as pa
import pytest

import darkscan
from conftest import ROOT, SEED

PY = sys.executable


def test_duckdb_reads_the_stream_on_its_worker_threads(runs):
    with darkscan.open(runs) as ds:
        want = ds.count(SEED).selected
        s = ds.scan(SEED, columns=["event", "ecal_e", "hcal_e"], batch_events=16)
        con = duckdb.connect()
        con.execute("set threads = 4")
        n, mean = con.sql("select count(*), avg(ecal_e) from s where hcal_e > -100").fetchall()[0]
        assert n == want
        ref = pa.table(s).column("ecal_e").to_pylist()
        assert mean == pytest.approx(sum(ref) / len(ref))
        # Joined with itself: two streams of the same scan at once.
        (m,) = con.sql("select count(*) from s a join s b using (event)").fetchall()[0]
        assert m >= want


def test_sixteen_python_threads_scan_one_dataset(runs):
    with darkscan.open(runs, threads=2) as ds:
        want = pa.table(ds.scan(SEED, columns=["event", "ecal_e", "mm_hits"]))

        def work(i):
            t = pa.table(ds.scan(SEED, columns=["event", "ecal_e", "mm_hits"], batch_events=1 + i * 3))
            c = ds.count(SEED)
            return t.combine_chunks().equals(want.combine_chunks()) and c.selected == want.num_rows

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            assert all(pool.map(work, range(32)))


def signal_handlers_script(with_darkscan: bool) -> str:
    """A script printing the C-level handler of every signal, optionally after using darkscan."""
    return textwrap.dedent(f"""
        import ctypes, sys
        libc = ctypes.CDLL(None)
        def handlers():
            out = []
            for sig in range(1, 32):
                buf = ctypes.create_string_buffer(256)
                libc.sigaction(sig, None, buf)
                out.append(int.from_bytes(buf.raw[:8], "little"))
            return out
        before = handlers()
        if {with_darkscan}:
            import darkscan, pyarrow as pa
            ds = darkscan.open(sys.argv[1])
            pa.table(ds.scan("ecal_e > 0 GeV", columns=["ecal_e"]))
            ds.count("ecal_e > 0 GeV")
        print(before == handlers())
    """)


def test_loading_the_library_leaves_signal_handling_alone(runs):
    r = subprocess.run([PY, "-c", signal_handlers_script(True), runs[0]], capture_output=True, text=True, env={**os.environ})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
    # A fault in unrelated code after loading still dies of the signal, with no Swift report.
    crash = "import darkscan, ctypes; darkscan.open(__import__('sys').argv[1]); ctypes.string_at(0)"
    r = subprocess.run([PY, "-c", crash, runs[0]], capture_output=True, text=True)
    assert r.returncode == -signal.SIGSEGV
    assert "Swift" not in r.stderr and "Crash" not in r.stderr


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_no_leak_over_a_thousand_open_scan_close_cycles(runs, kinds):
    def cycle():
        ds = darkscan.open(kinds)
        t = pa.table(ds.scan("s_int32 >= 0", columns=["s_float64", "cells", "hits"]))
        assert t.num_rows > 0
        ds.count("s_int32 >= 0")
        for bad in (lambda: ds.scan(columns=["nope"]), lambda: ds.scan("s_int32 > 1 GeV"), lambda: ds.count("x")):
            with pytest.raises(darkscan.DarkscanError):
                bad()
        ds.close()

    for _ in range(100):
        cycle()
    start = rss_mb()
    for _ in range(1000):
        cycle()
    grown = rss_mb() - start
    assert grown < 8, f"RSS grew by {grown:.1f} MB over 1000 cycles"
    assert darkscan._native.lib.darkscan_live_batches() == 0


def test_ctrl_c_between_batches_stops_the_scan(runs):
    script = textwrap.dedent("""
        import sys, time, darkscan
        ds = darkscan.open(sys.argv[1:] * 20)
        n = 0
        try:
            for batch in ds.scan(columns=["ecal_e", "ecal_cells"], batch_events=500):
                n += 1
                if n == 1:
                    print("first batch", flush=True)
                time.sleep(0.05)
        except KeyboardInterrupt:
            print("interrupted after", n, "batches", flush=True)
            sys.exit(3)
        print("finished", n)
    """)
    p = subprocess.Popen([PY, "-c", script, *runs], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "first batch"
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 3, out
    assert "interrupted after" in out
    assert int(out.split()[2]) < 480  # 240,000 events in 500-event batches: stopped early
    assert time.monotonic() - start < 10


def anon_mb() -> float:
    """Anonymous resident memory (the heap; not the mapped files, whose pages RSS also counts)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1e3
    raise AssertionError("no RssAnon in /proc/self/status")


def test_memory_stays_bounded_while_the_consumer_is_slow(runs):
    """240,000 events of every column (~300 MB decoded) read batch by batch, with and without a
    query: the heap grows by a few batches, not by the dataset."""
    with darkscan.open(runs * 20) as ds:
        for where in (None, "ecal_e > -1 GeV"):
            start, peak, n = anon_mb(), 0.0, 0
            for batch in ds.scan(where, batch_events=2000):
                n += batch.num_rows
                peak = max(peak, anon_mb() - start)
            assert n == (ds.count(where).selected if where else ds.events)
            assert peak < 100, f"the heap grew by {peak:.0f} MB reading {where!r}"
