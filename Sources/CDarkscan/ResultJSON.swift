import Darkscan

// The JSON text of the values the C interface returns (cut flows, dataset metadata): the
// `[String: Any]` trees the command prints with --json, turned into `JSON` values and written in
// the command's layout (`JSONWriter.Style.expanded`: two-space indent, "key" : value, keys
// sorted). Numbers: integers as they are; doubles holding a whole number below 10^15 as integers,
// other finite doubles in their shortest round-trip form, NaN and infinities (not JSON) as null.

/// `value` (dictionaries with String keys, arrays, strings, integers, doubles, booleans) as JSON text.
func jsonText(_ value: Any) -> String {
    JSONWriter.encode(JSON(any: value), style: .expanded)
}
