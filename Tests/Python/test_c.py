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
    # The C runtime, and Debian's codec, hash and remote-file (XRootD, curl) libraries: no Swift
    # runtime, no Foundation.
    allowed = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2",
               "libzstd.so.1", "liblz4.so.1", "libxxhash.so.0", "libXrdCl.so.3", "libcurl.so.4"}
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


def prototypes(text: str) -> dict:
    """name -> (return type, [parameter types]) of the darkscan_ functions a C header declares,
    in a normal form: no nullability, `struct`, parameter names or spaces; int32_t as int,
    ptrdiff_t as size_t (Swift's Int), opaque handles as void *."""
    import re
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = {}
    for m in re.finditer(r"(?:SWIFT_EXTERN\s+)?([A-Za-z_][\w\s\*]*?)\b(darkscan_\w+)\s*\(([^)]*)\)", text):
        ret, name, params = m.groups()

        def norm(t: str) -> str:
            t = re.sub(r"\b(_Nullable|_Nonnull|struct|SWIFT_EXTERN)\b", "", t)
            t = t.replace("int32_t", "int").replace("ptrdiff_t", "size_t").replace("const darkscan_dataset", "void")
            t = t.replace("darkscan_dataset", "void").replace("char const", "const char")
            t = t.replace("darkscan_query_options const", "const darkscan_query_options")
            t = t.replace("darkscan_open_options const", "const darkscan_open_options").replace("void const", "const void")
            t = re.sub(r"\s+", " ", t).strip()
            t = re.sub(r"^(.*?[\*\s])\w+$", r"\1", t) if not t.endswith("*") and " " in t else t  # drop the name
            return re.sub(r"\s*\*\s*", "*", t).strip()
        args = [] if params.strip() in ("", "void") else [norm(p) for p in params.split(",")]
        out[name] = (norm(ret), args)
    return out


def test_the_header_matches_the_functions_swift_exports():
    import glob
    (generated,) = glob.glob(os.path.join(ROOT, ".build", "*", "release", "CDarkscan.build", "include", "CDarkscan-Swift.h"))
    swift = prototypes(open(generated).read())
    header = prototypes(open(os.path.join(ROOT, "Sources", "CDarkscanABI", "include", "darkscan.h")).read())
    in_c = {"darkscan_last_error", "darkscan_last_error_kind", "darkscan_free", "darkscan_malloc",
            "darkscan_capsule_init", "darkscan_capsule_free_schema", "darkscan_capsule_free_stream"}
    assert set(swift) == set(header) - in_c
    for name, sig in swift.items():
        assert sig == header[name], f"{name}: Swift exports {sig}, darkscan.h declares {header[name]}"
