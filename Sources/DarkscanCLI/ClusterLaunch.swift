import ArgumentParser
import Darkscan
import Foundation

/// Hands a `--cluster` command over to the Python driver (`darkscan.distributed`): finds the
/// Python, then replaces this process with it, so that signals, the terminal and the exit code
/// are the driver's own. The driver runs this very binary on every partition.
///
/// The Python is, in order: `--python`; `$DARKSCAN_PYTHON`; `python3` beside this binary (darkscan
/// installed into a virtual environment's bin/); `venv/bin/python` one or two directories above
/// it (the build tree's `.build/venv`, which `tools/setup --python` makes); `python3` on PATH.
/// When that Python cannot import the driver, it says so and exits 69.
enum ClusterLaunch {
    static func run(kind: String, cluster: ClusterOptions, arguments: [String], files: [String]) throws -> Never {
        let exe = executable()
        let python = try findPython(cluster.python, near: exe)
        var argv = [python, "-c", bootstrap, kind, "--darkscan", exe] + cluster.driverArguments() + arguments
        argv.append("--")
        argv += files
        fflush(nil)
        let cargs = argv.map { strdup($0) } + [nil]
        execv(python, cargs)
        Terminal.error("--cluster: cannot run \(python): \(String(cString: strerror(errno)))")
        throw ExitCode(69)
    }

    /// What count and skim check: files unless --partition, never --partition with --cluster.
    static func validate(files: [String], partition: PartitionOptions, cluster: ClusterOptions, quickLook: Bool = false) throws {
        if quickLook && (partition.active || cluster.active) {
            throw ValidationError("--limit and --sample are quick looks on one machine; a partition or a cluster job reads every event it is given")
        }
        if partition.active {
            guard files.isEmpty else { throw ValidationError("--partition names the one file to read: give no other files") }
            guard !cluster.active else { throw ValidationError("--partition runs one partition here; --cluster runs them all: give one") }
        } else if files.isEmpty {
            throw ValidationError("give the EVC files, globs, directories or job manifests to read")
        }
    }

    /// The query, aliases (expanded into defines, so workers need no aliases file), weight,
    /// histogram specs (a --hists file expanded likewise), the spill list and the friends
    /// (absolute paths: a partition may run elsewhere).
    static func queryArguments(_ query: QueryOptionGroup, _ options: QueryOptions) throws -> [String] {
        try queryArguments(query.query, noVerify: query.noVerify, join: query.join, options)
    }

    static func queryArguments(_ query: String, noVerify: Bool, join: JoinOptionGroup, _ options: QueryOptions) throws -> [String] {
        // The `--name=value` form: a value starting with '-' is not taken for an option.
        var a = ["--where=" + query]
        for d in options.defines { a.append("--define=" + d) }
        if let w = options.weight { a.append("--weight=" + w) }
        for h in options.histograms { a.append("--hist=" + h) }
        if noVerify { a.append("--no-verify") }
        return a + (try join.arguments())
    }

    /// This binary's own path (what workers must find at the same place).
    static func executable() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return Plan.absolute(CommandLine.arguments[0])
    }

    static func findPython(_ given: String?, near exe: String) throws -> String {
        if let p = given ?? ProcessInfo.processInfo.environment["DARKSCAN_PYTHON"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard access(p, X_OK) == 0 else {
                Terminal.error("--cluster: the Python \(p) (from \(given != nil ? "--python" : "DARKSCAN_PYTHON")) is not an executable file")
                throw ExitCode(69)
            }
            return p
        }
        let bin = (exe as NSString).deletingLastPathComponent
        var tried = [bin + "/python3", bin + "/../venv/bin/python", bin + "/../../venv/bin/python"]
        for c in tried where access(c, X_OK) == 0 { return (c as NSString).standardizingPath }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let c = "\(dir)/python3"
            if access(c, X_OK) == 0 { return c }
        }
        tried.append("python3 on PATH")
        Terminal.error("""
            --cluster runs its driver in Python (the darkscan package with Dask), but no Python was found \
            (tried \(tried.joined(separator: ", "))). Run tools/setup --python in the source tree, or install \
            the package (pip install './python[distributed]') and set DARKSCAN_PYTHON=/path/to/python.
            """)
        throw ExitCode(69)
    }

    /// Run with `python -c`: imports the driver or explains what is missing (exit 69).
    static let bootstrap = """
        import sys
        try:
            import distributed
            from darkscan.distributed._cli import main
        except ImportError as e:
            sys.stderr.write("darkscan: --cluster runs its driver in Python, but %s cannot import it (%s).\\n"
                             "  Install the darkscan package with Dask into that Python (tools/setup --python does it for the build tree;\\n"
                             "  elsewhere: pip install './python[distributed]'), or name another Python with DARKSCAN_PYTHON=/path/to/python.\\n"
                             % (sys.executable, e))
            sys.exit(69)
        sys.exit(main(sys.argv[1:]))
        """
}
