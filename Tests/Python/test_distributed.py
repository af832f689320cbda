"""Distributed count and skim on Dask (python/darkscan/distributed, Formats/DISTRIBUTED.md):
16 small shards, compared with the same query run directly; killed workers, a killed driver,
failing partitions, changed inputs, a real `dask scheduler` with two `dask worker`s, and the
Slurm and HTCondor job scripts (rendered without a batch system).

Slow runs use a wrapper around the darkscan binary that sleeps before each partition, so that a
worker or the driver can be killed while partitions are still running."""
import json
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

import pytest

from conftest import cli, cli_path

distributed = pytest.importorskip("distributed")
import darkscan  # noqa: E402
from darkscan import distributed as dd  # noqa: E402

QUERY = "missing energy > 50 GeV, veto == 0"
HISTS = ["ecal_e: 30 bins 0 GeV .. 150 GeV @all", "ecal_e vs hcal_e: 15 bins 0 GeV .. 150 GeV, 6 bins 0 GeV .. 60 GeV"]
SHARDS, EVENTS, CLUSTER = 16, 2000, 500
VENV_BIN = os.path.dirname(sys.executable)


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def shards(scratch) -> list:
    """16 simulated shards of 2000 events in clusters of 500 (signal-enriched, so skims keep
    events from every shard)."""
    d = os.path.join(scratch, "shards")
    os.makedirs(d)
    paths = []
    for i in range(SHARDS):
        p = os.path.join(d, f"shard{i:02d}.evc")
        cli("simulate", "--run", str(5000 + i), "--events", str(EVENTS), "--seed", str(100 + i), "--signal-rate", "0.05",
            "--cluster-events", str(CLUSTER), "--threads", "1", "-o", p)
        paths.append(p)
    return paths


@pytest.fixture(scope="session")
def local(shards, scratch) -> dict:
    """The reference: the same count and skim run directly."""
    out = os.path.join(scratch, "local-skim.evc")
    cli("skim", *shards, "--where", QUERY, "-o", out)
    hist_args = [f"--hist={h}" for h in HISTS]
    return {"count": json.loads(cli("count", *shards, "--where", QUERY, "--json").stdout),
            "histograms": json.loads(cli("count", *shards, "--where", QUERY, *hist_args, "--json").stdout)["histograms"],
            "survivors": survivors(out), "path": out}


@pytest.fixture(scope="session")
def client():
    """One LocalCluster of two worker processes shared by the tests that drive from Python."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def survivors(path: str) -> set:
    rows = json.loads(cli("cat", path, "--columns", "run,spill,event", "--format", "json", "--limit", "100000000").stdout)
    return {(r["run"], r["spill"], r["event"]) for r in rows}


def cuts(flow: dict) -> list:
    return [(c["name"], c["events"]) for c in flow["cuts"]]


def wrapper(scratch: str, name: str, body: str) -> str:
    """A stand-in for the darkscan binary: a shell script that runs `body` and then the real one."""
    p = os.path.join(scratch, name)
    with open(p, "w") as f:
        f.write(f"#!/bin/sh\n{body}\nexec {cli_path()} \"$@\"\n")
    os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return p


def slow(scratch: str) -> str:
    return wrapper(scratch, "darkscan-slow", 'case "$1" in plan) ;; *) sleep 0.4 ;; esac')


def manifest(d: str) -> dict:
    with open(os.path.join(d, "manifest.json")) as f:
        return json.load(f)


def assert_same_as_local(out: str, m: dict, local: dict) -> None:
    assert m["complete"] and m["state"] == "complete" and not m["missing"]
    assert m["events_processed"] == m["events_planned"] == SHARDS * EVENTS
    assert len(m["parts"]) == m["partitions"] and [p["id"] for p in m["parts"]] == list(range(m["partitions"]))
    assert m["cut_flow"]["total"] == local["count"]["total"]
    assert cuts(m["cut_flow"]) == cuts(local["count"])
    # The exposure of the whole job: every spill once, as the direct count reports it.
    assert m["exposure"]["eot"] == local["count"]["exposure"]["eot"] > 0
    assert m["exposure"]["spills"] == local["count"]["exposure"]["spills"]
    assert m["exposure"]["events_without_exposure"] == local["count"]["exposure"]["events_without_exposure"]
    assert survivors(out) == local["survivors"]
    assert not os.path.exists(os.path.join(out, ".tmp")), "stray temporaries"
    assert not [n for n in os.listdir(out) if n.endswith(".partial") or ".tmp" in n]


def assert_same_histograms(got: dict, want: dict) -> None:
    """Cell for cell, with the same axes and the same selection; the datasets and the events
    read add up to the direct run's."""
    assert list(got) == list(want)
    for name, h in want.items():
        g = got[name]
        assert g["axes"] == h["axes"] and g["storage"] == h["storage"], name
        for k in ("darkscan.query", "darkscan.stage", "darkscan.spec", "darkscan.events"):
            assert g["metadata"].get(k) == h["metadata"].get(k), (name, k)
        assert g["metadata"]["darkscan.datasets"].splitlines() == h["metadata"]["darkscan.datasets"].splitlines()


def evc_bytes(path: str):
    """An EVC file's bytes and the offset of its index (the end of its clusters), from the
    trailer and the footer (Formats/EVC.md sections 5 and 8)."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    footer_offset, _ = struct.unpack_from("<QQ", data, len(data) - 32)
    (index_offset,) = struct.unpack_from("<Q", data, footer_offset + 16 + 24)
    return data, index_offset


def run_cli(*args, env=None, timeout=180, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([cli_path(), *args], capture_output=True, text=True, env=e, timeout=timeout, cwd=cwd)


def run_ok(*args, cwd=None) -> subprocess.CompletedProcess:
    r = run_cli(*args, cwd=cwd)
    assert r.returncode == 0, f"darkscan {' '.join(args)} exited {r.returncode}: {r.stderr}"
    return r


# -- planning and single partitions ---------------------------------------------------------------

def test_plan_reads_only_footers(shards, scratch):
    plan = dd.plan(shards, events_per_task=1200, darkscan=cli_path())
    assert plan["events"] == SHARDS * EVENTS and len(plan["inputs"]) == SHARDS
    by_file = {}
    for p in plan["partitions"]:
        assert p["first_event"] % CLUSTER == 0 and p["end_event"] % CLUSTER == 0  # cluster aligned
        by_file.setdefault(p["file"], []).append((p["first_event"], p["end_event"]))
        st = os.stat(p["file"])
        assert p["identity"]["size"] == st.st_size and p["identity"]["mtime_ns"] == st.st_mtime_ns
    for ranges in by_file.values():  # each file covered exactly, no gap, no overlap
        assert ranges == [(0, 1000), (1000, 2000)]
    assert [p["id"] for p in plan["partitions"]] == list(range(len(plan["partitions"])))

    # A copy whose clusters are zeroed: planning (footers) succeeds, counting (data) fails.
    hollow = os.path.join(scratch, "hollow.evc")
    data, index_offset = evc_bytes(shards[0])
    data[len(data) // 4:index_offset] = bytes(index_offset - len(data) // 4)
    with open(hollow, "wb") as f:
        f.write(data)
    assert dd.plan([hollow], darkscan=cli_path())["events"] == EVENTS
    r = cli("count", hollow, "--where", QUERY, check=False)
    assert r.returncode == 1 and "hollow.evc" in r.stderr


def test_partition_runs_are_repeatable_and_checked(shards, scratch):
    plan = dd.plan(shards[:1], events_per_task=1000, darkscan=cli_path())
    entry = json.dumps(plan["partitions"][1])
    out = os.path.join(scratch, "one.d")
    first = json.loads(cli("skim", "--partition", entry, "--where", QUERY, "-o", out, "--job", "j1").stdout)
    assert first["format"] == "darkscan-partition-result" and first["partition"]["id"] == 1
    assert first["events_processed"] == 1000 == first["cut_flow"]["total"]
    assert first["output"]["path"] == "part-0000001.evc"
    again = json.loads(cli("skim", "--partition", entry, "--where", QUERY, "-o", out, "--job", "j1").stdout)
    assert again["output"] == first["output"]  # the same bytes (whole-file checksum) rewritten
    assert os.listdir(os.path.join(out, ".tmp")) == []
    counted = json.loads(cli("count", "--partition", f"{shards[0]}:1000:2000", "--where", QUERY).stdout)
    assert counted["cut_flow"] == first["cut_flow"] or cuts(counted["cut_flow"]) == cuts(first["cut_flow"])

    r = cli("count", "--partition", f"{shards[0]}:1000:1700", "--where", QUERY, check=False)
    assert r.returncode == 64 and "not a cluster boundary" in r.stderr and "1500 and 2000" in r.stderr

    stale = dict(plan["partitions"][1], identity=dict(plan["partitions"][1]["identity"], size=12345))
    r = cli("count", "--partition", json.dumps(stale), "--where", QUERY, check=False)
    assert r.returncode == 1
    assert f"partition 1 ({shards[0]} events 1000..<2000)" in r.stderr and "changed since planning: size 12345" in r.stderr


# -- the driver ---------------------------------------------------------------------------------

def test_cli_skim_on_local_cluster_equals_local_skim(shards, local, scratch):
    out = os.path.join(scratch, "cli.d")
    r = run_cli("skim", *shards, "--where", QUERY, "-o", out, "--cluster", "local:2", "--events-per-task", "1000",
                *[f"--hist={h}" for h in HISTS])
    assert r.returncode == 0, r.stderr
    m = manifest(out)
    assert m["partitions"] == 2 * SHARDS
    assert_same_as_local(out, m, local)
    assert_same_histograms(m["histograms"], local["histograms"])
    assert "events/s" in r.stderr and "0 retried" in r.stderr
    # The table on stdout is darkscan count's.
    assert r.stdout.splitlines()[-1].split()[-3] == str(local["count"]["cuts"][-1]["events"])
    # Every reader takes the manifest as one dataset: the command, the library, Python.
    again = json.loads(cli("count", out, "--where", "veto == 0", "--json").stdout)
    assert again["total"] == len(local["survivors"])
    with darkscan.open(out) as ds:
        assert ds.events == len(local["survivors"])
    with darkscan.open(os.path.join(out, "manifest.json")) as ds:
        assert ds.events == len(local["survivors"])
    assert cli("verify", out).returncode == 0
    # A count on the cluster prints the same cut flow as a direct count.
    r = run_cli("count", *shards, "--where", QUERY, "--cluster", "--json", env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert cuts(printed) == cuts(local["count"]) and printed["total"] == local["count"]["total"] and printed["complete"]
    assert printed["summary"]["tasks"] == SHARDS and printed["files"] == shards


def test_hist_on_local_cluster_writes_the_direct_histograms(shards, local, scratch):
    out = os.path.join(scratch, "hist-cluster.json")
    r = run_cli("hist", *shards, "--where", QUERY, *[f"--hist={h}" for h in HISTS], "--cluster", "local:2",
                "--events-per-task", "1000", "-o", out, "--plot", os.path.join(scratch, "hist-plots"), "--format", "svg")
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        assert_same_histograms(json.load(f), local["histograms"])
    # The same pictures as the direct command draws.
    cli("hist", *shards, "--where", QUERY, *[f"--hist={h}" for h in HISTS], "--plot", os.path.join(scratch, "hist-direct"),
        "--format", "svg")
    pictures = sorted(os.listdir(os.path.join(scratch, "hist-direct")))
    assert len(pictures) == 4 and sorted(os.listdir(os.path.join(scratch, "hist-plots"))) == pictures
    assert not os.path.exists(out + ".partial")


def test_spill_list_and_friend_reach_every_partition(shards, scratch):
    """--spills and --friend on a cluster: each partition reads the list and joins the friend
    (given with relative paths, from another working directory than the workers'), and the
    result is the direct one: cut flow, exposure of the listed spills, histograms."""
    spills = os.path.join(scratch, "good-spills.txt")
    with open(spills, "w") as f:  # half of the runs whole, one run in part, the rest not at all
        f.write("5000-5007 *\n5008 1-2\n")
    where = QUERY + ", me.veto == 0"
    hist = "me.ecal_e: 30 bins 0 GeV .. 150 GeV @all"
    rel = os.path.relpath(os.path.dirname(shards[0]), scratch)
    common = ["--spills", "good-spills.txt", "--friend", f"{rel}/shard*.evc:me", "--where", where, f"--hist={hist}"]
    direct = json.loads(run_ok("count", *shards, *common, "--json", cwd=scratch).stdout)
    assert direct["cuts"][0]["name"] == "in spill list" and 0 < direct["cuts"][0]["events"] < SHARDS * EVENTS
    r = run_cli("count", *shards, *common, "--cluster", "local:2", "--events-per-task", "1000", "--job-dir", "joins.d", "--json",
                cwd=scratch, env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert printed["complete"] and cuts(printed) == cuts(direct) and printed["total"] == direct["total"]
    assert printed["exposure"]["eot"] == direct["exposure"]["eot"] > 0
    assert printed["exposure"]["spills"] == direct["exposure"]["spills"]
    # The exposure line of the direct command, from the merged rows.
    line = [x for x in run_ok("count", *shards, *common, cwd=scratch).stderr.splitlines() if x.startswith("exposure: ")][0]
    assert line.split(", spill list")[0] in r.stderr and f"spill list {spills}" in r.stderr
    q = manifest(os.path.join(scratch, "joins.d"))["query"]
    assert q["spills"]["path"] == spills and len(q["spills"]["sha256"]) == 64
    assert q["friends"] == [os.path.dirname(shards[0]) + "/shard*.evc:me"]
    # hist takes the same options, directly and on the cluster.
    out = os.path.join(scratch, "hist-joins.json")
    r = run_cli("hist", *shards, *common, "--cluster", "local:2", "-o", out, cwd=scratch, env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        got = json.load(f)
    want = json.loads(run_ok("hist", *shards, *common, "--json", cwd=scratch).stdout)["histograms"]
    assert_same_histograms(got, want)
    # A friend that is not there fails at planning, naming it.
    r = run_cli("count", *shards, "--friend", "nowhere/*.evc:me", "--where", where, "--cluster", "local:2", cwd=scratch,
                env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 1 and "nowhere" in r.stderr


def test_worker_killed_mid_run_gives_the_same_result(shards, local, scratch, client):
    out = os.path.join(scratch, "killed-worker.d")
    victim = {}

    def kill_one():
        deadline = time.time() + 60
        while time.time() < deadline:
            parts = [n for n in os.listdir(out) if n.startswith("part-")] if os.path.isdir(out) else []
            if len(parts) >= 4:
                pids = client.run(os.getpid)
                addr, pid = sorted(pids.items())[0]
                victim["pid"] = pid
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    t = threading.Thread(target=kill_one)
    t.start()
    r = dd.skim(shards, QUERY, out, cluster=client, events_per_task=1000, darkscan=slow(scratch), progress=False)
    t.join()
    assert "pid" in victim, "the job ended before a worker could be killed"
    assert r.complete
    assert_same_as_local(out, r.manifest, local)
    assert r.summary["workers_lost"] >= 1
    client.wait_for_workers(2, timeout=30)


def test_partition_failing_once_is_retried(shards, local, scratch, client):
    marks = os.path.join(scratch, "fail-once")
    os.makedirs(marks)
    # Partition 5 fails on its first run only.
    body = (f'case "$*" in *\'"id":5,\'*) if [ ! -e {marks}/5 ]; then touch {marks}/5; '
            f'echo "darkscan: failing once on purpose" >&2; exit 1; fi ;; esac')
    out = os.path.join(scratch, "retried.d")
    r = dd.skim(shards, QUERY, out, cluster=client, events_per_task=1000, darkscan=wrapper(scratch, "darkscan-fail-once", body),
                progress=False)
    assert r.complete and os.path.exists(os.path.join(marks, "5"))
    assert r.summary["tasks_retried"] >= 1
    assert_same_as_local(out, r.manifest, local)


@pytest.mark.parametrize("change", ["touch", "remove"])
def test_changed_or_missing_input_names_the_partition(shards, scratch, client, change):
    victim = os.path.join(scratch, f"victim-{change}.evc")
    with open(shards[3], "rb") as f, open(victim, "wb") as g:
        g.write(f.read())
    # The file changes right after it was planned.
    act = f"touch -d '2001-01-01' {victim}" if change == "touch" else f"mv {victim} {victim}.gone"
    body = f'case "$1" in plan) {cli_path()} "$@"; rc=$?; {act}; exit $rc ;; esac'
    out = os.path.join(scratch, f"changed-{change}.d")
    r = dd.skim([shards[0], victim], QUERY, out, cluster=client, events_per_task=1000, retries=1,
                darkscan=wrapper(scratch, f"darkscan-{change}", body), progress=False)
    assert not r.complete
    assert sorted(x["id"] for x in r.missing) == [2, 3]  # the partitions of the second file, only
    for x in r.missing:
        assert x["file"] == victim
        assert f"partition {x['id']} ({victim} events" in x["reason"]
        assert ("changed since planning: mtime_ns" in x["reason"]) if change == "touch" else ("No such file" in x["reason"])
    m = manifest(out)
    assert m["state"] == "incomplete" and not m["complete"] and len(m["missing"]) == 2 and len(m["parts"]) == 2
    r2 = cli("count", out, "--where", QUERY, check=False)
    assert r2.returncode == 1 and "incomplete job manifest: 2 of 4 partitions missing" in r2.stderr
    with pytest.raises(darkscan.FileError, match="incomplete"):
        darkscan.open(out)


def test_worker_without_binary_and_partitions_failing_every_retry(shards, scratch, client):
    out = os.path.join(scratch, "no-binary.d")
    r = dd.skim(shards[:2], QUERY, out, cluster=client, retries=1, worker_darkscan="/nonexistent/bin/darkscan",
                darkscan=cli_path(), progress=False)
    assert not r.complete and len(r.missing) == 2
    assert "has no darkscan binary at /nonexistent/bin/darkscan" in r.missing[0]["reason"]

    # A shard whose data is damaged after planning fails each retry with the checksum error.
    damaged = os.path.join(scratch, "damaged.evc")
    data, index_offset = evc_bytes(shards[1])
    for i in range(1000, index_offset, 64):  # flip bytes inside pages; the index and footer are untouched
        data[i] ^= 0xFF
    with open(damaged, "wb") as f:
        f.write(data)
    out = os.path.join(scratch, "damaged.d")
    r = dd.skim([damaged], QUERY, out, cluster=client, retries=2, events_per_task=1000, darkscan=cli_path(), progress=False)
    assert not r.complete and r.missing
    assert all("damaged.evc" in x["reason"] and "checksum" in x["reason"] for x in r.missing)
    assert r.summary["tasks_retried"] >= 2 * len(r.missing)
    assert manifest(out)["state"] == "incomplete"


def test_unreachable_scheduler(shards, scratch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = os.path.join(scratch, "unreachable.d")
    r = run_cli("skim", *shards[:2], "--where", QUERY, "-o", out, "--cluster", f"tcp://127.0.0.1:{port}",
                env={"DARKSCAN_CONNECT_TIMEOUT": "2"})
    assert r.returncode == 69
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in r.stderr
    m = manifest(out)
    assert m["state"] == "incomplete" and len(m["missing"]) == 2 and not m["parts"]
    assert all(x["reason"].startswith("not run: cannot reach") for x in m["missing"])


def test_missing_python_driver_is_a_clear_error(shards, scratch):
    r = run_cli("count", shards[0], "--where", QUERY, "--cluster", env={"DARKSCAN_PYTHON": "/nonexistent/python"})
    assert r.returncode == 69 and "DARKSCAN_PYTHON" in r.stderr
    bare = "/usr/bin/python3"
    if os.path.exists(bare) and subprocess.run([bare, "-c", "import darkscan.distributed"], capture_output=True).returncode != 0:
        r = run_cli("count", shards[0], "--where", QUERY, "--cluster", "local:1", env={"DARKSCAN_PYTHON": bare, "PYTHONPATH": ""})
        assert r.returncode == 69 and "cannot import it" in r.stderr and "pip install" in r.stderr


def test_resume_after_the_driver_was_killed(shards, local, scratch):
    out = os.path.join(scratch, "resumed.d")
    args = ["skim", *shards, "--where", QUERY, "-o", out, "--cluster", "local:2", "--events-per-task", "1000"]
    env = dict(os.environ, DARKSCAN_PYTHON=sys.executable)
    driver = subprocess.Popen([cli_path(), *args, "--worker-darkscan", slow(scratch)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 90
    try:
        while time.time() < deadline and driver.poll() is None:
            if os.path.isdir(out) and len([n for n in os.listdir(out) if n.startswith("part-")]) >= 6:
                break
            time.sleep(0.05)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver, its LocalCluster and their tasks
        driver.wait()
    m = manifest(out)
    assert m["state"] == "running" and not m["complete"]
    r = cli("count", out, "--where", QUERY, check=False)
    assert r.returncode == 1 and "driver was killed" in r.stderr
    r = run_cli(*args, "--resume", env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 0, r.stderr
    m = manifest(out)
    assert m["summary"]["partitions_resumed"] >= 1
    assert_same_as_local(out, m, local)
    r = run_cli(*args, env={"DARKSCAN_PYTHON": sys.executable})
    assert r.returncode == 64 and "holds a job already" in r.stderr


def test_dask_scheduler_and_two_workers_one_killed(shards, local, scratch):
    sched_file = os.path.join(scratch, "scheduler.json")
    procs = []
    try:
        procs.append(subprocess.Popen([os.path.join(VENV_BIN, "dask"), "scheduler", "--scheduler-file", sched_file, "--host",
                                       "127.0.0.1", "--port", "0", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 30
        while not os.path.exists(sched_file) and time.time() < deadline:
            time.sleep(0.1)
        for _ in range(2):
            procs.append(subprocess.Popen([os.path.join(VENV_BIN, "dask"), "worker", "--scheduler-file", sched_file,
                                           "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(scheduler_file=sched_file, timeout=30) as c:
            c.wait_for_workers(2, timeout=60)
        out = os.path.join(scratch, "scheduler.d")
        driver = subprocess.Popen([cli_path(), "skim", *shards, "--where", QUERY, "-o", out, "--scheduler-file", sched_file,
                                   "--events-per-task", "1000", "--worker-darkscan", slow(scratch)],
                                  env=dict(os.environ, DARKSCAN_PYTHON=sys.executable), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        while driver.poll() is None:
            if os.path.isdir(out) and len([n for n in os.listdir(out) if n.startswith("part-")]) >= 4:
                procs[1].send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
        _, err = driver.communicate(timeout=120)
        assert procs[1].poll() is not None, "the job ended before a worker could be killed"
        assert driver.returncode == 0, err
        m = manifest(out)
        assert_same_as_local(out, m, local)
        assert m["summary"]["workers_lost"] == 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


# -- batch systems (no pool: the job scripts dask-jobqueue would submit) --------------------------

def job_script(kind: str, options) -> str:
    cluster = dd.batch_cluster(kind, options)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def test_slurm_job_script():
    script = job_script("slurm", dd.BatchOptions(cores=4, memory="8GB", walltime="01:30:00", queue="short", job_extra=["--account=na64"]))
    assert script.startswith("#!/usr/bin/env bash")
    for line in ("#SBATCH -p short", "#SBATCH -n 1", "#SBATCH --cpus-per-task=4", "#SBATCH -t 01:30:00", "#SBATCH --account=na64"):
        assert line in script, script
    assert "#SBATCH --mem=" in script
    assert f"{sys.executable} -m distributed.cli.dask_worker" in script and "--nthreads 4" in script
    assert "tcp://" in script  # the scheduler the worker joins


def test_htcondor_job_script():
    script = job_script("htcondor", dd.BatchOptions(cores=2, memory="4GB", walltime="02:00:00", queue="longlunch",
                                                    job_extra=['+AccountingGroup = "group_u_NA64"']))
    for line in ('+JobFlavour = "longlunch"', "+MaxRuntime = 7200", '+AccountingGroup = "group_u_NA64"', "MY.DaskWorkerCores = 2",
                 "RequestCpus = MY.DaskWorkerCores", "Queue"):
        assert line in script, script
    assert "RequestMemory" in script and "RequestDisk" in script
    assert sys.executable in script and "distributed.cli.dask_worker" in script


# -- merging ----------------------------------------------------------------------------------------

def flow(names, total, events, **extra):
    return {"total": total, "cuts": [{"name": n, "events": e} for n, e in zip(names, events)], **extra}


def test_cut_flows_merge_only_with_identical_cuts():
    s = dd.CutFlowSum()
    s.add(flow(["a", "b"], 100, [40, 10]), "partition 0")
    s.add(flow(["a", "b"], 50, [10, 5]), "partition 1")
    d = s.to_dict()
    assert d["total"] == 150 and [c["events"] for c in d["cuts"]] == [50, 15]
    assert d["cuts"][1]["efficiency"] == pytest.approx(15 / 50) and d["cuts"][1]["cumulative"] == pytest.approx(15 / 150)
    with pytest.raises(dd.MergeError, match="partition 2: cut 2 is 'c', but 'b' in partition 0"):
        s.add(flow(["a", "c"], 10, [1, 1]), "partition 2")
    w = dd.CutFlowSum()
    for x in (0.1, 0.2, 0.3):
        w.add(flow(["a"], 1, [1], total_sum_w=x, total_sum_w2=x * x) | {"cuts": [{"name": "a", "events": 1, "sum_w": x, "sum_w2": x}]}, "p")
    assert w.to_dict()["total_sum_w"] == 0.6  # math.fsum: exactly rounded, whatever the order


def uhi(values, lower=0.0, storage="int", label="E [GeV]"):
    return {"uhi_schema": 1, "axes": [{"type": "regular", "lower": lower, "upper": 10.0, "bins": len(values) - 2, "underflow": True,
                                       "overflow": True, "circular": False, "metadata": {"label": label}}],
            "storage": {"type": storage, "values": values}, "metadata": {"name": "e"}}


def test_histograms_merge_only_with_identical_axes():
    h = dd.HistogramSum()
    h.add({"e": uhi([0, 1, 2, 0])}, "partition 0")
    h.add({"e": uhi([1, 1, 1, 1])}, "partition 1")
    assert h.to_dict()["e"]["storage"]["values"] == [1, 2, 3, 1]
    with pytest.raises(dd.MergeError, match="axis 0 differs in 'lower'.*axes not mergeable"):
        h.add({"e": uhi([0, 0, 0, 0], lower=1.0)}, "partition 2")
    with pytest.raises(dd.MergeError, match="'label'"):
        h.add({"e": uhi([0, 0, 0, 0], label="E [MeV]")}, "partition 3")
    with pytest.raises(dd.MergeError, match="histogram 'f'"):
        h.add({"f": uhi([0, 0, 0, 0])}, "partition 4")
    w = dd.HistogramSum()
    for v in ([0.1, 0.2], [0.2, 0.3], [0.3, 0.4]):
        w.add({"e": dict(uhi(v + [0.0, 0.0], storage="weighted"), storage={"type": "weighted", "values": v + [0.0, 0.0],
                                                                               "variances": v + [0.0, 0.0]})}, "p")
    assert w.to_dict()["e"]["storage"]["values"][:2] == pytest.approx([0.6, 0.9], abs=0)


def test_exposure_unites_spills():
    e = dd.ExposureSum()
    row = {"run": 1, "spill": 2, "eot": 1000, "triggers_accepted": 5, "quality": 0}
    e.add({"eot": 1000, "spills": 1, "rows": [row]}, "partition 0")
    e.add({"eot": 3000, "spills": 2, "rows": [row, dict(row, spill=3, eot=2000)]}, "partition 1")  # spill 2 again
    d = e.to_dict()
    assert d["eot"] == 3000 and d["spills"] == 2 and d["triggers_accepted"] == 10 and d["flagged_spills"] == 0
    with pytest.raises(dd.MergeError, match="run 1 spill 2 has two different exposure rows"):
        e.add({"eot": 7, "spills": 1, "rows": [dict(row, eot=7)]}, "partition 2")
    t = dd.ExposureSum()
    t.add({"eot": 5, "spills": 1}, "a")
    t.add({"eot": 6, "spills": 2}, "b")
    assert t.to_dict() == {"eot": 11, "spills": 3, "rows_merged": False}


def test_readme_cluster_example(shards, local, scratch):
    """The README's Python example of "On a cluster", run as printed in a folder holding runs/."""
    import re
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    code = re.search(r"```python\n(.*?)```", text[text.index("\n## On a cluster\n"):], re.S).group(1)
    d = os.path.join(scratch, "readme-cluster")
    os.makedirs(os.path.join(d, "runs"))
    for p in shards[:4]:
        os.symlink(p, os.path.join(d, "runs", os.path.basename(p)))
    r = subprocess.run([sys.executable, "-c", code], cwd=d, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, DARKSCAN_BINARY=cli_path()))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("True ") and "events kept, 0 tasks retried" in r.stdout
    assert "ecal_e < 50 GeV" in r.stdout
    # The count it printed is the direct count of the same four runs.
    kept = int(r.stdout.split()[1])
    want = json.loads(cli("count", *shards[:4], "--where", "missing energy > 50 GeV, veto == 0", "--json").stdout)["cuts"][-1]["events"]
    assert kept == want > 0


@pytest.mark.filterwarnings("ignore:Port .* is already in use")
def test_a_client_other_than_the_latest(shards, local, scratch, client):
    """With a second client made after it, a job on the first still completes (as_completed
    defaults to the latest client's event loop)."""
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    other = distributed.Client(cluster)
    assert distributed.default_client() is other and other.loop is not client.loop
    try:
        for n in range(2):
            out = os.path.join(scratch, f"first-client-{n}.d")
            done = []
            t = threading.Thread(target=lambda: done.append(dd.skim(shards, QUERY, out, cluster=client, events_per_task=1000,
                                                                    darkscan=cli_path(), progress=False)), daemon=True)
            t.start()
            t.join(60)
            assert done, f"run {n} of the job on the first client hung"
            assert done[0].complete and done[0].manifest["partitions"] == 2 * SHARDS
            assert_same_as_local(out, done[0].manifest, local)
    finally:
        other.close()
        cluster.close()
