import Darkscan

// The JSON text of the values the C interface returns (cut flows, dataset metadata): the
// `[String: Any]` trees the command prints with --json, turned into `JSON` values and written in
// the command's layout (`JSONWriter.Style.expanded`: two-space indent, "key" : value, keys
// sorted). Numbers: integers as they are; doubles holding a whole number below 10^15 as integers,
// other finite doubles in their shortest round-trip form, NaN and infinities (not JSON) as null.

/// `value` (dictionaries with String keys, arrays, strings, integers, doubles, booleans) as JSON text.
func jsonText(_ value: Any) -> String {
    JSONWriter.encode(json(value), style: .expanded)
}

private func json(_ value: Any) -> JSON {
    switch value {
    case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, json(d[$0]!)) })
    case let a as [Any]: return .array(a.map(json))
    case let s as String: return .string(s)
    case let b as Bool: return .bool(b)
    case let i as Int: return .int(i)
    case let x as Double:
        guard x.isFinite else { return .null }
        return x == x.rounded() && abs(x) < 1e15 ? .int(Int(x)) : .double(x)
    default: return .null
    }
}
