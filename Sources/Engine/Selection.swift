/// A selection vector: the sorted indices (within a batch) of the events still selected.
typealias Selection = [Int32]

enum SelectionOps {
    static func all(_ n: Int) -> Selection { (0..<Int32(n)).map { $0 } }

    /// Indices in `a` or `b` (both sorted).
    static func union(_ a: Selection, _ b: Selection) -> Selection {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out = Selection()
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 } else if a[i] > b[j] { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1; j += 1 }
        }
        out += a[i...]
        out += b[j...]
        return out
    }

    /// Indices in `a` but not in `b` (b ⊆ a, both sorted).
    static func minus(_ a: Selection, _ b: Selection) -> Selection {
        if b.isEmpty { return a }
        var out = Selection()
        out.reserveCapacity(a.count - b.count)
        var j = 0
        for x in a {
            if j < b.count && b[j] == x { j += 1 } else { out.append(x) }
        }
        return out
    }
}
