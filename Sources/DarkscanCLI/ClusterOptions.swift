import ArgumentParser
import Darkscan
import Foundation

/// `--cluster`: run a command as a distributed job on Dask. The driver is Python
/// (`darkscan.distributed` in the Python package); this command finds a Python that has it and
/// hands over to it (see `ClusterLaunch`).
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run on a Dask cluster: local[:N] (a LocalCluster of N worker processes; the default when --cluster is given bare), tcp://HOST:PORT (a running scheduler), slurm or htcondor (batch jobs through dask-jobqueue).",
                               valueName: "spec"))
    var cluster: String?

    @Option(help: ArgumentHelp("Connect to the scheduler that wrote this file (dask scheduler --scheduler-file F).", valueName: "file"))
    var schedulerFile: String?

    @Option(help: "Events per partition (whole clusters of one file each).")
    var eventsPerTask: Int = PlanCommand.defaultEventsPerTask

    @Flag(help: "Continue a job whose driver was stopped: partitions already done are merged from the job directory, not run again.")
    var resume = false

    @Option(help: ArgumentHelp("Directory of a count's journal and manifest (a skim's is -o); needed for --resume.", valueName: "dir"))
    var jobDir: String?

    @Option(help: "Batch jobs (Dask workers) to submit to Slurm or HTCondor (default: 2).")
    var jobs: Int?

    @Option(help: "Cores of each batch job (default: the dask-jobqueue configuration).")
    var cores: Int?

    @Option(help: ArgumentHelp("Memory of each batch job, e.g. 4GB (default: the dask-jobqueue configuration).", valueName: "size"))
    var memory: String?

    @Option(help: ArgumentHelp("Wall time of each batch job, e.g. 02:00:00; longer than the longest task.", valueName: "time"))
    var walltime: String?

    @Option(help: "Slurm partition (queue) of the batch jobs.")
    var queue: String?

    @Option(help: ArgumentHelp("An extra line for the batch job's description (#SBATCH option or HTCondor submit command, e.g. '+JobFlavour = \"longlunch\"'), repeatable.",
                               valueName: "line"))
    var jobExtra: [String] = []

    @Option(help: ArgumentHelp("Network interface the scheduler and workers listen on (e.g. ib0), so that batch nodes reach the scheduler.", valueName: "name"))
    var interface: String?

    @Option(help: "Port of the scheduler of --cluster slurm|htcondor (default: any free port).")
    var schedulerPort: Int?

    @Option(help: "Threads each task's darkscan process uses (Dask runs one task per worker thread).")
    var taskThreads: Int = 1

    @Option(help: "Times a failed partition is retried.")
    var retries: Int = 3

    @Option(help: ArgumentHelp("The darkscan binary's path on the workers, when it is not this binary's path.", valueName: "path"))
    var workerDarkscan: String?

    @Option(help: ArgumentHelp("The Python that runs the driver (default: $DARKSCAN_PYTHON, a venv beside this binary, python3).", valueName: "path"))
    var python: String?

    var active: Bool { cluster != nil || schedulerFile != nil }

    func validate() throws {
        guard eventsPerTask >= 1 else { throw ValidationError("--events-per-task must be at least 1") }
        guard taskThreads >= 1 else { throw ValidationError("--task-threads must be at least 1") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1") }
        if cluster != nil && schedulerFile != nil { throw ValidationError("--cluster and --scheduler-file name two clusters: give one") }
        if let c = cluster, !Self.isSpec(c) {
            throw ValidationError("--cluster must be local, local:N, tcp://HOST:PORT, slurm or htcondor; got '\(c)'")
        }
        if !active && (resume || jobDir != nil || jobs != nil || cores != nil || memory != nil || walltime != nil || queue != nil
                       || !jobExtra.isEmpty || interface != nil || schedulerPort != nil || python != nil || workerDarkscan != nil) {
            throw ValidationError("these options go with --cluster or --scheduler-file")
        }
    }

    static func isSpec(_ s: String) -> Bool {
        if s == "local" || s == "slurm" || s == "htcondor" || s.contains("://") { return true }
        if s.hasPrefix("local:"), let n = Int(s.dropFirst(6)), n >= 1 { return true }
        return false
    }

    /// `--cluster` given bare (last, or followed by something that is not a cluster spec) means
    /// `--cluster local`: the argument list is rewritten so the parser sees a value.
    static func normalize(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            out.append(args[i])
            if args[i] == "--" {
                out += args[(i + 1)...]
                break
            }
            if args[i] == "--cluster" && (i + 1 == args.count || !isSpec(args[i + 1])) { out.append("local") }
            i += 1
        }
        return out
    }

    /// The driver's options for these settings (python/darkscan/distributed/_cli.py).
    func driverArguments() -> [String] {
        var a: [String] = []
        if let cluster { a += ["--cluster", cluster] }
        if let schedulerFile { a += ["--scheduler-file", schedulerFile] }
        a += ["--events-per-task", String(eventsPerTask), "--task-threads", String(taskThreads), "--retries", String(retries)]
        if resume { a.append("--resume") }
        if let jobs { a += ["--jobs", String(jobs)] }
        if let cores { a += ["--cores", String(cores)] }
        if let memory { a += ["--memory", memory] }
        if let walltime { a += ["--walltime", walltime] }
        if let queue { a += ["--queue", queue] }
        for l in jobExtra { a += ["--job-extra", l] }
        if let interface { a += ["--interface", interface] }
        if let schedulerPort { a += ["--scheduler-port", String(schedulerPort)] }
        if let workerDarkscan { a += ["--worker-darkscan", workerDarkscan] }
        return a
    }
}
