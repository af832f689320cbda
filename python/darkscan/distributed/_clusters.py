"""Dask clusters from a spec: local[:N], tcp://HOST:PORT, a scheduler file, slurm, htcondor."""
from __future__ import annotations

import os
import re
import signal
import socket
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional


class ClusterUnavailable(Exception):
    """No cluster to run on: the scheduler cannot be reached, the batch system refused the jobs,
    or dask-jobqueue is missing or not configured."""


@dataclass
class BatchOptions:
    """What a batch job (one Dask worker) asks of Slurm or HTCondor. None: the user's
    dask-jobqueue configuration (~/.config/dask/jobqueue.yaml) decides."""
    jobs: int = 2
    cores: Optional[int] = None
    memory: Optional[str] = None
    walltime: Optional[str] = None
    queue: Optional[str] = None
    job_extra: list[str] = field(default_factory=list)
    interface: Optional[str] = None
    scheduler_port: Optional[int] = None
    python: str = sys.executable


def _quiet_ports() -> None:
    """A scheduler started here finding port 8787 busy (another Dask dashboard on a shared login
    node) takes another port: no news for the user."""
    warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)


def _seconds(walltime: str) -> int:
    """HH:MM:SS, MM:SS or minutes, as Slurm writes it, in seconds."""
    parts = [int(p) for p in walltime.split(":")]
    if len(parts) == 1:
        return parts[0] * 60
    while len(parts) < 3:
        parts.insert(0, 0)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def batch_cluster(kind: str, o: BatchOptions):
    """A dask-jobqueue SLURMCluster or HTCondorCluster (jobs not yet submitted: call
    `.scale(jobs=…)`; `.job_script()` shows what would be submitted)."""
    _quiet_ports()
    try:
        import dask
        import dask_jobqueue
    except ImportError as e:
        raise ClusterUnavailable(f"--cluster {kind} needs dask-jobqueue in {sys.executable} ({e}): pip install dask-jobqueue") from None
    kw: dict[str, Any] = {"python": o.python, "processes": 1, "dashboard_address": None}
    if o.cores is not None:
        kw["cores"] = o.cores
    if o.memory is not None:
        kw["memory"] = o.memory
    if o.interface is not None:
        kw["interface"] = o.interface
    if o.scheduler_port is not None:
        # Listen on the host's own name (as CERN's CernCluster does), so batch nodes can reach it.
        kw["scheduler_options"] = {"port": o.scheduler_port} if o.interface else {"port": o.scheduler_port, "host": socket.getfqdn()}
    if kind == "slurm":
        cls = dask_jobqueue.SLURMCluster
        if o.walltime is not None:
            kw["walltime"] = o.walltime
        if o.queue is not None:
            kw["queue"] = o.queue
        if o.job_extra:
            kw["job_extra_directives"] = list(o.job_extra)
    else:
        cls = dask_jobqueue.HTCondorCluster
        extra: dict[str, str] = {}
        # CERN's HTCondor: the queue is a job flavour, the wall time +MaxRuntime in seconds.
        if o.queue is not None:
            extra["+JobFlavour"] = f'"{o.queue}"'
        if o.walltime is not None:
            extra["+MaxRuntime"] = str(_seconds(o.walltime))
        for line in o.job_extra:
            m = re.match(r"\s*([^=\s]+)\s*=\s*(.*)$", line)
            if not m:
                raise ClusterUnavailable(f"--job-extra '{line}': an HTCondor submit command is 'KEY = VALUE'")
            extra[m.group(1)] = m.group(2).strip()
        if extra:
            kw["job_extra_directives"] = extra
        if dask.config.get("jobqueue.htcondor.disk", None) is None:
            kw["disk"] = "1GB"  # the scratch a worker needs: darkscan writes parts to the job directory
    try:
        return cls(**kw)
    except ValueError as e:
        raise ClusterUnavailable(f"--cluster {kind}: {e} (give --cores and --memory, or set jobqueue.{kind}.cores and "
                                 f"jobqueue.{kind}.memory in ~/.config/dask/jobqueue.yaml)") from None


@dataclass
class Connection:
    client: Any
    cluster: Any
    description: str

    def close(self) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass


def connect(spec: Optional[str], scheduler_file: Optional[str] = None, batch: Optional[BatchOptions] = None,
            timeout: Optional[float] = None) -> Connection:
    """A Dask client for `spec` (or for the scheduler that wrote `scheduler_file`). A scheduler
    that does not answer within `timeout` seconds ($DARKSCAN_CONNECT_TIMEOUT, default 20) is
    unreachable."""
    if timeout is None:
        timeout = float(os.environ.get("DARKSCAN_CONNECT_TIMEOUT") or 20)
    import logging
    from distributed import Client, LocalCluster
    # Failures reach the user through the driver's own report, naming the partition.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    _quiet_ports()
    batch = batch or BatchOptions()
    if scheduler_file is not None:
        if not os.path.exists(scheduler_file):
            raise ClusterUnavailable(f"--scheduler-file {scheduler_file}: no such file (the scheduler writes it when it starts: "
                                     "dask scheduler --scheduler-file FILE)")
        try:
            return Connection(Client(scheduler_file=scheduler_file, timeout=timeout), None, f"scheduler of {scheduler_file}")
        except (OSError, TimeoutError) as e:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler named in {scheduler_file}: {e}") from None
    spec = spec or "local"
    if spec == "local" or spec.startswith("local:"):
        n = int(spec[6:]) if spec.startswith("local:") else (os.cpu_count() or 1)
        # Ctrl-C reaches the whole process group: the workers ignore it (they inherit that), the
        # driver stops them itself after writing what is missing into the manifest.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
        finally:
            signal.signal(signal.SIGINT, previous)
        return Connection(Client(cluster), cluster, f"local:{n}")
    if "://" in spec:
        try:
            return Connection(Client(spec, timeout=timeout), None, spec)
        except (OSError, TimeoutError) as e:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {spec}: {e} (is `dask scheduler` running there, "
                                     "and its port reachable from here?)") from None
    if spec in ("slurm", "htcondor"):
        cluster = batch_cluster(spec, batch)
        try:
            cluster.scale(jobs=batch.jobs)
        except Exception as e:
            cluster.close()
            raise ClusterUnavailable(f"--cluster {spec}: submitting {batch.jobs} batch jobs failed: {e}") from None
        return Connection(Client(cluster), cluster, f"{spec} ({batch.jobs} jobs)")
    raise ClusterUnavailable(f"unknown cluster '{spec}': use local, local:N, tcp://HOST:PORT, slurm or htcondor")
