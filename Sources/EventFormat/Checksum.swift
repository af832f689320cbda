import CXXHash

/// XXH3-64 with seed 0, the checksum of every EVC block, page and trailer.
public enum Checksum {
    public static func xxh3(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        XXH3_64bits(bytes.baseAddress, bytes.count)
    }

    public static func xxh3(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { xxh3($0) }
    }
}
