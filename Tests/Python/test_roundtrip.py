"""Every column type and shape through the Arrow stream into pyarrow, polars, duckdb and awkward,
equal to `darkscan cat` value for value; zero copy; counts equal to the CLI's."""
import json
import os

import awkward as ak
import duckdb
import polars as pl
import pyarrow as pa
import pytest

import darkscan
from check_arrow import same
from conftest import SEED, cat_json, cli

NA64_COLUMNS = ["event", "ecal_e", "hcal_e", "veto", "ecal_cells", "veto_e", "mm_hits"]


def assert_rows_equal(got: list, want: list, who: str) -> None:
    assert len(got) == len(want), f"{who}: {len(got)} rows, darkscan cat {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        for key in w:
            assert key in g, f"{who}: row {i}: no column {key}"
            assert same(g[key], w[key]), f"{who}: row {i} {key}: {g[key]!r} != {w[key]!r}"


def lists(v):
    """DuckDB gives fixed-size arrays as tuples; the reference has lists."""
    if isinstance(v, (tuple, list)):
        return [lists(x) for x in v]
    if isinstance(v, dict):
        return {k: lists(x) for k, x in v.items()}
    return v


def duckdb_rows(s) -> list:
    rel = duckdb.sql("select * from s")
    return [dict(zip(rel.columns, lists(list(row)))) for row in rel.fetchall()]


def every_consumer(s) -> dict:
    return {
        "pyarrow": pa.table(s).to_pylist(),
        "polars": pl.DataFrame(s).to_dicts(),
        "duckdb": duckdb_rows(s),
        "awkward": ak.to_list(s.to_awkward()),
    }


@pytest.mark.parametrize("batch_events", [65536, 7])
def test_every_kind_round_trips(kinds, batch_events):
    want = cat_json(kinds)
    with darkscan.open(kinds) as ds:
        s = ds.scan(batch_events=batch_events)
        for who, rows in every_consumer(s).items():
            assert_rows_equal(rows, want, who)
        t = pa.table(s)
        if batch_events == 7:
            assert all(b.num_rows <= 7 for b in t.to_batches())
        assert t.schema.field("cells").type == pa.list_(pa.list_(pa.field("item", pa.float32(), nullable=False), 3), 2) or \
            pa.types.is_fixed_size_list(t.schema.field("cells").type)
        assert pa.types.is_list(t.schema.field("hits").type)
        assert pa.types.is_struct(t.schema.field("hits").type.value_type)
        assert t.schema.field("cells").metadata[b"unit"] == b"MeV"
        assert t.schema.field("cells").metadata[b"description"] == b"cells"


def test_selected_columns_in_the_order_asked(kinds, scratch):
    query = "s_int32 >= 0, s_uint8 < 4"
    cols = ["hits", "s_float64", "flags", "times", "s_bool"]
    out = os.path.join(scratch, "kinds-skim.evc")
    cli("skim", kinds, "--where", query, "--select", ",".join(cols), "-o", out)
    want = cat_json(out)
    with darkscan.open(kinds) as ds:
        s = ds.scan(query, columns=cols, batch_events=5)
        assert s.schema.names == cols
        for who, rows in every_consumer(s).items():
            assert_rows_equal(rows, want, who)


def test_na64_candidates_equal_the_cli_skim(runs, scratch):
    out = os.path.join(scratch, "candidates.evc")
    cli("skim", *runs, "--where", SEED, "--select", ",".join(NA64_COLUMNS), "-o", out)
    want = cat_json(out)
    assert len(want) > 10
    with darkscan.open(runs) as ds:
        s = ds.scan(SEED, columns=NA64_COLUMNS)
        for who, rows in every_consumer(s).items():
            assert_rows_equal(rows, want, who)
        assert ds.scan(SEED, columns=["ecal_cells"]).to_numpy("ecal_cells").shape == (len(want), 2, 6, 6)
        ecal = ds.scan(SEED).to_numpy("ecal_e")
        assert [float(x) for x in ecal] == pytest.approx([r["ecal_e"] for r in want])


def test_every_event_without_a_query(runs):
    want = cat_json(runs[0], ["event", "ecal_e", "mm_hits"])
    with darkscan.open(runs[0]) as ds:
        assert_rows_equal(ds.scan(columns=["event", "ecal_e", "mm_hits"]).to_arrow().to_pylist(), want, "pyarrow")
        assert ds.to_arrow(["event"]).num_rows == ds.events == 4000


@pytest.mark.parametrize("query,weight,n_minus_1", [
    (SEED, None, False),
    ("box: ecal_e < 50 GeV, hcal_e < 1 GeV, veto == 0", None, True),
    ("missing energy > 20 GeV, ecal_pre_e > 0.5 GeV", "1 / track_chi2", False),
])
def test_counts_equal_the_cli(runs, query, weight, n_minus_1):
    args = ["count", *runs, "--where", query, "--json"] + (["--weight", weight] if weight else []) + (["--n-minus-1"] if n_minus_1 else [])
    want = json.loads(cli(*args).stdout)
    with darkscan.open(runs) as ds:
        flow = ds.count(query, weight=weight, n_minus_1=n_minus_1)
    got = flow.to_dict()
    assert got["total"] == want["total"] == 12000
    for g, w in zip(got["cuts"], want["cuts"]):
        assert g["name"] == w["name"] and g["events"] == w["events"]
        assert g.get("n_minus_1") == w.get("n_minus_1")
        assert g.get("sum_w", 0) == pytest.approx(w.get("sum_w", 0))
    assert [c.events for c in flow.cuts] == [c["events"] for c in want["cuts"]]
    assert flow.selected == want["cuts"][-1]["events"]
    table = cli("count", *runs, "--where", query, *(["--n-minus-1"] if n_minus_1 else []), *(["--weight", weight] if weight else [])).stdout
    assert str(flow).strip() == table.strip()
    df = flow.to_pandas()
    assert list(df["events"]) == [want["total"]] + [c["events"] for c in want["cuts"]]


def test_skim_writes_what_the_cli_writes(runs, scratch):
    mine, theirs = os.path.join(scratch, "py-skim.evc"), os.path.join(scratch, "cli-skim.evc")
    with darkscan.open(runs) as ds:
        flow = ds.skim(SEED, mine, columns=["event", "ecal_e", "mm_hits"])
    cli("skim", *runs, "--where", SEED, "--select", "event,ecal_e,mm_hits", "-o", theirs)
    assert cat_json(mine) == cat_json(theirs)
    with darkscan.open(mine) as out:
        assert out.events == flow.selected
        meta = out.metadata["files"][0]["metadata"]
        assert meta["query"] == SEED and "veto == 0" in meta["cut_flow"]


def check_zero_copy(ds) -> None:
    lib = darkscan._native.lib
    df = pl.DataFrame(ds.scan(columns=["ecal_e", "event", "ecal_cells"]))
    assert df["ecal_e"].n_chunks() == 1 and lib.darkscan_live_batches() >= 1
    for name in ("ecal_e", "event"):
        # polars hands its own buffers to pyarrow without a copy: their addresses are polars'.
        address = df[name].to_arrow().buffers()[1].address
        assert lib.darkscan_owns_address(address) == 1, f"polars copied {name}"
    cells = df["ecal_cells"].to_arrow()
    while pa.types.is_fixed_size_list(cells.type):
        cells = cells.values
    assert lib.darkscan_owns_address(cells.buffers()[1].address) == 1
    table = pa.table(ds.scan(SEED, columns=["ecal_e"]))
    assert lib.darkscan_owns_address(table.column("ecal_e").chunks[0].buffers()[1].address) == 1


def test_zero_copy_into_polars(runs):
    with darkscan.open(runs[0]) as ds:
        check_zero_copy(ds)
    import gc
    gc.collect()
    assert darkscan._native.lib.darkscan_live_batches() == 0


def test_schema_units_and_metadata(runs):
    with darkscan.open(runs) as ds:
        schema = ds.schema
        assert schema.field("missing_energy").metadata[b"unit"] == b"GeV"
        assert schema.field("ecal_cells").type.list_size == 2
        assert not schema.field("ecal_e").nullable
        assert schema.metadata[b"run"] == b"4242,4243,4244"
        meta = ds.metadata
        assert meta["events"] == ds.events == len(ds) == 12000
        assert [f["path"] for f in meta["files"]] == runs
        assert ds.columns == schema.names


def test_globs_and_directories(runs, scratch):
    import shutil
    d = os.path.join(scratch, "glob-dir")
    os.makedirs(d, exist_ok=True)
    for r in runs:
        shutil.copy(r, d)
    with darkscan.open(os.path.join(d, "run424[34].evc")) as ds:
        assert [os.path.basename(f["path"]) for f in ds.metadata["files"]] == ["run4243.evc", "run4244.evc"]
    with darkscan.open(d) as ds, darkscan.open(runs) as ref:
        assert ds.events == 12000
        assert ds.count(SEED).to_dict()["cuts"] == ref.count(SEED).to_dict()["cuts"]


def test_a_query_nothing_passes(runs):
    with darkscan.open(runs[0]) as ds:
        s = ds.scan("ecal_e > 100000 GeV", columns=["ecal_e", "mm_hits", "ecal_cells"])
        assert pa.table(s).num_rows == 0 and pa.table(s).schema == s.schema
        assert pl.DataFrame(s).shape == (0, 3)
        assert duckdb.sql("select count(*) from s").fetchall() == [(0,)]
        assert len(s.to_awkward()) == 0
        assert s.to_numpy("ecal_cells").shape == (0, 2, 6, 6)
        assert ds.count("ecal_e > 100000 GeV").selected == 0
