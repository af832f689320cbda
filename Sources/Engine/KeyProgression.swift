import EventFormat

/// Key values known without decoding: a stretch of a column where the value is `first + step ×
/// i`. A page encoded `const`, or `for` or `delta` with zero-width packing, is such a stretch
/// (Formats/EVC.md, section 7.1): its statistics or its first bytes say which. Run numbers
/// (constant over long runs of events) and event numbers (consecutive) are stored that way, so
/// that a friend join can prove two datasets' keys equal, batch by batch, from their page
/// records alone.
struct KeyStretch: Equatable {
    var count: Int
    var first: UInt64
    var step: UInt64

    /// The value at `i` (wrapping, as the encodings do).
    func value(_ i: Int) -> UInt64 { first &+ step &* UInt64(i) }
}

extension ColumnCursor {
    /// The values of elements `range` as stretches, or nil when a page among them is stored
    /// otherwise (then the values must be decoded). `known` keeps what each page was found to
    /// be, for the next batches over the same pages.
    func stretches(_ range: Range<Int>, known: inout [Int: KeyStretch?]) throws(EVCError) -> [KeyStretch]? {
        guard !range.isEmpty, range.upperBound <= elementCount else { return range.isEmpty ? [] : nil }
        let pages = cluster.columns[column].pages
        let type = file.schema.columns[column].type
        // Unsigned keys only: their stored 64-bit patterns are the values `KeyValues` reads.
        guard type.isUnsignedInteger else { return nil }
        var out: [KeyStretch] = []
        var lo = 0, hi = starts.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= range.lowerBound { lo = mid } else { hi = mid - 1 }
        }
        var p = lo
        while p < pages.count && starts[p] < range.upperBound {
            let s: KeyStretch?
            if let k = known[p] { s = k } else {
                s = try stretch(of: p, type: type)
                known[p] = s
            }
            guard let s else { return nil }
            // The part of the page inside the range.
            let a = max(range.lowerBound, starts[p]), b = min(range.upperBound, starts[p + 1])
            out.append(KeyStretch(count: b - a, first: s.value(a - starts[p]), step: s.step))
            p += 1
        }
        return out
    }

    /// Page `p` as one stretch, from its record (and, for `delta`, its 16 header bytes).
    private func stretch(of p: Int, type: ScalarType) throws(EVCError) -> KeyStretch? {
        let page = cluster.columns[column].pages[p]
        let n = page.count
        switch page.encoding {
        case .constant:
            guard page.stats.hasRange, page.stats.min == page.stats.max else { return nil }
            return KeyStretch(count: n, first: page.stats.min, step: 0)
        case .frameOfReference:
            // u64 reference, u8 width 0, 8 bytes of padding: every value is the reference.
            guard page.encodedSize == 17, page.stats.hasRange, page.stats.min == page.stats.max else { return nil }
            return KeyStretch(count: n, first: page.stats.min, step: 0)
        case .delta:
            // u64 first, u64 min delta, u8 width 0, 8 bytes of padding.
            guard page.encodedSize == 25, let head = try file.encodedBytes(cluster: cluster, column: column, page: p), head[16] == 0 else { return nil }
            let first = head.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            let step = head.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
            // Narrower types keep the low bytes of each sum: linear only without steps.
            guard type.width == 8 || step == 0 else { return nil }
            return KeyStretch(count: n, first: first, step: step)
        default:
            return nil
        }
    }
}

enum KeyStretches {
    /// True when two sequences of stretches give the same values (both over the same count).
    static func equal(_ a: [KeyStretch], _ b: [KeyStretch]) -> Bool {
        var i = 0, j = 0, ai = 0, bj = 0  // stretch indices and offsets within them
        while i < a.count && j < b.count {
            let n = min(a[i].count - ai, b[j].count - bj)
            // Two arithmetic sequences agree on n points when they start alike with one step.
            guard a[i].value(ai) == b[j].value(bj), n == 1 || a[i].step == b[j].step else { return false }
            ai += n
            bj += n
            if ai == a[i].count { i += 1; ai = 0 }
            if bj == b[j].count { j += 1; bj = 0 }
        }
        return i == a.count && j == b.count
    }
}
