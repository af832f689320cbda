"""The driver: plan, submit one Dask task per partition, merge results as they complete, check
the invariants, write the job directory (Formats/DISTRIBUTED.md)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from . import _task
from ._clusters import BatchOptions, ClusterUnavailable, Connection, connect
from ._job import JobDir, job_hash, manifest
from ._merge import CutFlowSum, ExposureSum, HistogramSum, MergeError
from ._progress import Progress


class PlanError(Exception):
    """`darkscan plan` refused the inputs or the query. `exit_code` is its exit status (1 a file
    problem, 2 a query error, 64 usage) and the message its own."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Job:
    """What to run: a count, skim or hist of `paths` with the query options of the command."""
    kind: str
    paths: Sequence[str]
    where: str
    defines: Sequence[str] = ()
    weight: Optional[str] = None
    n_minus_1: bool = False
    select: Optional[Sequence[str]] = None
    codec: Optional[str] = None
    histograms: Sequence[str] = ()
    verify: bool = True
    spills: Optional[str] = None
    friends: Sequence[str] = ()
    friend_missing: Optional[str] = None
    output: Optional[str] = None
    events_per_task: int = 10_000_000
    task_threads: int = 1
    retries: int = 3
    resume: bool = False
    darkscan: Optional[str] = None
    worker_darkscan: Optional[str] = None

    def query(self) -> dict:
        return {"where": self.where, "defines": list(self.defines), "weight": self.weight, "n_minus_1": self.n_minus_1,
                "select": list(self.select) if self.select is not None else None, "codec": self.codec,
                "histograms": list(self.histograms), "verify": self.verify, **self.joins()}

    def __post_init__(self) -> None:
        # Partitions may run in another working directory or on another node.
        if self.spills is not None:
            self.spills = _absolute(self.spills)
        self.friends = [_absolute_friend(f) for f in self.friends]

    def joins(self) -> dict:
        """The spill list and the friends, as the job hash and the manifest record them: the
        list's path and the SHA-256 of its bytes (a list edited between a driver stopped and
        --resume is another job), each friend as given (absolute: the CLI makes it so), the
        missing-event rule. Empty without a list or a friend, so older jobs keep their hash."""
        o: dict = {}
        if self.spills is not None:
            try:
                with open(self.spills, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError as e:
                raise PlanError(f"darkscan: {self.spills}: cannot read the spill list: {e.strerror}", 1) from e
            o["spills"] = {"path": self.spills, "sha256": digest}
        if self.friends:
            o["friends"] = list(self.friends)
        if o and self.friend_missing is not None:
            o["friend_missing"] = self.friend_missing
        return o

    def join_arguments(self) -> list[str]:
        """--spills, --friend and --friend-missing, for `darkscan plan` and every partition."""
        a = ["--spills=" + self.spills] if self.spills is not None else []
        a += ["--friend=" + f for f in self.friends]
        if self.friend_missing is not None:
            a.append("--friend-missing=" + self.friend_missing)
        return a

    def task_arguments(self) -> list[str]:
        """The options every partition's darkscan run gets besides --partition."""
        a = (["--where=" + self.where] if self.where else []) + ["--threads", str(self.task_threads)]
        for d in self.defines:
            a.append("--define=" + d)
        if self.weight is not None:
            a.append("--weight=" + self.weight)
        if self.n_minus_1:
            a.append("--n-minus-1")
        if not self.verify:
            a.append("--no-verify")
        for h in self.histograms:
            a.append("--hist=" + h)
        a += self.join_arguments()
        if self.kind == "skim":
            if self.select is not None:
                a += ["--select", ",".join(self.select)]
            if self.codec is not None:
                a += ["--codec", self.codec]
            a += ["-o", os.path.abspath(self.output)]
        return a


@dataclass
class JobResult:
    """What a distributed job produced. `complete` is True only when every partition was merged
    exactly once and the events processed equal the events planned; else `missing` says which
    partitions are missing and why."""
    manifest: dict
    complete: bool
    missing: list[dict]
    directory: Optional[str]
    notes: list[str] = field(default_factory=list)

    @property
    def cut_flow(self) -> dict:
        return self.manifest.get("cut_flow", {})

    @property
    def histograms(self) -> Optional[dict]:
        return self.manifest.get("histograms")

    @property
    def exposure(self) -> Optional[dict]:
        return self.manifest.get("exposure")

    @property
    def summary(self) -> dict:
        return self.manifest["summary"]


def _absolute(path: str) -> str:
    return path if "://" in path else os.path.abspath(path)


def _absolute_friend(spec: str) -> str:
    """A --friend value FILE|DATASET[:PREFIX] with its path made absolute (the prefix is what
    follows the last ':' when that holds no '/', as the darkscan command reads it)."""
    path, colon, prefix = spec.rpartition(":")
    if not colon or not prefix or "/" in prefix or not path:
        return _absolute(spec)
    return _absolute(path) + ":" + prefix


def find_darkscan() -> str:
    """$DARKSCAN_BINARY, else `darkscan` on PATH."""
    p = os.environ.get("DARKSCAN_BINARY") or shutil.which("darkscan")
    if not p:
        raise FileNotFoundError("no darkscan binary: put it on PATH or set DARKSCAN_BINARY (or pass darkscan=...)")
    return os.path.abspath(p)


def plan(paths: Sequence[str], *, events_per_task: int = 10_000_000, where: Optional[str] = None, defines: Sequence[str] = (),
         weight: Optional[str] = None, darkscan: Optional[str] = None, joins: Sequence[str] = ()) -> dict:
    """`darkscan plan` of `paths` as a dict (Formats/DISTRIBUTED.md section 2): footers only."""
    argv = [darkscan or find_darkscan(), "plan", "--events-per-task", str(events_per_task), "--json"]
    if where:  # an empty query (hist without cuts) is no --where at all
        argv.append("--where=" + where)
    for d in defines:
        argv.append("--define=" + d)
    if weight is not None:
        argv.append("--weight=" + weight)
    argv += joins  # --spills, --friend: checked with the query (a missing friend exits 1)
    p = subprocess.run(argv + ["--", *paths], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if p.returncode != 0:
        raise PlanError(p.stderr.strip() or f"darkscan plan exited with status {p.returncode}", p.returncode)
    return json.loads(p.stdout)


def cuts_of(flow: dict) -> list:
    """What two runs of one partition must agree on: every cut's name and counts."""
    return [(c["name"], c["events"], c.get("sum_w"), c.get("n_minus_1")) for c in flow.get("cuts", [])] + [flow.get("total")]


class _Merged:
    """Everything merged so far, checked result by result."""

    def __init__(self, plan: dict, kind: str) -> None:
        self.plan, self.kind = plan, kind
        self.cut_flow = CutFlowSum()
        self.histograms = HistogramSum()
        self.exposure = ExposureSum()
        self.done: dict[int, dict] = {}

    def add(self, r: dict) -> None:
        """Checks a partition result against its plan entry and merges it (once)."""
        pid = r.get("partition", {}).get("id")
        entry = self.plan["partitions"][pid] if isinstance(pid, int) and 0 <= pid < len(self.plan["partitions"]) else None
        if entry is None:
            raise MergeError(f"a result names partition {pid!r}, which the plan does not have")
        source = f"partition {pid} ({entry['file']} events {entry['first_event']}..<{entry['end_event']})"
        p = r["partition"]
        if (p["file"], p["first_event"], p["end_event"]) != (entry["file"], entry["first_event"], entry["end_event"]):
            raise MergeError(f"{source}: the result covers {p['file']} events {p['first_event']}..<{p['end_event']}")
        n = entry["end_event"] - entry["first_event"]
        if r["events_processed"] != n or r["cut_flow"]["total"] != n:
            raise MergeError(f"{source}: {r['events_processed']} events processed, {n} planned")
        if self.kind == "skim" and "output" not in r:
            raise MergeError(f"{source}: the skim's result names no part file")
        if pid in self.done:
            old = self.done[pid]
            if any(old.get(k) != r.get(k) for k in ("events_processed", "output")) or \
                    cuts_of(old["cut_flow"]) != cuts_of(r["cut_flow"]):
                raise MergeError(f"{source}: two runs gave different results")
            return
        self.cut_flow.add(r["cut_flow"], source)
        if "histograms" in r:
            self.histograms.add(r["histograms"], source, entry["file"])
        if "exposure" in r:
            self.exposure.add(r["exposure"], source, entry["file"])
        # Kept without its histograms and exposure, which live on only in the sums (and the
        # journal): memory grows with partitions, not with partitions x histogram bins.
        self.done[pid] = {k: v for k, v in r.items() if k not in ("histograms", "exposure")}

    def documents(self) -> dict[str, Any]:
        return {"cut_flow": self.cut_flow.to_dict(),
                "histograms": (self.histograms.to_dict([i["path"] for i in self.plan["inputs"]])
                               if self.histograms.templates is not None else None),
                "exposure": self.exposure.to_dict()}


class _Watch:
    """Counts attempts per partition (from the tasks' events) and workers that vanished."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[int, int] = {}
        # Per merged task: seconds from the task's start on its worker to the end of its merge,
        # and that less the darkscan run's own scan time (the cost of running it as a task).
        self.latency: list[float] = []
        self.overhead: list[float] = []
        self.seen_workers: set[str] = set()
        self.lost: set[str] = set()
        self.current = 0

    def on_event(self, event) -> None:
        _, msg = event
        if isinstance(msg, dict) and msg.get("event") == "start":
            with self.lock:
                self.starts[msg["id"]] = self.starts.get(msg["id"], 0) + 1

    def poll(self, client) -> None:
        try:
            workers = set(client.scheduler_info(n_workers=-1)["workers"])
        except Exception:
            return
        with self.lock:
            self.lost |= self.seen_workers - workers
            self.seen_workers |= workers
            self.current = len(workers)

    def merged(self, r: dict) -> None:
        t = time.time() - r["task"]["started"]
        self.latency.append(t)
        self.overhead.append(t - r.get("seconds", 0.0))

    def timings(self) -> dict:
        def stats(xs: list[float]) -> dict:
            if not xs:
                return {}
            s = sorted(xs)
            return {"median": s[len(s) // 2], "p90": s[min(len(s) - 1, int(len(s) * 0.9))], "max": s[-1]}
        return {"task_seconds": stats(self.latency), "task_overhead_seconds": stats(self.overhead)}

    @property
    def retried(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.starts.values() if n > 1)


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, _task.PartitionFailed):
        return exc.reason + (f" (on {exc.host})" if exc.host else "")
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its worker died each time it ran it (KilledWorker: the worker was killed, ran out of memory, or its batch job ended)"
    return f"{name}: {exc}"


def run(job: Job, cluster: Any = "local", *, scheduler_file: Optional[str] = None, batch: Optional[BatchOptions] = None,
        progress: Optional[bool] = None) -> JobResult:
    """Runs `job` on `cluster` (a spec such as "local:2", "tcp://host:8786", "slurm",
    "htcondor", or a distributed.Client). Raises PlanError for bad inputs or a bad query and
    ClusterUnavailable when no cluster can be had; partitions that fail every retry make an
    incomplete result (and manifest) naming them."""
    started = time.time()
    binary = os.path.abspath(job.darkscan) if job.darkscan else find_darkscan()
    if job.kind == "skim" and not job.output:
        raise ValueError("a distributed skim needs an output directory")
    the_plan = plan(job.paths, events_per_task=job.events_per_task, where=job.where, defines=job.defines, weight=job.weight,
                    darkscan=binary, joins=job.join_arguments())
    version = the_plan["darkscan_version"]
    query = job.query()
    h = job_hash(job.kind, query, the_plan["inputs"], the_plan["partitions"], version)
    inputs = [{k: i[k] for k in ("path", "size", "mtime_ns", "footer_checksum", "events")} for i in the_plan["inputs"]]
    header = {"format": "darkscan-journal", "version": 1, "job": h, "kind": job.kind, "query": query, "inputs": inputs,
              "partitions": len(the_plan["partitions"]), "darkscan_version": version}
    merged = _Merged(the_plan, job.kind)
    jobdir = JobDir(job.output, header, job.resume) if job.output else None
    notes: list[str] = []
    if jobdir is not None:
        kept, notes = jobdir.start({p["id"]: p for p in the_plan["partitions"]})
        for r in kept.values():
            merged.add(r)
    resumed = len(merged.done)
    todo = [p for p in the_plan["partitions"] if p["id"] not in merged.done]
    watch = _Watch()
    failures: dict[int, str] = {}
    description = cluster if isinstance(cluster, str) else "client"

    def write_manifest(state: str, missing: list[dict]) -> dict:
        seconds = time.time() - started
        events_run = sum(merged.done[p["id"]]["events_processed"] for p in todo if p["id"] in merged.done)
        summary = {"cluster": description, "seconds": seconds, "events_per_second": events_run / seconds if seconds > 0 else 0.0,
                   "tasks": len(todo), "tasks_retried": watch.retried, "workers_lost": len(watch.lost),
                   "partitions_resumed": resumed, **watch.timings()}
        doc = manifest(header, state, the_plan, merged.done, missing, merged.documents(), summary)
        if jobdir is not None:
            jobdir.write_manifest(doc)
        return doc

    def missing_list(default_reason: str) -> list[dict]:
        return [{"id": p["id"], "file": p["file"], "first_event": p["first_event"], "end_event": p["end_event"],
                 "reason": failures.get(p["id"], default_reason)} for p in the_plan["partitions"] if p["id"] not in merged.done]

    write_manifest("running", missing_list("not yet run"))
    conn: Optional[Connection] = None
    bar = Progress(job.kind, the_plan["events"], len(the_plan["partitions"]), enabled=progress)
    bar.done(sum(r["events_processed"] for r in merged.done.values()), len(merged.done))
    try:
        if todo:
            try:
                if isinstance(cluster, str) or cluster is None or scheduler_file is not None:
                    conn = connect(cluster if isinstance(cluster, str) else None, scheduler_file, batch)
                    description = conn.description
                    client = conn.client
                else:
                    client = cluster
            except ClusterUnavailable as e:
                failures.update({p["id"]: f"not run: {e}" for p in todo})
                raise
            _submit_and_merge(client, job, binary, h, todo, merged, jobdir, watch, failures, bar)
    finally:
        bar.finish()
        if conn is not None:
            conn.close()
        missing = missing_list("not run: the driver stopped before it")
        if jobdir is not None:
            jobdir.remove_temporaries()
            jobdir.close()
        ok = not missing and sum(r["events_processed"] for r in merged.done.values()) == the_plan["events"]
        doc = write_manifest("complete" if ok else "incomplete", missing)
    return JobResult(doc, ok, missing, job.output, notes)


def _submit_and_merge(client, job: Job, binary: str, h: str, todo: list[dict], merged: _Merged, jobdir: Optional[JobDir],
                      watch: _Watch, failures: dict[int, str], bar: Progress) -> None:
    import cloudpickle
    from distributed import as_completed
    # The task is sent by value: workers need Dask and darkscan, not this package.
    cloudpickle.register_pickle_by_value(_task)
    spec = {"darkscan": job.worker_darkscan or binary, "kind": job.kind, "args": job.task_arguments(), "job": h}
    try:
        client.subscribe_topic("darkscan", watch.on_event)
    except Exception:
        pass
    # Keys unique to this run: a key released by an earlier run of the same job on the same
    # scheduler may still be in memory there, and a future bound to it would never complete.
    token = uuid.uuid4().hex[:8]
    keys = [f"darkscan-{job.kind}-{h[:12]}-{token}-{p['id']:07d}" for p in todo]
    futures = client.map(_task.run_partition, todo, job=spec, key=keys, retries=job.retries, pure=False)
    by_key = {f.key: p for f, p in zip(futures, todo)}
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            watch.poll(client)
            bar.workers(watch.current, len(watch.lost), watch.retried)

    watch.poll(client)
    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        # Results are fetched by the client's event loop while earlier ones are merged here. The
        # loop is this client's: as_completed would take the default (latest) client's, and with
        # two clients in the process it then waits forever.
        for fut, res in as_completed(futures, loop=client.loop, with_results=True, raise_errors=False):
            entry = by_key.pop(fut.key)
            if fut.status == "finished":
                r = res
                try:
                    merged.add(r)
                except MergeError as e:
                    failures[entry["id"]] = str(e)
                    raise
                if jobdir is not None:
                    jobdir.record(r)
                watch.merged(r)
                bar.done(r["events_processed"], 1)
            else:
                failures[entry["id"]] = _failure_reason(res[1] if isinstance(res, tuple) else res)
                bar.failed(1)
            fut.release()
        futures.clear()
    finally:
        stop.set()
        ticker.join()
        watch.poll(client)
        for f in futures:
            f.release()
