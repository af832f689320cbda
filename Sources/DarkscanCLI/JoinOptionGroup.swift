import ArgumentParser
import Darkscan
import Foundation

/// Options that add to what a command reads: a good-spill list, friend datasets.
struct JoinOptionGroup: ParsableArguments {
    @Option(help: "A good-spill list (Formats/SPILLS.md): read only its spills' events; the EOT is that of its spills.")
    var spills: String?

    @Option(name: .customLong("friend"), help: "Join the fields of another dataset by (run, event) as PREFIX.field: FILE|DATASET[:PREFIX] (repeatable; default prefix: the file name's last dotted part, truth for NAME.truth.evc).")
    var friends: [String] = []

    @Option(name: .customLong("friend-missing"), help: "Events a friend lacks: error (default), skip (a cut-flow line), null (NaN or 0).")
    var friendMissing: FriendMissing = .error

    /// These options for the partitions of a distributed job, which may run in another working
    /// directory or on another node: the spill list's and the friends' paths made absolute (URLs
    /// kept), each friend with its prefix spelled out.
    func arguments() throws -> [String] {
        var a: [String] = []
        if let spills { a.append("--spills=" + Plan.absolute(spills)) }
        for f in friends {
            let friend: Friend
            do { friend = try Friend(parsing: f) } catch { throw Terminal.fail(error) }
            a.append("--friend=" + Plan.absolute(friend.paths[0]) + ":" + friend.prefix)
        }
        if friendMissing != .error { a.append("--friend-missing=" + friendMissing.rawValue) }
        return a
    }

    /// The options, with the spill list read (a bad line: file:line and exit 1).
    func options() throws -> QueryOptions {
        var o = QueryOptions()
        if let spills {
            let text: String
            do { text = try String(contentsOfFile: spills, encoding: .utf8) } catch {
                Terminal.error("\(spills): cannot read the spill list: \(error.localizedDescription)")
                throw ExitCode(1)
            }
            do { o.spills = try SpillList(text: text, name: spills) } catch { throw Terminal.fail(error) }
        }
        do { o.friends = try friends.map { (f) throws(EVCError) in try Friend(parsing: f) } } catch { throw Terminal.fail(error) }
        o.friendMissing = friendMissing
        return o
    }

    /// A line per friend and the exposure summary, on stderr.
    static func notes(_ flow: CutFlow) {
        for j in flow.joins { Terminal.note(j.line()) }
        for l in flow.exposure?.lines() ?? [] { Terminal.note(l) }
    }
}

extension FriendMissing: ExpressibleByArgument {}
