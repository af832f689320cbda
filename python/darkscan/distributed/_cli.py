"""The driver's command line: what `darkscan count|skim … --cluster SPEC` hands over to. Prints
what the darkscan command prints (the cut flow, a summary, or JSON with --json) and exits with
its codes: 0 complete; 1 bad input or partitions missing; 2 a query error; 64 bad usage;
69 no cluster to run on; 130 interrupted."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from typing import Optional

from ._clusters import BatchOptions, ClusterUnavailable
from ._driver import Job, JobResult, PlanError, run
from ._job import JobDirError
from ._merge import MergeError
from ._progress import count


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%" if x == 0 or x >= 1e-3 else f"{x * 100:.3g}%"


def table(flow: dict) -> str:
    """The cut flow as `darkscan count` prints it."""
    weighted = "total_sum_w" in flow
    cuts = flow.get("cuts", [])
    n1 = any("n_minus_1" in c for c in cuts)
    rows = [["cut", "events", "eff", "cumulative"] + (["Σw", "Σw²"] if weighted else []) + (["N-1"] if n1 else [])]
    rows.append(["all events", str(flow["total"]), "", ""] + ([f"{flow['total_sum_w']:.6g}", f"{flow['total_sum_w2']:.6g}"] if weighted else [])
                + ([""] if n1 else []))
    for c in cuts:
        r = [c["name"], str(c["events"]), _pct(c["efficiency"]), _pct(c["cumulative"])]
        if weighted:
            r += [f"{c['sum_w']:.6g}", f"{c['sum_w2']:.6g}"]
        if n1:
            r.append(str(c["n_minus_1"]))
        rows.append(r)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)) for r in rows)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="darkscan (distributed)", description=__doc__)
    p.add_argument("kind", choices=["count", "skim", "hist"])
    p.add_argument("files", nargs="*", help="input files; after '--' anything is a file")
    p.add_argument("--darkscan", required=True, help="the darkscan binary (the same path on every worker)")
    p.add_argument("--worker-darkscan", help="the darkscan binary's path on the workers, when it differs")
    p.add_argument("--cluster")
    p.add_argument("--scheduler-file")
    p.add_argument("--events-per-task", type=int, default=10_000_000)
    p.add_argument("--task-threads", type=int, default=1)
    p.add_argument("--retries", type=int, default=3)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cores", type=int)
    p.add_argument("--memory")
    p.add_argument("--walltime")
    p.add_argument("--queue")
    p.add_argument("--job-extra", action="append", default=[])
    p.add_argument("--interface")
    p.add_argument("--scheduler-port", type=int)
    p.add_argument("--where", default="")
    p.add_argument("--define", action="append", default=[])
    p.add_argument("--weight")
    p.add_argument("--n-minus-1", action="store_true")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--hist", action="append", default=[])
    p.add_argument("--spills", help="a good-spill list (Formats/SPILLS.md)")
    p.add_argument("--friend", action="append", default=[], help="a friend dataset FILE|DATASET[:PREFIX] (repeatable)")
    p.add_argument("--friend-missing", choices=["error", "skip", "null"])
    p.add_argument("--select")
    p.add_argument("--codec")
    p.add_argument("-o", "--output")
    p.add_argument("--hist-output", help="hist: the UHI JSON file of the summed histograms")
    p.add_argument("--plot", help="hist: draw the summed histograms into this folder")
    p.add_argument("--format", default="png", choices=["png", "svg", "pdf"])
    p.add_argument("--beam-energy", type=float, help="hist --preset ecal-hcal: the beam energy of the zones, in GeV")
    p.add_argument("--preset", choices=["ecal-hcal"], help="hist: draw the preset's picture")
    p.add_argument("--json", action="store_true")
    p.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    return p


def _error(message: str) -> None:
    sys.stderr.write(f"darkscan: {message}\n")


def main(argv: list[str]) -> int:
    files: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, files = argv[:cut], argv[cut + 1:]
    a = parser().parse_args(argv)
    a.files += files
    if a.kind == "skim" and not a.output:
        _error("a distributed skim needs -o DIR (the job directory)")
        return 64
    job = Job(kind=a.kind, paths=a.files, where=a.where, defines=a.define, weight=a.weight, n_minus_1=a.n_minus_1,
              select=[s.strip() for s in a.select.split(",")] if a.select else None, codec=a.codec, histograms=a.hist,
              verify=not a.no_verify, spills=a.spills, friends=a.friend, friend_missing=a.friend_missing, output=a.output,
              events_per_task=a.events_per_task, task_threads=a.task_threads,
              retries=a.retries, resume=a.resume, darkscan=a.darkscan, worker_darkscan=a.worker_darkscan)
    batch = BatchOptions(jobs=a.jobs, cores=a.cores, memory=a.memory, walltime=a.walltime, queue=a.queue, job_extra=a.job_extra,
                         interface=a.interface, scheduler_port=a.scheduler_port)
    progress = {"auto": None, "always": True, "never": False}[a.progress]

    def terminated(signum, frame):  # a batch system or `kill` stops the driver: as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    try:
        result = run(job, a.cluster if a.scheduler_file is None else None, scheduler_file=a.scheduler_file, batch=batch,
                     progress=progress)
    except PlanError as e:
        sys.stderr.write(str(e) + "\n")
        return e.exit_code if e.exit_code in (1, 2, 64) else 1
    except ClusterUnavailable as e:
        _error(str(e))
        _where_manifest(job)
        return 69
    except JobDirError as e:
        _error(str(e))
        return 64
    except MergeError as e:
        _error(f"cannot merge: {e}")
        _where_manifest(job)
        return 1
    except KeyboardInterrupt:
        _error("stopped" + (f"; {job.output}/manifest.json marks what is missing: continue with --resume" if job.output else ""))
        return 130
    report(result, job, a.json)
    if job.kind == "hist" and result.complete:
        return histogram_outputs(result, a)
    return 0 if result.complete else 1


def histogram_outputs(result: JobResult, a: argparse.Namespace) -> int:
    """A hist job's summed histograms: written as UHI JSON (-o), drawn into a folder (--plot) or,
    with neither, in the terminal, by the darkscan command's own `plot`."""
    hists = result.histograms or {}
    if a.beam_energy is not None:
        for h in hists.values():
            h.setdefault("metadata", {})["darkscan.beam_energy_gev"] = a.beam_energy
    target = a.hist_output
    temporary = None
    if target is None:
        fd, temporary = tempfile.mkstemp(prefix="darkscan-hist-", suffix=".json")
        os.close(fd)
        target = temporary
    try:
        partial = target + ".partial"
        try:
            with open(partial, "w") as f:
                json.dump(hists, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, target)
        except OSError as e:
            _error(f"{target}: cannot write the histograms: {e.strerror}")
            try:
                os.unlink(partial)
            except OSError:
                pass
            return 1
        if a.plot is not None or a.hist_output is None:
            argv = [a.darkscan, "plot", target]
            if a.preset is not None and a.plot is not None:
                argv += ["--preset", a.preset]
            if a.plot is not None:
                argv += ["-o", a.plot, "--format", a.format]
            sys.stdout.flush()
            code = subprocess.run(argv, stdin=subprocess.DEVNULL).returncode
            if code != 0:
                return 1
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    return 0


def _where_manifest(job: Job) -> None:
    if job.output:
        sys.stderr.write(f"  {job.output}/manifest.json marks every partition not done as missing\n")


def as_command_json(m: dict, job: Job) -> dict:
    """What `darkscan count|skim --json` prints without --cluster (the cut flow's members at the
    top, the query, the files, seconds and events/s), with the job's completeness, summary,
    missing partitions, histograms and exposure, and for a skim the job directory."""
    s = m["summary"]
    o = dict(m["cut_flow"])
    o.update({"query": job.where, "files": [i["path"] for i in m["inputs"]], "seconds": s["seconds"],
              "events_per_second": s["events_per_second"], "complete": m["complete"], "partitions": m["partitions"],
              "missing": m["missing"], "summary": s})
    if "histograms" in m:
        o["histograms"] = m["histograms"]
    if "exposure" in m:  # the totals, as darkscan count --json prints them; the rows stay in the manifest
        o["exposure"] = {k: v for k, v in m["exposure"].items() if k != "rows"}
    if job.kind == "skim":
        o.update({"output": job.output, "manifest": f"{job.output}/manifest.json",
                  "events_written": sum(p.get("events", 0) for p in m["parts"])})
    elif job.output:
        o["manifest"] = f"{job.output}/manifest.json"
    return o


def _sci(x: float) -> str:
    """As `darkscan count` writes an EOT: whole below 1e5, else 4 significant digits (1.003e07)."""
    return "0" if x == 0 else str(int(x)) if x < 1e5 else ("%.4g" % x).replace("+", "")


def exposure_lines(e: Optional[dict], job: Job) -> list[str]:
    """The job's exposure as `darkscan count` prints it after the cut flow: the EOT of the
    spills read (or selected by the spill list), and the events it does not cover."""
    if not e:
        return []
    out = []
    rows = e.get("rows")
    if rows is not None or e.get("spills"):
        runs = len({r["run"] for r in rows}) if rows is not None else None
        spills = e.get("spills", 0)
        line = f"exposure: {_sci(float(e.get('eot', 0)))} EOT in {spills} spill{'s' if spills != 1 else ''}"
        if runs is not None:
            line += f" of {runs} run{'s' if runs != 1 else ''}"
        if e.get("flagged_spills"):
            line += f" ({e['flagged_spills']} flagged by their scalers)"
        if job.spills:
            line += f", spill list {job.spills}"
        out.append(line)
    if e.get("files_without_exposure"):
        files = e["files_without_exposure"]
        out.append(f"warning: {len(files)} file{' has' if len(files) == 1 else 's have'} no exposure table: "
                   + ", ".join(files[:3]) + (", …" if len(files) > 3 else ""))
    n = e.get("events_without_exposure", 0)
    if n:
        out.append(f"warning: {n} event{'s' if n != 1 else ''} without an exposure row, not covered by the EOT")
    return out


def report(result: JobResult, job: Job, as_json: bool) -> None:
    m, s = result.manifest, result.summary
    for n in result.notes:
        sys.stderr.write(f"darkscan: {n}\n")
    if as_json:
        print(json.dumps(as_command_json(m, job), indent=1, sort_keys=True))
    elif result.complete and job.kind != "hist":
        print(table(m["cut_flow"]))
    line = (f"{count(m['events_processed'])} events in {m['partitions']} partition{'s' if m['partitions'] != 1 else ''} on "
            f"{s['cluster']}, {s['seconds']:.2f} s, {count(s['events_per_second'])} events/s; {s['tasks']} tasks, "
            f"{s['tasks_retried']} retried, {s['workers_lost']} worker{'s' if s['workers_lost'] != 1 else ''} lost")
    if s.get("partitions_resumed"):
        line += f"; {s['partitions_resumed']} partitions taken from the journal"
    if job.kind == "skim":
        written = sum(p.get("events", 0) for p in m["parts"])
        line += f"\n{job.output}: {count(written)} events written in {len(m['parts'])} parts; {job.output}/manifest.json"
    elif job.output:
        line += f"\n{job.output}/manifest.json"
    sys.stderr.write(line + "\n")
    for x in exposure_lines(m.get("exposure"), job):
        sys.stderr.write(x + "\n")
    if not result.complete:
        missing = result.missing
        _error(f"incomplete: {len(missing)} of {m['partitions']} partitions missing"
               + (f" ({job.output}/manifest.json marks them; run again with --resume)" if job.output else ""))
        for x in missing[:10]:
            sys.stderr.write(f"  partition {x['id']} ({x['file']} events {x['first_event']}..<{x['end_event']}): {x['reason']}\n")
        if len(missing) > 10:
            sys.stderr.write(f"  … and {len(missing) - 10} more\n")
