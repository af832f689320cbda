/// A friend dataset to join by (run, event): its files and the prefix its fields take
/// (`truth.kind`). The command line writes it `FILE|DATASET[:prefix]`.
public struct Friend: Sendable, Equatable {
    /// EVC files, globs or directories, read as one dataset.
    public var paths: [String]
    public var prefix: String

    public init(paths: [String], prefix: String) {
        self.paths = paths
        self.prefix = prefix
    }

    /// `FILE|DATASET[:prefix]`; without a prefix, the file name's last dotted part before `.evc`
    /// (`cdr01001-004242.truth.evc` gives `truth`).
    public init(parsing text: String) throws(EVCError) {
        var path = text, prefix: String? = nil
        if let colon = text.lastIndex(of: ":") {
            let tail = String(text[text.index(after: colon)...])
            if !tail.isEmpty && !tail.contains("/") {
                path = String(text[..<colon])
                prefix = tail
            }
        }
        guard !path.isEmpty else { throw EVCError(.badArgument, "--friend needs a file or dataset: FILE[:prefix]") }
        let p = prefix ?? Friend.defaultPrefix(path)
        guard Friend.isName(p) else {
            throw EVCError(.badArgument, "friend prefix '\(p)' must start with a letter or _ and hold only letters, digits and _ (give one as FILE:prefix)")
        }
        self.init(paths: [path], prefix: p)
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.isASCII && f.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func defaultPrefix(_ path: String) -> String {
        var name = Substring(path.split(separator: "/").last ?? Substring(path))
        if name.hasSuffix(".evc") { name = name.dropLast(4) }
        if let dot = name.lastIndex(of: ".") { name = name[name.index(after: dot)...] }
        var out = String(name.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_" })
        if out.isEmpty || !isName(out) { out = "friend" + (out.isEmpty ? "" : "_" + out) }
        return out
    }
}
