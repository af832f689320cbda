import Darkscan
import Foundation
import Testing

/// Every writer on a full disk: a small tmpfs fills up; each command must exit 1 with a one-line
/// error naming ENOSPC, never trap, and leave what its documentation says (no output file; a
/// `.partial` only where a resume or recovery can use it).
@Suite(.serialized) struct FullDiskTests {
    /// Mounts a tmpfs of `megabytes` at a fresh folder, runs `body`, unmounts. Nil (and a
    /// message) when mounting is not permitted here.
    static func withSmallDisk(megabytes: Int, _ body: (String) throws -> Void) throws {
        let dir = CLI.scratch("full")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mount = try CLI.system("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", dir])
        guard mount.status == 0 else {
            print("FullDiskTests skipped: cannot mount a tmpfs here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? CLI.system("/bin/umount", [dir]) }
        try body(dir)
    }

    static func expectDiskFull(_ r: CLI.Result, _ what: String) {
        #expect(r.status == 1, "\(what): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.contains("No space left on device"), "\(what): \(r.stderr)")
        #expect(!r.stderr.contains("Illegal instruction") && !r.stderr.contains("Crash"), "\(what): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { !$0.contains("\r") && !$0.isEmpty }
        #expect(lines.count == 1, "\(what): a one-line error, got \(r.stderr)")
    }

    static func files(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? [] }

    @Test func everyWriterReportsAFullDisk() throws {
        // Inputs on the ordinary disk: 12 MB of EVC and a raw file.
        let input = CLI.scratch("big.evc")
        let sim = try CLI.run(["simulate", "--run", "7", "--events", "20000", "--format", "evc", "-o", input])
        #expect(sim.status == 0, "\(sim.stderr)")
        let raw = CLI.scratch("cdr01001-000007.dat")
        let simRaw = try CLI.run(["simulate", "--run", "7", "--events", "3000", "-o", raw])
        #expect(simRaw.status == 0, "\(simRaw.stderr)")

        try Self.withSmallDisk(megabytes: 2) { dir in
            let r = try CLI.run(["simulate", "--run", "7", "--events", "20000", "--format", "evc", "-o", dir + "/sim.evc"])
            Self.expectDiskFull(r, "simulate --format evc")
            #expect(Self.files(dir).isEmpty, "simulate leaves nothing: \(Self.files(dir))")

            let rr = try CLI.run(["simulate", "--run", "7", "--events", "3000", "-o", dir + "/cdr01001-000008.dat"])
            Self.expectDiskFull(rr, "simulate --format raw")
            #expect(Self.files(dir).isEmpty, "simulate raw leaves nothing: \(Self.files(dir))")

            let s = try CLI.run(["skim", input, "--where", "event >= 0", "-o", dir + "/skim.evc"])
            Self.expectDiskFull(s, "skim")
            #expect(Self.files(dir).isEmpty, "skim leaves nothing: \(Self.files(dir))")

            let m = try CLI.run(["merge", input, "-o", dir + "/merged.evc"])
            Self.expectDiskFull(m, "merge")
            #expect(Self.files(dir).isEmpty, "merge leaves nothing: \(Self.files(dir))")

            let e = try CLI.run(["export", input, "--compression", "none", "-o", dir + "/all.arrow"])
            Self.expectDiskFull(e, "export")
            #expect(Self.files(dir).isEmpty, "export leaves nothing: \(Self.files(dir))")

            // convert keeps OUT.partial: `convert --resume` continues it once there is room.
            let c = try CLI.run(["convert", raw, "--codec", "none", "--keep-waveforms", "-o", dir + "/conv.evc"])
            Self.expectDiskFull(c, "convert")
            #expect(!Self.files(dir).contains("conv.evc"), "convert leaves no complete-looking output: \(Self.files(dir))")
        }
    }
}

extension CLI {
    /// Runs a program with its output captured.
    static func system(_ program: String, _ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
