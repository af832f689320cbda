"""Distributed count, skim and hist on Dask (Formats/DISTRIBUTED.md).

The dataset is planned from footers (`darkscan plan`), each partition runs the darkscan command
as a child process on a Dask worker (retried when it fails or its worker dies), and the results
are merged as they arrive: cut flows, histograms and exposure, checked before they are added.
A skim writes OUT.d/part-NNNNNNN.evc and OUT.d/manifest.json, which darkscan.open, every
darkscan command and the Swift library read as one dataset.

    from darkscan import distributed as dd
    r = dd.skim(["runs/*.evc"], "missing energy > 50 GeV, veto == 0", "candidates.d", cluster="local:2")
    print(r.complete, r.cut_flow["cuts"][-1]["events"], r.summary["events_per_second"])
    c = dd.count("runs/", "veto == 0", cluster="tcp://scheduler.example:8786")

`cluster` is "local" or "local:N" (a LocalCluster), "tcp://HOST:PORT" (a running scheduler),
"slurm" or "htcondor" (dask-jobqueue; see BatchOptions), or a distributed.Client.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from ._clusters import BatchOptions, ClusterUnavailable, batch_cluster, connect
from ._driver import Job, JobResult, PlanError, find_darkscan, plan, run
from ._merge import CutFlowSum, ExposureSum, HistogramSum, MergeError
from ._task import PartitionFailed

__all__ = ["count", "skim", "hist", "run", "plan", "connect", "batch_cluster", "Job", "JobResult", "BatchOptions",
           "ClusterUnavailable", "PlanError", "MergeError", "PartitionFailed", "CutFlowSum", "HistogramSum", "ExposureSum",
           "find_darkscan"]

Paths = Union[str, Sequence[str]]


def _paths(p: Paths) -> list[str]:
    return [p] if isinstance(p, str) else list(p)


def count(paths: Paths, where: str, *, cluster: Any = "local", output: Optional[str] = None, **options) -> JobResult:
    """The cut flow of `where` over `paths`, computed on `cluster`. `output` (a directory) keeps a
    journal and a manifest so that the job can be resumed (resume=True). Other options are
    those of Job (defines, weight, n_minus_1, histograms, spills, friends, friend_missing,
    events_per_task, retries, ...)
    and run (scheduler_file, batch, progress)."""
    return _run("count", paths, where, cluster, output, options)


def skim(paths: Paths, where: str, output: str, *, cluster: Any = "local", **options) -> JobResult:
    """Writes the events passing `where` to the directory `output` (one part file per partition
    and manifest.json); returns the merged result. Options as for count, plus select and codec."""
    return _run("skim", paths, where, cluster, output, options)


def hist(paths: Paths, histograms: Sequence[str], where: str = "", *, cluster: Any = "local", output: Optional[str] = None,
         **options) -> JobResult:
    """Histograms (UHI JSON dictionaries merged by name) of `paths` on `cluster`: runs
    `darkscan hist --partition … --hist SPEC…` on each partition."""
    return _run("hist", paths, where, cluster, output, dict(options, histograms=list(histograms)))


def _run(kind: str, paths: Paths, where: str, cluster: Any, output: Optional[str], options: dict) -> JobResult:
    run_keys = {"scheduler_file", "batch", "progress"}
    run_options = {k: options.pop(k) for k in list(options) if k in run_keys}
    job = Job(kind=kind, paths=_paths(paths), where=where, output=output, **options)
    return run(job, cluster, **run_options)
