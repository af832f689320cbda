"""Histograms from the Python package: `Dataset.count(..., hists=[...])` fills them in the same
pass as the cut flow (through the C interface's `histograms` option), `CutFlow.histograms` holds
them as UHI JSON and `CutFlow.hists` as hist.Hist objects, equal to numpy over the scanned
events and to what `darkscan count --hist` prints."""
import json

import numpy as np
import pytest

from conftest import cli

import darkscan

hist = pytest.importorskip("hist")

SEED = "missing energy > 50 GeV, veto == 0"
SPECS = ["e0 = ecal_e: 30 bins 0 GeV .. 150 GeV @0",
         "eh = ecal_e vs hcal_e: 15 bins 0 GeV .. 150 GeV, 6 bins 0 GeV .. 60 GeV",
         "w = veto: integers 0 .. 4"]


def test_hists_equal_numpy_over_the_scanned_events(runs):
    with darkscan.open(runs) as ds:
        flow = ds.count(SEED, hists=SPECS)
        h = flow.hists
        assert sorted(h) == ["e0", "eh", "w"]
        every = ds.scan(None, columns=["ecal_e"]).to_arrow().column("ecal_e").to_numpy()
        kept = ds.scan(SEED, columns=["ecal_e", "hcal_e", "veto"]).to_arrow()
    # @0: the stage before any cut, every event.
    assert np.array_equal(h["e0"].values(), np.histogram(every, bins=30, range=(0, 150))[0])
    assert h["e0"].values(flow=True).sum() == len(every)
    e, c = kept.column("ecal_e").to_numpy(), kept.column("hcal_e").to_numpy()
    want, _, _ = np.histogram2d(e, c, bins=(15, 6), range=((0, 150), (0, 60)))
    assert np.array_equal(h["eh"].values(), want)
    assert h["eh"].values(flow=True).sum() == flow.selected
    assert h["eh"].axes[0].label == "ecal_e [GeV]" and h["eh"].axes[1].name == "hcal_e"
    assert h["w"].values(flow=True).sum() == flow.selected and h["w"].values()[0] == flow.selected  # veto == 0 kept
    assert vars(h["eh"])["darkscan.query"] == SEED and vars(h["eh"])["darkscan.events"] == flow.total


def test_the_same_histograms_as_the_command(runs):
    args = [a for s in SPECS for a in ("--hist", s)]
    printed = json.loads(cli("count", *runs, "--where", SEED, *args, "--json").stdout)["histograms"]
    with darkscan.open(runs) as ds:
        got = ds.count(SEED, hists=SPECS).histograms
    assert sorted(got) == sorted(printed)
    for name in got:
        assert got[name]["storage"]["values"] == printed[name]["storage"]["values"], name
        assert got[name]["axes"] == printed[name]["axes"], name


def test_weighted_histograms(runs):
    with darkscan.open(runs) as ds:
        flow = ds.count(SEED, weight="2", hists=["ecal_e: 10 bins 0 GeV .. 150 GeV"])
    h = flow.hists["ecal_e"]
    assert h.storage_type == hist.storage.Weight
    assert h.values(flow=True).sum() == pytest.approx(2 * flow.selected)
    assert h.variances(flow=True).sum() == pytest.approx(4 * flow.selected)


def test_a_skim_returns_and_keeps_its_histograms(runs, scratch):
    out = f"{scratch}/skim-hists.evc"
    with darkscan.open(runs) as ds:
        flow = ds.skim(SEED, out, hists=["ecal_e: 30 bins 0 GeV .. 150 GeV"])
    assert flow.hists["ecal_e"].values(flow=True).sum() == flow.selected
    assert "darkscan plot" in cli("skim", out, "--where", "veto == 0", "--hist", "ecal_e: 3 bins 0 GeV .. 150 GeV",
                                  "-o", f"{scratch}/again.evc").stderr


def test_no_hists_no_histograms(runs):
    with darkscan.open(runs) as ds:
        flow = ds.count(SEED)
    assert flow.histograms == {} and flow.hists == {}


@pytest.mark.parametrize("spec, message", [
    ("ecal_e: 0 bins 0 GeV .. 150 GeV", "at least one bin"),
    ("nothing: 10 bins 0 .. 1", "unknown name"),
    ("ecal_e: 10 bins 0 ns .. 150 ns", "cannot bin"),
    ("ecal_e: 10 bins 5 GeV .. 1 GeV", "lower"),
])
def test_a_bad_spec_raises_query_error_with_the_caret(runs, spec, message):
    with darkscan.open(runs) as ds:
        with pytest.raises(darkscan.QueryError) as e:
            ds.count(SEED, hists=[spec])
    assert message in str(e.value) and "^" in str(e.value)
    with darkscan.open(runs) as ds:
        with pytest.raises(TypeError):
            ds.count(SEED, hists=[3])
