"""Fixtures of the Python package's tests: the darkscan command (for reference values), a
simulated NA64 dataset, the every-kind fixture, and a scratch folder.

Run by tools/test in .build/venv (`tools/setup --python` installs the package there).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
SEED = "missing energy > 50 GeV, veto == 0"
sys.path.insert(0, os.path.dirname(__file__))


def cli_path() -> str:
    for config in ("release", "debug"):
        p = os.path.join(ROOT, ".build", config, "darkscan")
        if os.path.exists(p):
            return p
    raise RuntimeError("no darkscan binary in .build: run `swift build -c release --product darkscan`")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([cli_path(), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"darkscan {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def cat_json(path: str, columns=None) -> list:
    args = ["cat", path, "--format", "json", "--limit", "100000000"]
    if columns:
        args += ["--columns", ",".join(columns)]
    return json.loads(cli(*args).stdout)


@pytest.fixture(scope="session")
def scratch():
    d = tempfile.mkdtemp(prefix="darkscan-py-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def kinds() -> str:
    """Every scalar type, arrays, lists and record lists with edge values: 300 events, 3 clusters."""
    return os.path.join(FIXTURES, "kinds.evc")


@pytest.fixture(scope="session")
def runs(scratch) -> list:
    """Three simulated NA64 runs (reconstructed level, 4000 events each, signal-enriched)."""
    paths = []
    for i, run in enumerate((4242, 4243, 4244)):
        p = os.path.join(scratch, f"run{run}.evc")
        cli("simulate", "--run", str(run), "--events", "4000", "--seed", str(i + 1), "--signal-rate", "0.02", "-o", p)
        paths.append(p)
    return paths
