/// An object identifier as a list of sub-identifiers.
public typealias OID = [UInt32]

extension Array where Element == UInt32 {
    /// Dotted-decimal form, e.g. `1.3.6.1.3.8684`.
    public var dotted: String { map(String.init).joined(separator: ".") }

    /// Parses dotted-decimal text (a leading dot is allowed).
    public init?(dotted text: String) {
        let parts = text.drop(while: { $0 == "." }).split(separator: ".", omittingEmptySubsequences: false)
        var out: [UInt32] = []
        for p in parts {
            guard let v = UInt32(p) else { return nil }
            out.append(v)
        }
        guard !out.isEmpty else { return nil }
        self = out
    }

    @inlinable
    public func hasPrefix(_ prefix: OID) -> Bool {
        count >= prefix.count && self[0..<prefix.count].elementsEqual(prefix)
    }
}

/// Lexicographic order of OIDs (and of index suffixes): the order of GETNEXT.
/// Inlinable: the MIB view calls it on every step of a walk, and an unspecialized generic
/// across the module boundary costs more than the comparison.
@inlinable @inline(__always)
public func oidLess<A: RandomAccessCollection, B: RandomAccessCollection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt32, B.Element == UInt32 {
    var i = a.startIndex, j = b.startIndex
    while i != a.endIndex && j != b.endIndex {
        let x = a[i], y = b[j]
        if x != y { return x < y }
        i = a.index(after: i)
        j = b.index(after: j)
    }
    return i == a.endIndex && j != b.endIndex
}

/// The position of the first of `count` sorted OIDs (or index suffixes) that is greater
/// than `oid`; `count` if none is. `key(i)` is the i-th OID. The one binary search of
/// GET and GETNEXT: inlinable, since a walk calls it on every step.
@inlinable
public func firstOID<A: RandomAccessCollection, K: RandomAccessCollection>(
    after oid: A, count: Int, key: (Int) -> K
) -> Int where A.Element == UInt32, K.Element == UInt32 {
    var lo = 0, hi = count
    while lo < hi {
        let mid = (lo + hi) / 2
        if oidLess(oid, key(mid)) { hi = mid } else { lo = mid + 1 }
    }
    return lo
}
