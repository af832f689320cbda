"""Puts the native library into the wheel and tags the wheel for this platform.

The library is the DarkscanC product of the Swift package one folder up: $DARKSCAN_LIBRARY_SOURCE
when set, else the newer of ../.build/release/libDarkscanC.so and ../.build/debug/libDarkscanC.so
(`swift build -c release --product DarkscanC` makes the first). It is copied, stripped, to
darkscan/_lib/libdarkscan.so.
"""
import os
import shutil
import subprocess
import sysconfig

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class NativeLibraryHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        dst = os.path.join(self.root, "darkscan", "_lib", "libdarkscan.so")
        src = os.environ.get("DARKSCAN_LIBRARY_SOURCE")
        if not src:
            built = [os.path.join(self.root, "..", ".build", c, "libDarkscanC.so") for c in ("release", "debug")]
            built = [p for p in built if os.path.exists(p)]
            src = max(built, key=os.path.getmtime) if built else None
        if src:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst + ".partial")
            if shutil.which("strip"):
                subprocess.run(["strip", "--strip-unneeded", dst + ".partial"], check=True)
            os.replace(dst + ".partial", dst)
        elif not os.path.exists(dst):
            raise RuntimeError("darkscan: no native library to package; run "
                               "`swift build -c release --product DarkscanC` in the repository first")
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"py3-none-{platform}"
