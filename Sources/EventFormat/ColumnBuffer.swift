#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable, 64-byte-aligned buffer of one scalar type: what writers fill and decoders write
/// into. Decoders write straight into it; typed access is through buffer pointers.
/// Not thread-safe: one thread fills or reads it at a time.
public final class ColumnBuffer: @unchecked Sendable {
    public let type: ScalarType
    public private(set) var count: Int = 0
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int  // in values

    public init(type: ScalarType, capacity: Int = 0) {
        self.type = type
        self.capacity = Swift.max(capacity, 16)
        self.storage = ColumnBuffer.allocate(bytes: self.capacity * type.width)
    }

    deinit { free(storage) }

    private static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        var p: UnsafeMutableRawPointer? = nil
        // 8 spare bytes let 64-bit loads run past the last value of a packed stream.
        guard posix_memalign(&p, 64, Swift.max(bytes, 64) + 8) == 0, let p else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        return p
    }

    public func reserve(_ n: Int) {
        guard n > capacity else { return }
        var newCapacity = capacity
        while newCapacity < n { newCapacity *= 2 }
        let p = ColumnBuffer.allocate(bytes: newCapacity * type.width)
        p.copyMemory(from: storage, byteCount: count * type.width)
        free(storage)
        storage = p
        capacity = newCapacity
    }

    /// Sets the count to `n` values (new values are uninitialized bytes); for decoders.
    public func resize(_ n: Int) {
        reserve(n)
        count = n
    }

    public func removeAll() { count = 0 }

    @inline(__always)
    public func append<T: EVCScalar>(_ v: T) {
        precondition(T.scalarType == type, "appending \(T.self) to a \(type) column")
        if count == capacity { reserve(count + 1) }
        storage.storeBytes(of: v, toByteOffset: count * type.width, as: T.self)
        count += 1
    }

    public func append<T: EVCScalar>(contentsOf values: some Collection<T>) {
        precondition(T.scalarType == type, "appending \(T.self) to a \(type) column")
        reserve(count + values.count)
        let dst = (storage + count * type.width).assumingMemoryBound(to: T.self)
        var i = 0
        for v in values {
            dst[i] = v
            i += 1
        }
        count += values.count
    }

    /// Appends the values `range` of another buffer of the same type.
    public func append(_ other: ColumnBuffer, range: Range<Int>) {
        precondition(other.type == type)
        reserve(count + range.count)
        (storage + count * type.width).copyMemory(from: other.storage + range.lowerBound * type.width, byteCount: range.count * type.width)
        count += range.count
    }

    /// Appends `n` values from raw memory holding values of this buffer's type.
    public func appendRaw(_ p: UnsafeRawPointer, count n: Int) {
        reserve(count + n)
        (storage + count * type.width).copyMemory(from: p, byteCount: n * type.width)
        count += n
    }

    public var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count * type.width) }
    public var mutableRawBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: storage, count: count * type.width) }

    /// The values as a typed buffer, valid while this buffer lives and is not resized.
    public func buffer<T: EVCScalar>(_: T.Type) -> UnsafeBufferPointer<T> {
        precondition(T.scalarType == type, "reading a \(type) column as \(T.self)")
        return UnsafeBufferPointer(start: storage.assumingMemoryBound(to: T.self), count: count)
    }

    /// A copy of the values as an array.
    public func values<T: EVCScalar>(_: T.Type) -> [T] { Array(buffer(T.self)) }

    /// Value `i` widened to Double (for printing and statistics; exact below 2^53).
    public func double(at i: Int) -> Double {
        let p = UnsafeRawPointer(storage)
        switch type {
        case .bool: return p.load(fromByteOffset: i, as: Bool.self) ? 1 : 0
        case .int8: return Double(p.load(fromByteOffset: i, as: Int8.self))
        case .int16: return Double(p.load(fromByteOffset: i * 2, as: Int16.self))
        case .int32: return Double(p.load(fromByteOffset: i * 4, as: Int32.self))
        case .int64: return Double(p.load(fromByteOffset: i * 8, as: Int64.self))
        case .uint8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
        case .uint16: return Double(p.load(fromByteOffset: i * 2, as: UInt16.self))
        case .uint32: return Double(p.load(fromByteOffset: i * 4, as: UInt32.self))
        case .uint64: return Double(p.load(fromByteOffset: i * 8, as: UInt64.self))
        case .float32: return Double(p.load(fromByteOffset: i * 4, as: Float.self))
        case .float64: return p.load(fromByteOffset: i * 8, as: Double.self)
        }
    }

    /// Value `i` as text, exact for every type (integers in full, floats shortest round-trip).
    public func text(at i: Int) -> String {
        let p = UnsafeRawPointer(storage)
        switch type {
        case .bool: return p.load(fromByteOffset: i, as: Bool.self) ? "true" : "false"
        case .int8: return String(p.load(fromByteOffset: i, as: Int8.self))
        case .int16: return String(p.load(fromByteOffset: i * 2, as: Int16.self))
        case .int32: return String(p.load(fromByteOffset: i * 4, as: Int32.self))
        case .int64: return String(p.load(fromByteOffset: i * 8, as: Int64.self))
        case .uint8: return String(p.load(fromByteOffset: i, as: UInt8.self))
        case .uint16: return String(p.load(fromByteOffset: i * 2, as: UInt16.self))
        case .uint32: return String(p.load(fromByteOffset: i * 4, as: UInt32.self))
        case .uint64: return String(p.load(fromByteOffset: i * 8, as: UInt64.self))
        case .float32: return "\(p.load(fromByteOffset: i * 4, as: Float.self))"
        case .float64: return "\(p.load(fromByteOffset: i * 8, as: Double.self))"
        }
    }
}
