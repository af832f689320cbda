"""Distributed count and skim (python/darkscan/distributed) on this machine, four figures:

  1. per-task overhead: EMPTY partitions of no events through a LocalCluster of 2 workers; per
     task, from its start on the worker to the end of its merge in the driver (target < 50 ms),
     beside the cost of the darkscan process alone on such a partition;
  2. scaling: a skim (SEED, every column) of EVENTS events (default 1e8, summary profile, 10
     files) on a LocalCluster of 1 and of 2 workers started beforehand (target: 2 workers >= 1.8x
     one), and end to end through `darkscan skim --cluster local:N`;
  3. planning PLAN_FILES files (default 10,000) whose footers describe 1e6 events each (1e10 in
     all), with `darkscan plan` (target < 30 s). The files are sparse copies of one simulated
     1e6-event file: its header and schema block and its footer and trailer at their places,
     holes in between (no clusters, no index), so planning can only succeed by reading footers;
     a count on one of them fails, which the benchmark checks;
  4. a count of COUNT_EVENTS events (default 1e9: 100 hard links to the 10 files of 2.) through
     `darkscan count --cluster local:2` against `darkscan count` run directly (target >= 80%).

Timed runs are interleaved (one of each in turn, RUNS rounds) and medians reported, so that the
machine's load falls on both sides alike; the load average is printed with the figures.

usage: python Bench/cluster_bench.py [--events N] [--count-events N] [--plan-files N] [--empty N] [--scaling-tasks N] [--runs R] [--dir DIR]
Run through Bench/run-cluster, which builds and installs what it needs first.
"""
import argparse
import faulthandler
import json
import os
import platform
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLI = os.path.join(ROOT, ".build", "release", "darkscan")
SEED = "missing energy > 50 GeV, veto == 0"


def sh(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, check=True, **kw)


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def interleaved(fns: dict, runs: int) -> dict:
    """{name: (median seconds, all seconds, last result)} over `runs` rounds, one of each in turn."""
    times = {k: [] for k in fns}
    last = {}
    for _ in range(runs):
        for k, fn in fns.items():
            t, last[k] = timed(fn)
            times[k].append(t)
    return {k: (statistics.median(v), v, last[k]) for k, v in times.items()}


def simulate(path: str, events: int, run: int, *extra) -> None:
    if not os.path.exists(path):
        sh("simulate", "--run", run, "--events", events, "--seed", run, "--profile", "summary", "--signal-rate", "1e-4", *extra,
           "-o", path)


def dataset(d: str, events: int) -> list:
    """10 files of events/10 simulated events (kept for the next run)."""
    os.makedirs(d, exist_ok=True)
    stamp = os.path.join(d, "events")
    if not os.path.exists(stamp) or open(stamp).read() != str(events):
        shutil.rmtree(d)
        os.makedirs(d)
    paths = [os.path.join(d, f"run{i}.evc") for i in range(10)]
    for i, p in enumerate(paths):
        simulate(p, events // 10, 6000 + i)
    with open(stamp, "w") as f:
        f.write(str(events))
    return paths


def local_cluster(n: int):
    import distributed
    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50)
    return cluster, distributed.Client(cluster)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children."""
    import resource
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def cluster_cpu(client) -> float:
    """CPU seconds so far of the driver (with its in-process scheduler), the workers, their
    nannies and every darkscan process they ran."""
    return cpu_seconds() + sum(client.run(cpu_seconds).values()) + sum(client.run(cpu_seconds, nanny=True).values())


def bench_overhead(d: str, n: int, runs: int) -> dict:
    from darkscan import distributed as dd
    empty = os.path.join(d, "empty")
    os.makedirs(empty, exist_ok=True)
    template = os.path.join(d, "empty.evc")
    simulate(template, 0, 1)
    for i in range(n):
        p = os.path.join(empty, f"e{i:05d}.evc")
        if not os.path.exists(p):
            shutil.copyfile(template, p)
    c0 = cpu_seconds()
    alone = interleaved({"process": lambda: sh("count", "--partition", f"{template}:0:0", "--where", SEED)}, 20)["process"][0]
    alone_cpu = (cpu_seconds() - c0) / 20
    cluster, client = local_cluster(2)
    try:
        dd.count(empty, SEED, cluster=client, darkscan=CLI, progress=False)  # warm-up
        # What the idle cluster burns per second (heartbeats, memory monitors), to subtract.
        c0 = cluster_cpu(client)
        time.sleep(3)
        idle = (cluster_cpu(client) - c0) / 3
        rows = []
        for _ in range(runs):
            c0 = cluster_cpu(client)
            wall, r = timed(lambda: dd.count(empty, SEED, cluster=client, darkscan=CLI, progress=False))
            rows.append((wall, r.summary, (cluster_cpu(client) - c0 - idle * wall) / n))
    finally:
        client.close()
        cluster.close()
    wall, summary, cpu = sorted(rows, key=lambda x: x[0])[len(rows) // 2]
    return {"tasks": n, "task_start_to_merged_median_s": summary["task_seconds"]["median"],
            "task_start_to_merged_p90_s": summary["task_seconds"]["p90"],
            "overhead_beyond_scan_median_s": summary["task_overhead_seconds"]["median"],
            "cpu_per_task_s": cpu, "idle_cluster_cpu_per_s": idle, "darkscan_process_alone_s": alone, "darkscan_process_alone_cpu_s": alone_cpu,
            "job_wall_s": wall, "wall_per_task_2_workers_s": wall * 2 / n}


def bench_scaling(files: list, d: str, events: int, runs: int, tasks: int = 40) -> dict:
    """1 and 2 workers, both clusters started beforehand, runs interleaved; with the CPU seconds
    of the workers' side (darkscan processes and workers) and of the driver's side, whose sum
    over the serial part predicts the speedup where two cores are free."""
    from darkscan import distributed as dd
    per_task = max(1, events // tasks)
    out = os.path.join(d, "out")
    clusters = {n: local_cluster(n) for n in (1, 2)}
    cpu = {1: [], 2: []}

    def skim_on(n):
        client = clusters[n][1]

        def f():
            shutil.rmtree(out, ignore_errors=True)
            w0, d0 = sum(client.run(cpu_seconds).values()), cpu_seconds()
            r = dd.skim(files, SEED, out, cluster=client, darkscan=CLI, events_per_task=per_task, progress=False)
            cpu[n].append((sum(client.run(cpu_seconds).values()) - w0, cpu_seconds() - d0))
            assert r.complete
            return r.summary
        return f

    def cli_skim(n):
        def f():
            shutil.rmtree(out, ignore_errors=True)
            return sh("skim", *files, "--where", SEED, "-o", out, "--cluster", f"local:{n}", "--events-per-task", per_task)
        return f

    try:
        res = interleaved({1: skim_on(1), 2: skim_on(2)}, runs)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    e2e = interleaved({1: cli_skim(1), 2: cli_skim(2)}, runs)
    direct = interleaved({"direct": lambda: sh("skim", *files, "--where", SEED, "-o", os.path.join(d, "direct.evc"))}, runs)
    shutil.rmtree(out, ignore_errors=True)
    workers, driver = (statistics.median(x[i] for x in cpu[2]) for i in (0, 1))
    return {"events": events, "partitions": res[1][2]["tasks"], "workers_1_s": res[1][0], "workers_2_s": res[2][0],
            "speedup": res[1][0] / res[2][0], "end_to_end_1_s": e2e[1][0], "end_to_end_2_s": e2e[2][0],
            "end_to_end_speedup": e2e[1][0] / e2e[2][0], "direct_2_threads_s": direct["direct"][0],
            "cpu_workers_s": workers, "cpu_driver_s": driver, "predicted_speedup": (workers + driver) / (workers / 2 + driver)}


def sparse_copies(template: str, d: str, n: int) -> list:
    """n files of the template's size holding only its header, schema block, footer and trailer."""
    with open(template, "rb") as f:
        data = f.read()
    (schema_len,) = struct.unpack_from("<Q", data, 16 + 8)
    head = data[:16 + 24 + schema_len]
    footer_offset, _ = struct.unpack_from("<QQ", data, len(data) - 32)
    tail = data[footer_offset:]
    os.makedirs(d, exist_ok=True)
    paths = []
    for i in range(n):
        p = os.path.join(d, f"f{i:05d}.evc")
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(head)
                f.seek(footer_offset)
                f.write(tail)
        paths.append(p)
    return paths


def bench_plan(d: str, n: int, runs: int) -> dict:
    from darkscan import distributed as dd
    template = os.path.join(d, "plan-template.evc")
    simulate(template, 1_000_000, 7, "--cluster-events", "100000")
    t, paths = timed(lambda: sparse_copies(template, os.path.join(d, "plan"), n))
    hollow = subprocess.run([CLI, "count", paths[0], "--where", SEED], capture_output=True, text=True)
    assert hollow.returncode == 1, "a sparse copy should hold no readable cluster"
    disk = sum(os.stat(p).st_blocks * 512 for p in paths)
    apparent = sum(os.stat(p).st_size for p in paths)
    r = interleaved({"cli": lambda: sh("plan", os.path.join(d, "plan"), "--events-per-task", 10_000_000, "--json"),
                     "python": lambda: dd.plan([os.path.join(d, "plan")], events_per_task=10_000_000, darkscan=CLI)}, runs)
    plan = r["python"][2]
    return {"files": n, "events": plan["events"], "partitions": len(plan["partitions"]), "plan_cli_s": r["cli"][0],
            "plan_python_s": r["python"][0], "made_in_s": t, "disk_bytes": disk, "apparent_bytes": apparent,
            "count_on_a_copy": hollow.stderr.strip().splitlines()[-1][:160]}


def bench_count(files: list, d: str, events: int, runs: int) -> dict:
    links = os.path.join(d, "count")
    base_events = sum(json.loads(sh("plan", f, "--json").stdout)["events"] for f in files)
    copies = max(1, events // base_events)
    os.makedirs(links, exist_ok=True)
    for j in range(copies):
        for i, f in enumerate(files):
            p = os.path.join(links, f"c{j:03d}-{i}.evc")
            if not os.path.exists(p):
                os.link(f, p)
    paths = sorted(os.path.join(links, n) for n in os.listdir(links) if n.endswith(".evc"))[:copies * len(files)]
    per_task = max(1, base_events // len(files))
    empty = os.path.join(d, "empty.evc")
    simulate(empty, 0, 1)
    r = interleaved({"direct": lambda: json.loads(sh("count", *paths, "--where", SEED, "--json").stdout),
                     "cluster": lambda: json.loads(sh("count", *paths, "--where", SEED, "--cluster", "local:2",
                                                      "--events-per-task", per_task, "--json").stdout),
                     "fixed": lambda: sh("count", empty, "--where", SEED, "--cluster", "local:2")}, runs)
    direct, cluster = r["direct"], r["cluster"]
    assert direct[2]["cuts"][-1]["events"] == cluster[2]["cuts"][-1]["events"]
    s = cluster[2]["summary"]
    return {"events": base_events * copies, "files": len(paths), "direct_s": direct[0], "cluster_s": cluster[0],
            "cluster_over_direct_rate": direct[0] / cluster[0], "cluster_driver_s": s["seconds"],
            "tasks": s["tasks"], "task_median_s": s["task_seconds"]["median"],
            "fixed_cost_s": r["fixed"][0], "task_overhead_median_s": s["task_overhead_seconds"]["median"]}


def main() -> None:
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1 PID: where is it?
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=float, default=1e8, help="events of the skim (figure 2)")
    ap.add_argument("--count-events", type=float, default=1e9, help="events of the count (figure 4)")
    ap.add_argument("--plan-files", type=int, default=10_000)
    ap.add_argument("--empty", type=int, default=200, help="empty partitions (figure 1)")
    ap.add_argument("--scaling-tasks", type=int, default=40,
                    help="partitions of the skim (figure 2): 40 stresses the per-task cost; 10 is the default --events-per-task of 1e7")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=os.path.join(ROOT, ".build", "bench-cluster"))
    ap.add_argument("--only", choices=["overhead", "scaling", "plan", "count"], action="append")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    only = set(a.only or ["overhead", "scaling", "plan", "count"])
    out = {"machine": platform.node(), "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    if "overhead" in only:
        out["overhead"] = o = bench_overhead(a.dir, a.empty, a.runs)
        print(f"1. per-task overhead, {o['tasks']} empty partitions, LocalCluster(2): task start -> merged median "
              f"{o['task_start_to_merged_median_s'] * 1e3:.1f} ms (p90 {o['task_start_to_merged_p90_s'] * 1e3:.1f} ms; target < 50 ms); "
              f"CPU per task, all processes {o['cpu_per_task_s'] * 1e3:.1f} ms (beyond the idle cluster's "
              f"{o['idle_cluster_cpu_per_s'] * 1e3:.0f} ms/s); the darkscan process alone "
              f"{o['darkscan_process_alone_s'] * 1e3:.1f} ms ({o['darkscan_process_alone_cpu_s'] * 1e3:.1f} ms CPU); job wall per task x 2 "
              f"workers {o['wall_per_task_2_workers_s'] * 1e3:.1f} ms", flush=True)
    files = dataset(os.path.join(a.dir, "data"), int(a.events)) if only & {"scaling", "count"} else []
    if "scaling" in only:
        out["scaling"] = s = bench_scaling(files, a.dir, int(a.events), a.runs, a.scaling_tasks)
        print(f"2. skim of {s['events']:.3g} events in {s['partitions']} partitions: 1 worker {s['workers_1_s']:.2f} s, 2 workers "
              f"{s['workers_2_s']:.2f} s: {s['speedup']:.2f}x (target >= 1.8x); end to end (--cluster local:N) "
              f"{s['end_to_end_1_s']:.2f} s / {s['end_to_end_2_s']:.2f} s: {s['end_to_end_speedup']:.2f}x; direct skim on 2 threads "
              f"{s['direct_2_threads_s']:.2f} s; CPU: workers' side {s['cpu_workers_s']:.2f} s, driver {s['cpu_driver_s']:.2f} s, "
              f"so {s['predicted_speedup']:.2f}x where two cores are free", flush=True)
    if "plan" in only:
        out["plan"] = p = bench_plan(a.dir, a.plan_files, a.runs)
        print(f"3. plan of {p['files']:,} files, {p['events']:.3g} events ({p['apparent_bytes'] / 1e12:.2f} TB apparent, "
              f"{p['disk_bytes'] / 1e6:.0f} MB on disk, no cluster data): darkscan plan {p['plan_cli_s']:.2f} s, from Python "
              f"{p['plan_python_s']:.2f} s (target < 30 s); {p['partitions']:,} partitions. A count on a copy: {p['count_on_a_copy']}",
              flush=True)
    if "count" in only:
        out["count"] = c = bench_count(files, a.dir, int(a.count_events), a.runs)
        print(f"4. count of {c['events']:.3g} events in {c['files']} files: direct {c['direct_s']:.2f} s, --cluster local:2 "
              f"{c['cluster_s']:.2f} s: {c['cluster_over_direct_rate'] * 100:.0f}% of the direct rate (target >= 80%); "
              f"{c['tasks']} tasks, median task {c['task_median_s']:.2f} s (of which {c['task_overhead_median_s'] * 1e3:.0f} ms not "
              f"scanning); the fixed cost (the same command on one empty file) {c['fixed_cost_s']:.2f} s", flush=True)
    out["load_after"] = os.getloadavg()
    print(f"load average before {out['load_before'][0]:.1f}, after {out['load_after'][0]:.1f} on {out['cpus']} CPUs")
    path = os.path.join(ROOT, ".build", "bench-cluster.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
