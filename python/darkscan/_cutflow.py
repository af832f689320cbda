"""The result of a count: the cut flow."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Cut:
    """One line of a cut flow: the events passing this cut and every one before it."""
    name: str
    events: int
    efficiency: float
    cumulative: float
    sum_w: float = 0.0
    sum_w2: float = 0.0
    n_minus_1: Optional[int] = None


class CutFlow:
    """Events passing each cut in order (Darkscan's CutFlow). `print(flow)` shows the table
    `darkscan count` prints; `to_dict()` is the object `darkscan count --json` prints."""

    def __init__(self, struct) -> None:
        self.total: int = struct.total
        self.selected: int = struct.selected
        self.weighted: bool = bool(struct.weighted)
        self.total_sum_w: float = struct.total_sum_w
        self.total_sum_w2: float = struct.total_sum_w2
        self.clusters_read: int = struct.clusters_read
        self.clusters_skipped: int = struct.clusters_skipped
        self.seconds: float = struct.seconds
        self.cuts: list[Cut] = [
            Cut(c.name.decode(), c.events, c.efficiency, c.cumulative, c.sum_w, c.sum_w2,
                c.n_minus_1 if struct.has_n_minus_1 else None)
            for c in struct.cuts[:struct.n_cuts]
        ]
        self.table: str = struct.table.decode()
        self._json: str = struct.json.decode()

    def __str__(self) -> str:
        return self.table

    def __repr__(self) -> str:
        return f"<CutFlow {self.selected} of {self.total} events pass {len(self.cuts)} cuts>"

    def __len__(self) -> int:
        return len(self.cuts)

    def __getitem__(self, i: int) -> Cut:
        return self.cuts[i]

    def to_dict(self) -> dict[str, Any]:
        """The cut flow as `darkscan count --json` prints it."""
        return json.loads(self._json)

    @property
    def histograms(self) -> dict[str, dict]:
        """The histograms of the query's `hists`, by name, as UHI JSON objects (schema 1,
        Formats/HIST.md): what `darkscan hist -o FILE` writes. Empty without histograms."""
        return self.to_dict().get("histograms", {})

    @property
    def hists(self) -> dict[str, Any]:
        """The histograms as hist.Hist objects (needs the `hist` and `uhi` packages), by name:
        axes with their names and labels (units in the label), counts or weighted storage, the
        query, stage, events and EOT as attributes (`vars(h)["darkscan.query"]`)."""
        try:
            import hist
            import uhi.io.json
        except ImportError as e:
            raise ImportError("CutFlow.hists needs the hist and uhi packages (pip install hist uhi); "
                              "CutFlow.histograms has the same histograms as UHI JSON") from e
        return {name: hist.Hist(json.loads(json.dumps(h), object_hook=uhi.io.json.object_hook))
                for name, h in self.histograms.items()}

    def to_pandas(self):
        """One row per cut (and one for all events): events, efficiency, cumulative, Σw, Σw², N-1."""
        import pandas as pd
        rows = [{"cut": "all events", "events": self.total, "efficiency": None, "cumulative": None}]
        if self.weighted:
            rows[0].update(sum_w=self.total_sum_w, sum_w2=self.total_sum_w2)
        for c in self.cuts:
            r: dict[str, Any] = {"cut": c.name, "events": c.events, "efficiency": c.efficiency, "cumulative": c.cumulative}
            if self.weighted:
                r.update(sum_w=c.sum_w, sum_w2=c.sum_w2)
            if c.n_minus_1 is not None:
                r["n_minus_1"] = c.n_minus_1
            rows.append(r)
        return pd.DataFrame(rows).set_index("cut")
