"""Merging partition results (Formats/DISTRIBUTED.md, section 4): cut flows, UHI histograms and
exposure, each checked before it is added so that results of different queries never mix."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence


class MergeError(Exception):
    """Two partition results cannot be merged: the message names the partition and the first
    difference."""


class CutFlowSum:
    """The sum of cut flows with identical cut names. Integer members are added exactly; sums of
    weights with math.fsum over the partitions' values, so the result does not depend on the
    order in which partitions arrive."""

    _COUNTERS = ("clusters_read", "clusters_skipped", "batch_cuts_decided_by_page_statistics")

    def __init__(self) -> None:
        self.names: Optional[list[str]] = None
        self.first_source = ""
        self.total = 0
        self.events: list[int] = []
        self.n_minus_1: Optional[list[int]] = None
        self.weighted = False
        self._w: dict[str, list[float]] = {}
        self.counters = {k: 0 for k in self._COUNTERS}

    def add(self, flow: dict, source: str) -> None:
        cuts = flow.get("cuts", [])
        names = [c["name"] for c in cuts]
        weighted = "total_sum_w" in flow
        has_n1 = any("n_minus_1" in c for c in cuts)
        if self.names is None:
            self.names, self.first_source, self.weighted = names, source, weighted
            self.events = [0] * len(names)
            self.n_minus_1 = [0] * len(names) if has_n1 else None
        elif names != self.names:
            diff = next((i for i in range(max(len(names), len(self.names)))
                         if i >= len(names) or i >= len(self.names) or names[i] != self.names[i]), 0)
            a = self.names[diff] if diff < len(self.names) else "(none)"
            b = names[diff] if diff < len(names) else "(none)"
            raise MergeError(f"{source}: cut {diff + 1} is '{b}', but '{a}' in {self.first_source}: not the same query")
        elif weighted != self.weighted or has_n1 != (self.n_minus_1 is not None):
            raise MergeError(f"{source}: its cut flow is {'' if weighted else 'not '}weighted and {'has' if has_n1 else 'lacks'} "
                             f"N-1 counts, unlike {self.first_source}")
        self.total += int(flow["total"])
        for i, c in enumerate(cuts):
            self.events[i] += int(c["events"])
            if self.n_minus_1 is not None:
                self.n_minus_1[i] += int(c["n_minus_1"])
            if weighted:
                self._w.setdefault(f"w{i}", []).append(float(c["sum_w"]))
                self._w.setdefault(f"w2{i}", []).append(float(c["sum_w2"]))
        if weighted:
            self._w.setdefault("tw", []).append(float(flow["total_sum_w"]))
            self._w.setdefault("tw2", []).append(float(flow["total_sum_w2"]))
        for k in self._COUNTERS:
            self.counters[k] += int(flow.get(k, 0))

    def to_dict(self) -> dict:
        """The merged cut flow in the form `darkscan count --json` prints it."""
        names = self.names or []
        cuts = []
        for i, name in enumerate(names):
            before = self.total if i == 0 else self.events[i - 1]
            c: dict[str, Any] = {"name": name, "events": self.events[i],
                                 "efficiency": self.events[i] / before if before else 0.0,
                                 "cumulative": self.events[i] / self.total if self.total else 0.0}
            if self.weighted:
                c["sum_w"] = math.fsum(self._w.get(f"w{i}", []))
                c["sum_w2"] = math.fsum(self._w.get(f"w2{i}", []))
            if self.n_minus_1 is not None:
                c["n_minus_1"] = self.n_minus_1[i]
            cuts.append(c)
        out: dict[str, Any] = {"total": self.total, "cuts": cuts, **self.counters}
        if self.weighted:
            out["total_sum_w"] = math.fsum(self._w.get("tw", []))
            out["total_sum_w2"] = math.fsum(self._w.get("tw2", []))
        return out


_AXIS_KEYS = ("type", "lower", "upper", "bins", "edges", "categories", "underflow", "overflow", "circular", "flow", "metadata")
_STORAGES = {"int": ("values",), "double": ("values",), "weighted": ("values", "variances")}


# Histogram metadata (Formats/HIST.md, section 6): keys every part must agree on (the selection),
# keys summed, and the lists of datasets and runs, united. `darkscan.eot` is the EOT of the files
# read: a file split into several partitions reports it in each, so it is counted once per file.
_AGREEING = ("darkscan.query", "darkscan.defines", "darkscan.weight", "darkscan.stage")
_SUMMED = ("darkscan.events", "darkscan.nonfinite_weights")


class HistogramSum:
    """Sums of UHI (schema 1) histograms by name: identical axes and storage type, values (and
    variances) added bin by bin. Integer storage stays exact; double and weighted storages are
    added with a compensation term (Neumaier), so the order of arrival changes the result by
    at most one rounding of the total. Metadata is merged as `darkscan hist merge` does."""

    def __init__(self) -> None:
        self.first_source = ""
        self.templates: Optional[dict[str, dict]] = None
        self.sums: dict[str, dict[str, Any]] = {}
        self.compensation: dict[str, dict[str, Any]] = {}
        self.summed: dict[str, dict[str, int]] = {}
        self.datasets: dict[str, dict[str, None]] = {}
        self.runs: dict[str, set[str]] = {}
        # Per histogram, the EOT of each file read (None once a file lacks it).
        self.eot: dict[str, Optional[dict[str, float]]] = {}

    def _add_metadata(self, name: str, h: dict, file: Optional[str]) -> None:
        m = h.get("metadata", {})
        for k in _SUMMED:
            if k in m:
                self.summed[name][k] = self.summed[name].get(k, 0) + m[k]
        for d in str(m.get("darkscan.datasets", "")).splitlines():
            self.datasets[name][d] = None
        self.runs[name].update(r for r in str(m.get("darkscan.runs", "")).split(",") if r)
        eot = self.eot[name]
        if eot is not None:
            if "darkscan.eot" not in m:
                self.eot[name] = None
            else:
                eot[file or m.get("darkscan.datasets", "")] = m["darkscan.eot"]

    def add(self, histograms: dict, source: str, file: Optional[str] = None) -> None:
        """Adds the histograms of one partition result; `file` is the partition's input file."""
        import numpy as np
        if self.templates is None:
            self.first_source = source
            self.templates = {}
            for name, h in histograms.items():
                self._check_one(name, h, source)
                self.templates[name] = {k: v for k, v in h.items() if k != "storage"}
                self.templates[name]["storage"] = {"type": h["storage"]["type"]}
                self.sums[name] = {k: np.array(h["storage"][k], dtype=self._dtype(h)) for k in _STORAGES[h["storage"]["type"]]}
                self.compensation[name] = {k: np.zeros_like(v) for k, v in self.sums[name].items()}
                self.summed[name], self.datasets[name], self.runs[name], self.eot[name] = {}, {}, set(), {}
                self._add_metadata(name, h, file)
            return
        if set(histograms) != set(self.templates):
            name = min(set(histograms) - set(self.templates), default=None) or min(set(self.templates) - set(histograms))
            here, there = (source, self.first_source) if name in histograms else (self.first_source, source)
            raise MergeError(f"{source}: histogram '{name}' is in {here} but not in {there}")
        for name, h in histograms.items():
            self._check_one(name, h, source)
            t = self.templates[name]
            if h["storage"]["type"] != t["storage"]["type"]:
                raise MergeError(f"{source}: histogram '{name}' has {h['storage']['type']} storage, {t['storage']['type']} in {self.first_source}")
            if len(h["axes"]) != len(t["axes"]):
                raise MergeError(f"{source}: histogram '{name}' has {len(h['axes'])} axes, {len(t['axes'])} in {self.first_source}")
            for i, (a, b) in enumerate(zip(t["axes"], h["axes"])):
                for k in _AXIS_KEYS:
                    if a.get(k) != b.get(k):
                        raise MergeError(f"{source}: histogram '{name}' axis {i} differs in '{k}' ({b.get(k)!r}, "
                                         f"{a.get(k)!r} in {self.first_source}): axes not mergeable")
            m, tm = h.get("metadata", {}), t.get("metadata", {})
            for k in _AGREEING:
                if m.get(k) != tm.get(k):
                    raise MergeError(f"{source}: histogram '{name}': {k} is {m.get(k)!r}, {tm.get(k)!r} in {self.first_source}: "
                                     "histograms of different selections are not added")
            self._add_metadata(name, h, file)
            for k, acc in self.sums[name].items():
                v = np.array(h["storage"][k], dtype=acc.dtype)
                if v.shape != acc.shape:
                    raise MergeError(f"{source}: histogram '{name}' {k} have shape {v.shape}, {acc.shape} in {self.first_source}")
                if acc.dtype.kind == "i":
                    acc += v
                else:
                    t_ = acc + v
                    c = self.compensation[name][k]
                    big = np.abs(acc) >= np.abs(v)
                    c += np.where(big, (acc - t_) + v, (v - t_) + acc)
                    acc[...] = t_

    @staticmethod
    def _dtype(h: dict):
        return "int64" if h["storage"]["type"] == "int" else "float64"

    @staticmethod
    def _check_one(name: str, h: dict, source: str) -> None:
        if not isinstance(h, dict) or h.get("uhi_schema") != 1:
            raise MergeError(f"{source}: histogram '{name}' is not UHI schema 1 (uhi_schema {h.get('uhi_schema') if isinstance(h, dict) else None!r})")
        st = h.get("storage", {}).get("type")
        if st not in _STORAGES:
            raise MergeError(f"{source}: histogram '{name}' has {st!r} storage; darkscan merges int, double and weighted")
        for k in _STORAGES[st]:
            if k not in h["storage"]:
                raise MergeError(f"{source}: histogram '{name}' storage lacks '{k}'")

    def to_dict(self, order: Sequence[str] = ()) -> dict:
        """The sums, as UHI histograms by name; the datasets listed in `order` (the plan's
        inputs) whatever order the partitions arrived in."""
        rank = {path: i for i, path in enumerate(order)}
        out = {}
        for name, t in (self.templates or {}).items():
            h = {k: v for k, v in t.items() if k != "storage"}
            storage: dict[str, Any] = {"type": t["storage"]["type"]}
            for k, acc in self.sums[name].items():
                storage[k] = (acc + self.compensation[name][k]).tolist() if acc.dtype.kind == "f" else acc.tolist()
            h["storage"] = storage
            m = dict(h.get("metadata", {}))
            m.update(self.summed[name])
            if self.datasets[name]:
                m["darkscan.datasets"] = "\n".join(sorted(self.datasets[name], key=lambda d: rank.get(d, len(rank))))
            if self.runs[name]:
                m["darkscan.runs"] = ",".join(sorted(self.runs[name], key=lambda r: (int(r) if r.isdigit() else 0, r)))
            eot = self.eot[name]
            m.pop("darkscan.eot", None)
            if eot:
                m["darkscan.eot"] = sum(eot.values())
            h["metadata"] = m
            out[name] = h
        return out


class ExposureSum:
    """Exposure (electrons on target) of the partitions. With per-spill `rows`, rows are united
    by (run, spill): one spill reported by several partitions of a file counts once, and must be
    reported identically. Without rows, top-level numbers are summed (`rows_merged: false`)."""

    def __init__(self) -> None:
        self.rows: dict[tuple, tuple[dict, str]] = {}
        self.summed: dict[str, Any] = {}
        self.with_rows: Optional[bool] = None
        self.first_source = ""
        # Per input file (every partition of a file reports the file's own): events without a
        # row, and the files without a table.
        self.without: dict[str, int] = {}
        self.files_without: dict[str, None] = {}

    def add(self, exposure: dict, source: str, file: Optional[str] = None) -> None:
        if "events_without_exposure" in exposure:
            self.without[file or source] = int(exposure["events_without_exposure"])
        for f in exposure.get("files_without_exposure", []):
            self.files_without[f] = None
        has_rows = "rows" in exposure
        if self.with_rows is None:
            self.with_rows, self.first_source = has_rows, source
        elif has_rows != self.with_rows:
            raise MergeError(f"{source}: its exposure {'has' if has_rows else 'lacks'} per-spill rows, unlike {self.first_source}")
        if has_rows:
            for r in exposure["rows"]:
                key = (r["run"], r["spill"])
                seen = self.rows.get(key)
                if seen is None:
                    self.rows[key] = (r, source)
                elif seen[0] != r:
                    raise MergeError(f"run {key[0]} spill {key[1]} has two different exposure rows: {seen[0]} in {seen[1]}, "
                                     f"{r} in {source}")
        else:
            for k, v in exposure.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    self.summed[k] = self.summed.get(k, 0) + v

    def to_dict(self) -> Optional[dict]:
        if self.with_rows is None:
            return None
        extra: dict[str, Any] = {}
        if self.without:
            extra["events_without_exposure"] = sum(self.without.values())
        if self.files_without:
            extra["files_without_exposure"] = list(self.files_without)
        if not self.with_rows:
            return {**self.summed, **extra, "rows_merged": False}
        rows = [self.rows[k][0] for k in sorted(self.rows)]
        out: dict[str, Any] = {}
        for r in rows:
            for k, v in r.items():
                if k not in ("run", "spill", "quality") and isinstance(v, (int, float)) and not isinstance(v, bool):
                    out[k] = out.get(k, 0) + v
        out["eot"] = sum(r["eot"] for r in rows)
        out["spills"] = len(rows)
        if any("quality" in r for r in rows):
            out["flagged_spills"] = sum(1 for r in rows if r.get("quality"))
        out.update(extra)
        out["rows"] = rows
        return out
