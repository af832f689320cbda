/// The line format shared by channel maps and calibration files: `#` comments, blank lines,
/// `runs FIRST LAST` sections (LAST may be `-`), and whitespace-separated fields.
struct TextConfig {
    struct Line {
        var number: Int
        var fields: [Substring]
    }

    struct Section {
        var runs: ClosedRange<UInt32>
        var lines: [Line] = []
    }

    /// The sections of `text`; lines before any `runs` line belong to all runs.
    static func sections(_ text: String, path: String, code: DAQError.Code) throws(DAQError) -> [Section] {
        var sections: [Section] = []
        var current = Section(runs: 0...UInt32.max)
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {  // \n, \r\n (one Character) or \r
            number += 1
            let content = raw.prefix(while: { $0 != "#" })
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = fields.first else { continue }
            if first == "runs" {
                guard fields.count == 3, let lo = UInt32(fields[1]), let hi = fields[2] == "-" ? UInt32.max : UInt32(fields[2]), lo <= hi else {
                    throw DAQError(code, "expected 'runs FIRST LAST' with FIRST <= LAST (LAST may be '-')", path: path, line: number)
                }
                if !current.lines.isEmpty { sections.append(current) }
                current = Section(runs: lo...hi)
                continue
            }
            current.lines.append(Line(number: number, fields: Array(fields)))
        }
        if !current.lines.isEmpty { sections.append(current) }
        return sections
    }
}
