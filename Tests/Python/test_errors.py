"""Errors reach Python as exceptions with the library's message; bad input of every kind is a
clear error, never a crash."""
import ctypes
import errno
import os
import shutil

import duckdb
import polars as pl
import pyarrow as pa
import pytest

import darkscan
from conftest import SEED


@pytest.fixture(scope="module")
def damaged(runs, scratch):
    """Two good runs, then one with a byte flipped in the middle of its pages."""
    bad = os.path.join(scratch, "damaged.evc")
    shutil.copyfile(runs[2], bad)
    with open(bad, "r+b") as f:
        f.seek(os.path.getsize(bad) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x10]))
    return [runs[0], runs[1], bad]


def test_a_bad_query_raises_query_error_with_the_caret(runs):
    with darkscan.open(runs) as ds:
        with pytest.raises(darkscan.QueryError) as e:
            ds.count("missing energy > 50 ns, veto == 0")
        assert "^" in str(e.value) and "missing energy > 50 ns" in str(e.value)
        assert isinstance(e.value, ValueError)
        with pytest.raises(darkscan.QueryError) as e:
            ds.scan("ecal_energy > 3 GeV")
        assert e.value.reason == "unknown-name" and "ecal_energy" in str(e.value)
        with pytest.raises(darkscan.QueryError):
            ds.count("ecal_e > 1 GeV", weight="track_chi2 +")


def test_a_missing_file_raises_file_error(scratch):
    path = os.path.join(scratch, "no-such-run.evc")
    with pytest.raises(darkscan.FileError) as e:
        darkscan.open(path)
    assert e.value.errno == errno.ENOENT and path in str(e.value)
    assert isinstance(e.value, OSError)
    with pytest.raises(darkscan.FileError, match="matches no files"):
        darkscan.open(os.path.join(scratch, "nothing-*.evc"))


def test_a_file_that_is_not_evc(scratch):
    path = os.path.join(scratch, "not.evc")
    with open(path, "wb") as f:
        f.write(b"PAR1" + bytes(100))
    with pytest.raises(darkscan.FileError) as e:
        darkscan.open(path)
    assert path in str(e.value)


def test_a_damaged_page_mid_stream_reaches_every_consumer(damaged):
    with darkscan.open(damaged) as ds:
        s = ds.scan()
        with pytest.raises(OSError, match="checksum"):
            pa.table(s)
        with pytest.raises(darkscan.FileError, match="damaged.evc"):
            s.to_arrow()
        seen = []
        with pytest.raises(darkscan.FileError, match="checksum"):
            for batch in s:
                seen.append(batch.num_rows)
        assert sum(seen) == 8000  # the good files' events came first
        with pytest.raises(pl.exceptions.ComputeError, match="checksum"):
            pl.DataFrame(s)
        with pytest.raises(duckdb.Error, match="checksum"):
            duckdb.sql("select count(*) from s").fetchall()
    # Without checksums the same flip goes unnoticed or fails decoding: never a crash.
    with darkscan.open(damaged, verify_checksums=False) as ds:
        try:
            pa.table(ds.scan())
        except OSError:
            pass


def test_wrong_argument_types(runs):
    with pytest.raises(TypeError):
        darkscan.open(42)
    with pytest.raises(TypeError):
        darkscan.open(b"run.evc")
    with pytest.raises(darkscan.ArgumentError):
        darkscan.open([])
    with darkscan.open(runs[0]) as ds:
        with pytest.raises(TypeError):
            ds.count(5)
        with pytest.raises(TypeError):
            ds.count(SEED, weight=1.0)
        with pytest.raises(TypeError):
            ds.scan(columns=["ecal_e", 3])
        with pytest.raises(TypeError):
            ds.scan(batch_events="many")
        with pytest.raises(darkscan.ArgumentError):
            ds.scan(batch_events=0)
        with pytest.raises(darkscan.ArgumentError, match="no field 'ecal_energy'"):
            ds.scan(columns=["ecal_energy"])
        with pytest.raises(darkscan.ArgumentError, match="named twice"):
            ds.scan(columns=["ecal_e", "ecal_e"])
        with pytest.raises(TypeError):
            ds.scan().to_numpy(1)
        with pytest.raises(darkscan.ArgumentError, match="list"):
            ds.scan().to_numpy("mm_hits")
        with pytest.raises(darkscan.ArgumentError):
            ds.skim(SEED, "/nonexistent-dir/out.evc", codec="brotli")
        with pytest.raises(darkscan.DarkscanError):
            ds.skim(SEED, "/nonexistent-dir/out.evc")


def test_closed_datasets(runs):
    ds = darkscan.open(runs[0])
    s = ds.scan(SEED, columns=["ecal_e"])
    reader = pa.RecordBatchReader.from_stream(s)
    ds.close()
    ds.close()
    assert ds.closed and "closed" in repr(ds)
    for call in (lambda: ds.events, lambda: ds.count(SEED), lambda: ds.scan(), lambda: ds.schema,
                 lambda: ds.metadata, lambda: pa.table(s), lambda: ds.skim(SEED, "x.evc")):
        with pytest.raises(darkscan.ArgumentError, match="closed"):
            call()
    # A stream taken before the close goes on.
    assert reader.read_all().num_rows > 0


def test_streams_consumed_twice(runs):
    with darkscan.open(runs[0]) as ds:
        s = ds.scan(SEED, columns=["event"])
        assert pa.table(s).equals(pa.table(s))  # the scan runs again
        capsule = s.__arrow_c_stream__()
        reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
        with pytest.raises(Exception, match="released|consumed"):
            pa.RecordBatchReader._import_from_c_capsule(capsule)
        first = reader.read_all()
        again = reader.read_all()
        assert first.num_rows > 0 and again.num_rows == 0
        # A capsule nobody reads is freed with its stream.
        del capsule, reader
        s.__arrow_c_stream__()
        s.__arrow_c_schema__()


def test_null_pointers_to_the_c_abi(runs):
    lib = darkscan._native.lib
    N = darkscan._native
    err = N.Error()
    assert lib.darkscan_count(None, None, None, None, ctypes.byref(err)) == errno.EINVAL
    assert err.kind == N.KIND_ARGUMENT and b"NULL" in err.message
    assert lib.darkscan_open(None, 0, None, None, None) == errno.EINVAL
    assert b"NULL" in lib.darkscan_last_error() or b"no paths" in lib.darkscan_last_error()
    assert lib.darkscan_scan(None, None, None, 0, None, None, None) == errno.EINVAL
    assert lib.darkscan_schema(None, None, 0, None, None) == errno.EINVAL
    assert lib.darkscan_event_count(ctypes.c_void_p(12345), None, ctypes.byref(err)) == errno.EINVAL
    assert b"closed or was never opened" in err.message
    lib.darkscan_close(None)
    lib.darkscan_cut_flow_free(None)
    h = ctypes.c_void_p()
    assert lib.darkscan_open((ctypes.c_char_p * 1)(runs[0].encode()), 1, None, ctypes.byref(h), None) == 0
    null_column = (ctypes.c_char_p * 2)(b"ecal_e", None)
    assert lib.darkscan_check(h, None, null_column, 2, None, ctypes.byref(err)) == errno.EINVAL
    assert b"columns[1] is NULL" in err.message
    opts = N.QueryOptions()
    opts.struct_size = 3
    assert lib.darkscan_count(h, SEED.encode(), ctypes.byref(opts), None, ctypes.byref(err)) == errno.EINVAL
    lib.darkscan_close(ctypes.byref(h))
    assert h.value is None
    lib.darkscan_close(ctypes.byref(h))


def test_mangled_queries_never_crash_the_process(runs):
    """Queries mutated at random (fixed seeds), run in a child process: each either counts or
    raises a darkscan error; the process must end normally."""
    script = r'''
import random, sys, darkscan
ds = darkscan.open(sys.argv[1])
seeds = ["missing energy > 50 GeV, veto == 0", "box: ecal_e < 50 GeV, hcal_e < 1 GeV, veto == 0",
         "sum(ecal_cells[1]) > 3 GeV", "len(mm_hits) > 2, any(mm_hits.amplitude > 100)",
         "ecal_cells[0][2][3] > 0.1 GeV", "abs(ecal_x) < 20 mm, track_p > 90 GeV/c"]
pieces = list("abcdefghijklmnopqrstuvwxyz_[](){}.,:<>=!&|+-*/%^~ 0123456789\"'\\\n\t") + \
    ["GeV", "MeV", "ns", "mm", "ecal_cells", "mm_hits", "..", "in", "sum(", "len(", "\u00e9", "1e308", "-"]
for seed in range(3):
    rng = random.Random(seed)
    for _ in range(400):
        q = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            pos = rng.randint(0, len(q))
            r = rng.random()
            if r < 0.4 and q:
                del q[min(pos, len(q) - 1)]
            elif r < 0.8:
                q.insert(pos, rng.choice(pieces))
            else:
                q = q[:pos] + q[pos:][::-1]
        try:
            ds.count("".join(q))
        except darkscan.DarkscanError:
            pass
print("done")
'''
    import subprocess, sys
    r = subprocess.run([sys.executable, "-c", script, runs[0]], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr[-2000:]


def test_a_nul_inside_a_string_is_an_error_not_a_shorter_string(runs):
    with pytest.raises(darkscan.ArgumentError, match="NUL"):
        darkscan.open(runs[0] + "\0.bak")
    with darkscan.open(runs[0]) as ds:
        with pytest.raises(darkscan.ArgumentError, match="NUL"):
            ds.count("veto == 0\0, ecal_e > 1000 GeV")
