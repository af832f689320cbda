import CLZ4
import CZstd

/// The general-purpose compressor applied to a page after its encoding.
public enum Codec: Sendable, Equatable, CustomStringConvertible {
    case none
    case lz4
    case zstd(level: Int32)

    /// The codec id stored in page records (the zstd level is not stored: decoding ignores it).
    public var id: UInt8 {
        switch self {
        case .none: 0
        case .lz4: 1
        case .zstd: 2
        }
    }

    public static func named(_ id: UInt8) -> String? {
        switch id {
        case 0: "none"
        case 1: "lz4"
        case 2: "zstd"
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd(let level): "zstd-\(level)"
        }
    }

    /// Parses `none`, `lz4`, `zstd` or `zstd-N`.
    public init?(parsing s: String) {
        switch s {
        case "none": self = .none
        case "lz4": self = .lz4
        case "zstd": self = .zstd(level: 3)
        default:
            guard s.hasPrefix("zstd-"), let l = Int32(s.dropFirst(5)), (-7...22).contains(l) else { return nil }
            self = .zstd(level: l)
        }
    }

    /// Largest output `compress` can produce for `n` input bytes.
    func bound(_ n: Int) -> Int {
        switch self {
        case .none: n
        case .lz4: Int(LZ4_compressBound(Int32(clamping: n)))
        case .zstd: ZSTD_compressBound(n)
        }
    }

    /// Compresses `src` into `dst` (which holds `bound(src.count)` bytes); returns the size, or
    /// nil when the library fails.
    func compress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) -> Int? {
        switch self {
        case .none:
            dst.copyMemory(from: src)
            return src.count
        case .lz4:
            let n = LZ4_compress_default(
                src.baseAddress?.assumingMemoryBound(to: CChar.self), dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(src.count), Int32(clamping: dst.count))
            return n > 0 || src.isEmpty ? Int(n) : nil
        case .zstd(let level):
            let n = ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level)
            return ZSTD_isError(n) != 0 ? nil : n
        }
    }
}

/// Decompression of stored page bytes into a caller buffer of exactly the encoded size.
enum Decompressor {
    /// Returns nil (never traps) when the bytes do not decompress to exactly `dst.count` bytes.
    static func decompress(codec: UInt8, _ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer) -> String? {
        switch codec {
        case 0:
            guard src.count == dst.count else { return "stored size \(src.count) differs from encoded size \(dst.count)" }
            if !src.isEmpty { dst.copyMemory(from: src) }
            return nil
        case 1:
            guard src.count <= Int(Int32.max), dst.count <= Int(Int32.max) else { return "lz4 page larger than 2 GiB" }
            let n = LZ4_decompress_safe(
                src.baseAddress?.assumingMemoryBound(to: CChar.self), dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(src.count), Int32(dst.count))
            if n < 0 { return "lz4 data is corrupt" }
            return Int(n) == dst.count ? nil : "lz4 data decompresses to \(n) bytes, expected \(dst.count)"
        case 2:
            let n = ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count)
            if ZSTD_isError(n) != 0 { return "zstd: " + String(cString: ZSTD_getErrorName(n)) }
            return n == dst.count ? nil : "zstd data decompresses to \(n) bytes, expected \(dst.count)"
        default:
            return "unknown codec \(codec)"
        }
    }
}
