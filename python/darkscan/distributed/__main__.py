"""python -m darkscan.distributed KIND [options] -- FILES… (what `darkscan … --cluster` runs)."""
import sys

from ._cli import main

sys.exit(main(sys.argv[1:]))
