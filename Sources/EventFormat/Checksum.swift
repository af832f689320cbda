import CKernels

/// XXH3-64 with seed 0, the checksum of every EVC block, page and trailer (libxxhash's
/// algorithm; see CKernels/checksum.c for why it is called through the header).
public enum Checksum {
    public static func xxh3(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        dk_xxh3_64(bytes.baseAddress, bytes.count)
    }

    public static func xxh3(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { xxh3($0) }
    }
}
