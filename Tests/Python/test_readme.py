"""The README's Python example, run exactly as printed next to a simulated run4242.evc."""
import os
import re
import subprocess
import sys

from conftest import ROOT, cli


def readme_python_example() -> str:
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text[text.index("\n## Python\n"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example(scratch):
    d = os.path.join(scratch, "readme")
    os.makedirs(d, exist_ok=True)
    cli("simulate", "--run", "4242", "--events", "20000", "--signal-rate", "0.01", "-o", os.path.join(d, "run4242.evc"))
    r = subprocess.run([sys.executable, "-c", readme_python_example()], cwd=d, capture_output=True, text=True,
                       env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "missing energy > 50 GeV" in r.stdout and "veto == 0" in r.stdout
    assert "ecal_e" in r.stdout  # describe()
    assert os.path.getsize(os.path.join(d, "candidates.png")) > 1000
