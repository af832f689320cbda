import CKernels
import Testing

@Suite struct CRC32CTests {
    @Test func checkValue() {
        let s = Array("123456789".utf8)
        #expect(dk_crc32c(0, s, s.count) == 0xE306_9283)
        #expect(dk_crc32c_portable(0, s, s.count) == 0xE306_9283)
        #expect(dk_crc32c(0, s, 0) == 0)
    }

    @Test func hardwareMatchesTableOnEverySizeAndAlignment() {
        var rng = SystemRandomNumberGenerator()
        let data = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in 0..<9 {
            for n in [0, 1, 3, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4000] where start + n <= data.count {
                data.withUnsafeBytes { b in
                    let p = b.baseAddress! + start
                    #expect(dk_crc32c(0, p, n) == dk_crc32c_portable(0, p, n))
                    // Continuing a CRC equals computing it in one go.
                    let half = n / 2
                    #expect(dk_crc32c(dk_crc32c(0, p, half), p + half, n - half) == dk_crc32c(0, p, n))
                }
            }
        }
    }
}
