"""The C side: tools/install-c installs the library, its header and darkscan.pc; the C test and
examples/c/skim.c are compiled with cc against them and run."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, SEED, cli

PREFIX = os.path.join(ROOT, ".build", "c-prefix")


@pytest.fixture(scope="module")
def pkg_config():
    subprocess.run([os.path.join(ROOT, "tools", "install-c"), PREFIX], check=True, capture_output=True)
    env = {**os.environ, "PKG_CONFIG_PATH": os.path.join(PREFIX, "lib", "pkgconfig")}
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "darkscan"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    libdir = subprocess.run(["pkg-config", "--variable=libdir", "darkscan"], env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    return flags + [f"-Wl,-rpath,{libdir}"]


def compile_c(source: str, out: str, flags: list) -> str:
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", out, source, *flags, "-lpthread"],
                   check=True, capture_output=True, text=True)
    return out


def test_the_installed_library_needs_only_system_libraries(pkg_config):
    out = subprocess.run(["readelf", "-d", os.path.join(PREFIX, "lib", "libdarkscan.so.0")], capture_output=True, text=True).stdout
    needed = sorted(line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line)
    allowed = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2",
               "libzstd.so.1", "liblz4.so.1", "libxxhash.so.0"}
    assert set(needed) <= allowed, needed
    assert "Library soname: [libdarkscan.so.0]" in out


def test_c_abi(pkg_config, kinds, runs, scratch):
    exe = compile_c(os.path.join(ROOT, "Tests", "C", "test_abi.c"), os.path.join(scratch, "test_abi"), pkg_config)
    expected = json.loads(cli("count", runs[0], "--where", SEED, "--json").stdout)["cuts"][-1]["events"]
    r = subprocess.run([exe, kinds, runs[0], SEED, str(expected)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "all checks passed" in r.stdout


def test_c_example(pkg_config, runs, scratch):
    exe = compile_c(os.path.join(ROOT, "examples", "c", "skim.c"), os.path.join(scratch, "skim"), pkg_config)
    out = os.path.join(scratch, "c-candidates.evc")
    r = subprocess.run([exe, SEED, out, *runs], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    want = cli("count", *runs, "--where", SEED).stdout.strip()
    assert r.stdout.startswith(want)
    selected = json.loads(cli("count", *runs, "--where", SEED, "--json").stdout)["cuts"][-1]["events"]
    assert f"mean missing energy of the {selected} survivors" in r.stdout
    assert json.loads(cli("info", out, "--json").stdout)[0]["events"] == selected
    bad = subprocess.run([exe, "missing energy > 50 ns", out, *runs], capture_output=True, text=True)
    assert bad.returncode == 2 and "^" in bad.stderr


def test_the_header_declares_exactly_what_the_library_exports(pkg_config):
    import re
    header = open(os.path.join(PREFIX, "include", "darkscan.h")).read()
    declared = set(re.findall(r"^[a-z_ 0-9*]*?\b(darkscan_[a-z0-9_]+)\(", header, re.M))
    out = subprocess.run(["nm", "-D", "--defined-only", os.path.join(PREFIX, "lib", "libdarkscan.so.0")],
                         capture_output=True, text=True, check=True).stdout
    exported = {line.split()[-1].split("@")[0] for line in out.splitlines() if " T darkscan_" in line}
    assert declared == exported
