// JSON text of the values the C interface returns (cut flows, dataset metadata), laid out as the
// command's --json prints them (two-space indent, "key" : value, keys sorted), without
// Foundation. Numbers: integers as they are, doubles in their shortest round-trip form, NaN and
// infinities (not JSON) as null.

/// `value` (dictionaries with String keys, arrays, strings, integers, doubles, booleans) as JSON.
func jsonText(_ value: Any) -> String {
    var out = ""
    writeJSON(value, indent: 0, into: &out)
    return out
}

private func writeJSON(_ value: Any, indent: Int, into out: inout String) {
    let pad = String(repeating: " ", count: indent + 2), end = String(repeating: " ", count: indent)
    switch value {
    case let d as [String: Any]:
        guard !d.isEmpty else { out += "{\n\n\(end)}"; return }
        out += "{\n"
        for (i, k) in d.keys.sorted().enumerated() {
            out += pad
            writeString(k, into: &out)
            out += " : "
            writeJSON(d[k]!, indent: indent + 2, into: &out)
            out += i == d.count - 1 ? "\n" : ",\n"
        }
        out += end + "}"
    case let d as [String: String]:
        writeJSON(d as [String: Any], indent: indent, into: &out)
    case let a as [Any]:
        guard !a.isEmpty else { out += "[\n\n\(end)]"; return }
        out += "[\n"
        for (i, v) in a.enumerated() {
            out += pad
            writeJSON(v, indent: indent + 2, into: &out)
            out += i == a.count - 1 ? "\n" : ",\n"
        }
        out += end + "]"
    case let s as String: writeString(s, into: &out)
    case let b as Bool: out += b ? "true" : "false"
    case let i as Int: out += String(i)
    case let x as Double: out += x.isFinite ? (x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)") : "null"
    default: out += "null"
    }
}

private func writeString(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    out += "\""
}
