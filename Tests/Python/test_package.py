"""The package itself: a platform wheel with the library inside, its version and type hints."""
import glob
import os
import subprocess
import sys
import sysconfig
import zipfile

import darkscan
from conftest import ROOT


def test_a_platform_wheel_with_the_library_inside(scratch):
    out = os.path.join(scratch, "wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", out,
                    os.path.join(ROOT, "python")], check=True, capture_output=True)
    (wheel,) = glob.glob(os.path.join(out, "*.whl"))
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert os.path.basename(wheel) == f"darkscan-{darkscan.__version__}-py3-none-{platform}.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "darkscan/_lib/libdarkscan.so" in names and "darkscan/py.typed" in names
    assert "Root-Is-Purelib: false" in zipfile.ZipFile(wheel).read(f"darkscan-{darkscan.__version__}.dist-info/WHEEL").decode()


def test_versions():
    assert darkscan.library_version() == darkscan.__version__
    assert darkscan._native.lib.darkscan_abi_version() == darkscan._native.ABI_VERSION
