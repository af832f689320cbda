"""ROOT's side of Bench/merge: the RNTuple of each EVC input (through its Arrow export and
Bench/rntuple.py, the same events and columns), and the events of a merged RNTuple.

usage: merge_peer.py make ARROW OUT.root     one Arrow file as one RNTuple (OUT.root.partial, then renamed)
       merge_peer.py count FILE.root         events of the RNTuple "events"
"""
import os
import sys


def make(arrow, out):
    import pyarrow.ipc as ipc
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from rntuple import RNTupleSink
    reader = ipc.open_file(arrow)
    sink = RNTupleSink(out, reader.schema)
    sink.add(reader)
    sink.close()
    os.rename(sink.partial, out)


def count(path):
    import ROOT
    reader = ROOT.RNTupleReader.Open("events", path)
    print(reader.GetNEntries())


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    if sys.argv[1:2] == ["make"] and len(sys.argv) == 4:
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["count"] and len(sys.argv) == 3:
        count(sys.argv[2])
    else:
        sys.exit(__doc__)
