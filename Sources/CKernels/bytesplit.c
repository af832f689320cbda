#include "CKernels.h"
#include "cpu.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <tmmintrin.h>
// 4-byte values, 16 at a time: a byte shuffle groups each vector's bytes by position, then a
// 4x4 transpose of 32-bit lanes gathers each position's 16 bytes. Returns the values done.
__attribute__((target("ssse3")))
static size_t encode4_ssse3(const uint8_t *src, size_t n, uint8_t *dst) {
    const __m128i by_position = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint8_t *s = src + 4 * i;
        __m128i a = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 0)), by_position);
        __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 16)), by_position);
        __m128i c = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 32)), by_position);
        __m128i d = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 48)), by_position);
        __m128i ab_lo = _mm_unpacklo_epi32(a, b), ab_hi = _mm_unpackhi_epi32(a, b);
        __m128i cd_lo = _mm_unpacklo_epi32(c, d), cd_hi = _mm_unpackhi_epi32(c, d);
        _mm_storeu_si128((__m128i *)(dst + 0 * n + i), _mm_unpacklo_epi64(ab_lo, cd_lo));
        _mm_storeu_si128((__m128i *)(dst + 1 * n + i), _mm_unpackhi_epi64(ab_lo, cd_lo));
        _mm_storeu_si128((__m128i *)(dst + 2 * n + i), _mm_unpacklo_epi64(ab_hi, cd_hi));
        _mm_storeu_si128((__m128i *)(dst + 3 * n + i), _mm_unpackhi_epi64(ab_hi, cd_hi));
    }
    return i;
}
#endif

void dk_bytesplit_encode(const uint8_t *src, size_t n, size_t width, uint8_t *dst) {
    size_t from = 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (width == 4 && dk_cpu_has_ssse3()) from = encode4_ssse3(src, n, dst);
#endif
    for (size_t i = from; i < n; i++) {
        for (size_t j = 0; j < width; j++) dst[j * n + i] = src[i * width + j];
    }
}

static void decode_generic(const uint8_t *src, size_t n, size_t width, uint8_t *dst, size_t from) {
    for (size_t i = from; i < n; i++) {
        for (size_t j = 0; j < width; j++) dst[i * width + j] = src[j * n + i];
    }
}

void dk_bytesplit_decode(const uint8_t *src, size_t n, size_t width, uint8_t *dst) {
    size_t i = 0;
#if defined(__SSE2__)
    if (width == 4) {
        const uint8_t *s0 = src, *s1 = src + n, *s2 = src + 2 * n, *s3 = src + 3 * n;
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s0 + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(s1 + i));
            __m128i c = _mm_loadu_si128((const __m128i *)(s2 + i));
            __m128i d = _mm_loadu_si128((const __m128i *)(s3 + i));
            __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
            __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
            uint8_t *o = dst + i * 4;
            _mm_storeu_si128((__m128i *)(o + 0), _mm_unpacklo_epi16(ab_lo, cd_lo));
            _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(ab_lo, cd_lo));
            _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(ab_hi, cd_hi));
            _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(ab_hi, cd_hi));
        }
    } else if (width == 8) {
        const uint8_t *s[8];
        for (int j = 0; j < 8; j++) s[j] = src + (size_t)j * n;
        for (; i + 16 <= n; i += 16) {
            __m128i v0 = _mm_loadu_si128((const __m128i *)(s[0] + i));
            __m128i v1 = _mm_loadu_si128((const __m128i *)(s[1] + i));
            __m128i v2 = _mm_loadu_si128((const __m128i *)(s[2] + i));
            __m128i v3 = _mm_loadu_si128((const __m128i *)(s[3] + i));
            __m128i v4 = _mm_loadu_si128((const __m128i *)(s[4] + i));
            __m128i v5 = _mm_loadu_si128((const __m128i *)(s[5] + i));
            __m128i v6 = _mm_loadu_si128((const __m128i *)(s[6] + i));
            __m128i v7 = _mm_loadu_si128((const __m128i *)(s[7] + i));
            // bytes -> 16-bit pairs -> 32-bit quads -> 64-bit octets
            __m128i a0 = _mm_unpacklo_epi8(v0, v1), a1 = _mm_unpackhi_epi8(v0, v1);
            __m128i b0 = _mm_unpacklo_epi8(v2, v3), b1 = _mm_unpackhi_epi8(v2, v3);
            __m128i c0 = _mm_unpacklo_epi8(v4, v5), c1 = _mm_unpackhi_epi8(v4, v5);
            __m128i d0 = _mm_unpacklo_epi8(v6, v7), d1 = _mm_unpackhi_epi8(v6, v7);
            __m128i ab0 = _mm_unpacklo_epi16(a0, b0), ab1 = _mm_unpackhi_epi16(a0, b0);
            __m128i ab2 = _mm_unpacklo_epi16(a1, b1), ab3 = _mm_unpackhi_epi16(a1, b1);
            __m128i cd0 = _mm_unpacklo_epi16(c0, d0), cd1 = _mm_unpackhi_epi16(c0, d0);
            __m128i cd2 = _mm_unpacklo_epi16(c1, d1), cd3 = _mm_unpackhi_epi16(c1, d1);
            uint8_t *o = dst + i * 8;
            _mm_storeu_si128((__m128i *)(o + 0), _mm_unpacklo_epi32(ab0, cd0));
            _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi32(ab0, cd0));
            _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi32(ab1, cd1));
            _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi32(ab1, cd1));
            _mm_storeu_si128((__m128i *)(o + 64), _mm_unpacklo_epi32(ab2, cd2));
            _mm_storeu_si128((__m128i *)(o + 80), _mm_unpackhi_epi32(ab2, cd2));
            _mm_storeu_si128((__m128i *)(o + 96), _mm_unpacklo_epi32(ab3, cd3));
            _mm_storeu_si128((__m128i *)(o + 112), _mm_unpackhi_epi32(ab3, cd3));
        }
    } else if (width == 2) {
        const uint8_t *s0 = src, *s1 = src + n;
        for (; i + 16 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(s0 + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(s1 + i));
            _mm_storeu_si128((__m128i *)(dst + i * 2), _mm_unpacklo_epi8(a, b));
            _mm_storeu_si128((__m128i *)(dst + i * 2 + 16), _mm_unpackhi_epi8(a, b));
        }
    }
#endif
    if (width == 1) { memcpy(dst, src, n); return; }
    decode_generic(src, n, width, dst, i);
}
