"""What a Dask worker runs for one partition: the darkscan command on that partition, as a child
process, so that a crash or an out-of-memory kill of darkscan is a failed (and retried) task,
not a dead worker.

This module uses the standard library only and is sent to the workers by value (cloudpickle), so
workers need Dask and the darkscan binary, not this package.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time


class PartitionFailed(Exception):
    """One run of a partition failed: `reason` says why (the darkscan message, or what is
    missing on the worker)."""

    def __init__(self, partition: int, file: str, first: int, end: int, reason: str, host: str) -> None:
        super().__init__(partition, file, first, end, reason, host)
        self.partition, self.file, self.first, self.end, self.reason, self.host = partition, file, first, end, reason, host

    def __str__(self) -> str:
        return f"partition {self.partition} ({self.file} events {self.first}..<{self.end}) on {self.host}: {self.reason}"


def _note(topic_msg: dict) -> None:
    """Tells the driver (through the scheduler's event log) that an attempt started or failed."""
    try:
        from distributed import get_worker
        get_worker().log_event("darkscan", topic_msg)
    except Exception:
        pass


def run_partition(entry: dict, job: dict) -> dict:
    """Runs `darkscan KIND --partition ENTRY ARGS…` and returns its partition result (a dict),
    with when and where it ran under "task". Raises PartitionFailed."""
    started = time.time()
    host = socket.gethostname()
    pid, path = entry["id"], entry["file"]
    first, end = entry["first_event"], entry["end_event"]
    _note({"event": "start", "id": pid, "host": host})

    def fail(reason: str) -> PartitionFailed:
        _note({"event": "fail", "id": pid, "host": host})
        return PartitionFailed(pid, path, first, end, reason, host)

    binary = job["darkscan"]
    if not os.access(binary, os.X_OK):
        raise fail(f"this worker has no darkscan binary at {binary} (install darkscan at the same path on every node)")
    argv = [binary, job["kind"], "--partition", json.dumps(entry, separators=(",", ":")), *job["args"]]
    if job.get("job"):
        argv += ["--job", job["job"]]
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise fail(f"cannot run {binary}: {e}") from None
    if p.returncode != 0:
        message = p.stderr.decode("utf-8", "replace").strip().splitlines()
        why = message[-1] if message else ""
        if p.returncode < 0:
            why = f"darkscan was killed by signal {-p.returncode}" + (f" ({why})" if why else "")
        elif not why:
            why = f"darkscan exited with status {p.returncode} without a message"
        raise fail(why.removeprefix("darkscan: "))
    try:
        result = json.loads(p.stdout)
    except ValueError as e:
        raise fail(f"darkscan printed no partition result ({e})") from None
    result["task"] = {"host": host, "started": started, "ended": time.time()}
    return result
