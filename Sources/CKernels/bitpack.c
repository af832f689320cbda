#include "CKernels.h"
#include <string.h>

size_t dk_bitpack_size(size_t n, unsigned bits) {
    return (n * (size_t)bits + 7) / 8 + 8;
}

void dk_bitpack(const uint64_t *values, size_t n, unsigned bits, uint8_t *dst) {
    size_t size = dk_bitpack_size(n, bits);
    memset(dst, 0, size);
    if (bits == 0) return;
    uint64_t mask = bits == 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
    size_t bitpos = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = values[i] & mask;
        size_t byte = bitpos >> 3;
        unsigned shift = (unsigned)(bitpos & 7);
        // Up to 64 + 7 bits: the low part goes in one 64-bit word, the rest in the next byte.
        uint64_t word;
        memcpy(&word, dst + byte, 8);
        word |= v << shift;
        memcpy(dst + byte, &word, 8);
        if (shift != 0 && shift + bits > 64) dst[byte + 8] |= (uint8_t)(v >> (64 - shift));
        bitpos += bits;
    }
}

// Reads the `bits`-bit value starting at bit `bitpos`. The 8 padding bytes make the 64-bit load
// safe for every value; a value that straddles the load (shift + bits > 64) takes one more byte,
// which exists because only the last value can end within the padding.
static inline uint64_t unpack_one(const uint8_t *src, size_t bitpos, unsigned bits, uint64_t mask) {
    size_t byte = bitpos >> 3;
    unsigned shift = (unsigned)(bitpos & 7);
    uint64_t word;
    memcpy(&word, src + byte, 8);
    uint64_t v = word >> shift;
    if (shift != 0 && shift + bits > 64) v |= (uint64_t)src[byte + 8] << (64 - shift);
    return v & mask;
}

// Widths of up to 16 bits (small integers, list lengths, steps of counters) are unpacked 8
// values at a time with the width a compile-time constant: 8 values of B bits take exactly B
// bytes, so each group starts on a byte and every shift and mask is a constant (up to 8 bits, one
// 64-bit load holds the group). The loads read at most 7 bytes past the group, which the 8
// padding bytes cover.
#define GROUP8(B, EMIT)                                                                  \
    if ((B) <= 8) {                                                                      \
        uint64_t word;                                                                   \
        memcpy(&word, grp, 8);                                                           \
        for (int j = 0; j < 8; j++) {                                                    \
            uint64_t x = (word >> (j * (B))) & (((uint64_t)1 << (B)) - 1);               \
            EMIT;                                                                        \
        }                                                                                \
    } else {                                                                             \
        for (int j = 0; j < 8; j++) {                                                    \
            uint64_t word;                                                               \
            memcpy(&word, grp + (j * (B)) / 8, 8);                                       \
            uint64_t x = (word >> ((j * (B)) % 8)) & (((uint64_t)1 << (B)) - 1);         \
            EMIT;                                                                        \
        }                                                                                \
    }

#define SMALL_WIDTHS(CASE)                                                               \
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)                      \
    CASE(9) CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16)

// One loop per output type: the store width is never tested per value.
#define FOR_LOOP(T)                                                                      \
    do {                                                                                 \
        T *out = (T *)dst;                                                               \
        size_t i = 0;                                                                    \
        if (bits == 0) { for (; i < n; i++) out[i] = (T)reference; return; }             \
        switch (bits) {                                                                  \
            SMALL_WIDTHS(FOR_GROUPS)                                                     \
        default: break;                                                                  \
        }                                                                                \
        if (bits <= 56) {                                                                \
            for (; i < n; i++) {                                                         \
                size_t bitpos = i * bits;                                                \
                uint64_t word;                                                           \
                memcpy(&word, src + (bitpos >> 3), 8);                                   \
                out[i] = (T)(reference + ((word >> (bitpos & 7)) & mask));               \
            }                                                                            \
        } else {                                                                         \
            for (; i < n; i++) out[i] = (T)(reference + unpack_one(src, i * bits, bits, mask)); \
        }                                                                                \
    } while (0)

#define FOR_GROUPS(B)                                                                    \
    case B:                                                                              \
        for (; i + 8 <= n; i += 8) {                                                     \
            const uint8_t *grp = src + (i / 8) * (B);                                    \
            GROUP8(B, out[i + j] = (__typeof__(*out))(reference + x))                                   \
        }                                                                                \
        break;

void dk_for_decode(const uint8_t *src, size_t n, unsigned bits, uint64_t reference, size_t width, void *dst) {
    uint64_t mask = bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
    switch (width) {
    case 1: FOR_LOOP(uint8_t); break;
    case 2: FOR_LOOP(uint16_t); break;
    case 4: FOR_LOOP(uint32_t); break;
    default: FOR_LOOP(uint64_t); break;
    }
}

// Value 0 is `first`; packed delta i (i < n - 1) gives value i + 1.
#define DELTA_LOOP(T)                                                                    \
    do {                                                                                 \
        T *out = (T *)dst;                                                               \
        out[0] = (T)first;                                                               \
        if (bits == 0) {                                                                 \
            /* Constant steps: an induction the compiler vectorizes. */                  \
            uint64_t c = first;                                                          \
            for (size_t i = 1; i < n; i++) { c += min_delta; out[i] = (T)c; }            \
            return;                                                                      \
        }                                                                                \
        uint64_t v = first;                                                              \
        size_t i = 0, m = n - 1;                                                         \
        switch (bits) {                                                                  \
            SMALL_WIDTHS(DELTA_GROUPS)                                                   \
        default: break;                                                                  \
        }                                                                                \
        for (; i < m; i++) {                                                             \
            v += min_delta + unpack_one(src, i * bits, bits, mask);                      \
            out[i + 1] = (T)v;                                                           \
        }                                                                                \
    } while (0)

#define DELTA_GROUPS(B)                                                                  \
    case B:                                                                              \
        for (; i + 8 <= m; i += 8) {                                                     \
            const uint8_t *grp = src + (i / 8) * (B);                                    \
            GROUP8(B, v += min_delta + x; out[i + 1 + j] = (__typeof__(*out))v)                         \
        }                                                                                \
        break;

void dk_delta_decode(const uint8_t *src, size_t n, unsigned bits, uint64_t first, uint64_t min_delta,
                     size_t width, void *dst) {
    if (n == 0) return;
    uint64_t mask = bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
    switch (width) {
    case 1: DELTA_LOOP(uint8_t); break;
    case 2: DELTA_LOOP(uint16_t); break;
    case 4: DELTA_LOOP(uint32_t); break;
    default: DELTA_LOOP(uint64_t); break;
    }
}

void dk_widen(const void *src, size_t n, size_t width, int is_signed, uint64_t *dst) {
    switch (width * 2 + (is_signed ? 1 : 0)) {
    case 2: for (size_t i = 0; i < n; i++) dst[i] = ((const uint8_t *)src)[i]; break;
    case 3: for (size_t i = 0; i < n; i++) dst[i] = (uint64_t)(int64_t)((const int8_t *)src)[i]; break;
    case 4: for (size_t i = 0; i < n; i++) dst[i] = ((const uint16_t *)src)[i]; break;
    case 5: for (size_t i = 0; i < n; i++) dst[i] = (uint64_t)(int64_t)((const int16_t *)src)[i]; break;
    case 8: for (size_t i = 0; i < n; i++) dst[i] = ((const uint32_t *)src)[i]; break;
    case 9: for (size_t i = 0; i < n; i++) dst[i] = (uint64_t)(int64_t)((const int32_t *)src)[i]; break;
    default: memcpy(dst, src, n * 8); break;
    }
}
