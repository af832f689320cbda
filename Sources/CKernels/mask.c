// Bit-mask selection kernels: compare n contiguous values with a constant into one bit per
// value (64 to a word), optionally ANDed into the bits already there (a cut narrowing the events
// an earlier cut kept), and turn a mask back into the ascending list of its set positions.
// NaN fails every comparison, != included. Words whose bits are all 0 are skipped when
// narrowing, so a mask that is mostly empty costs little more than its words.
#include "CKernels.h"
#include "cpu.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define DK_MASK_AVX2 1
#endif

static inline size_t popcount64(uint64_t m) { return (size_t)__builtin_popcountll(m); }

// The last, partial word (n not a multiple of 64) and targets without SIMD: one bit at a time.
#define MASK_SCALAR(EXPR)                                                  \
    for (; w * 64 < n; w++) {                                              \
        uint64_t keep = narrow ? words[w] : ~(uint64_t)0;                  \
        size_t end = n - w * 64 < 64 ? n - w * 64 : 64;                   \
        uint64_t m = 0;                                                    \
        if (keep)                                                          \
            for (size_t b = 0; b < end; b++) {                             \
                __typeof__(*v) x = v[w * 64 + b];                          \
                m |= (uint64_t)((EXPR) ? 1 : 0) << b;                      \
            }                                                              \
        m &= keep;                                                         \
        words[w] = m;                                                      \
        count += popcount64(m);                                            \
    }

#define MASK_SCALAR_OPS                                                    \
    switch (op) {                                                          \
    case 0: MASK_SCALAR(x < c) break;                                      \
    case 1: MASK_SCALAR(x <= c) break;                                     \
    case 2: MASK_SCALAR(x > c) break;                                      \
    case 3: MASK_SCALAR(x >= c) break;                                     \
    case 4: MASK_SCALAR(x == c) break;                                     \
    default: MASK_SCALAR(x < c || x > c) break;                            \
    }

// Whole words with SIMD: WORD computes the 64-bit compare mask of the 64 values at p.
#define MASK_WORDS(WORD)                                                   \
    for (; w < full; w++) {                                                \
        uint64_t keep = narrow ? words[w] : ~(uint64_t)0;                  \
        if (!keep) continue;                                               \
        const __typeof__(*v) *p = v + 64 * w;                              \
        uint64_t m = (WORD) & keep;                                        \
        words[w] = m;                                                      \
        count += popcount64(m);                                            \
    }

// ---- float32

#if defined(__SSE2__)
static inline uint64_t f32_word_sse2(const float *p, __m128 cc, int op) {
    uint64_t m = 0;
    for (int j = 0; j < 16; j++) {
        __m128 x = _mm_loadu_ps(p + 4 * j), r;
        switch (op) {
        case 0: r = _mm_cmplt_ps(x, cc); break;
        case 1: r = _mm_cmple_ps(x, cc); break;
        case 2: r = _mm_cmpgt_ps(x, cc); break;
        case 3: r = _mm_cmpge_ps(x, cc); break;
        case 4: r = _mm_cmpeq_ps(x, cc); break;
        default: r = _mm_or_ps(_mm_cmplt_ps(x, cc), _mm_cmpgt_ps(x, cc)); break;
        }
        m |= (uint64_t)(uint32_t)_mm_movemask_ps(r) << (4 * j);
    }
    return m;
}
#endif

static size_t mask_f32_baseline(const float *v, size_t n, int op, float c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0;
#if defined(__SSE2__)
    size_t full = n / 64;
    __m128 cc = _mm_set1_ps(c);
    // One loop per operator: the switch inside the inlined word function folds away.
    switch (op) {
    case 0: MASK_WORDS(f32_word_sse2(p, cc, 0)) break;
    case 1: MASK_WORDS(f32_word_sse2(p, cc, 1)) break;
    case 2: MASK_WORDS(f32_word_sse2(p, cc, 2)) break;
    case 3: MASK_WORDS(f32_word_sse2(p, cc, 3)) break;
    case 4: MASK_WORDS(f32_word_sse2(p, cc, 4)) break;
    default: MASK_WORDS(f32_word_sse2(p, cc, 5)) break;
    }
#endif
    MASK_SCALAR_OPS
    return count;
}

#if DK_MASK_AVX2
#define F32_AVX2_WORD(PRED)                                                                         \
    ((uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p), cc, PRED)) |          \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 8), cc, PRED)) << 8 |  \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 16), cc, PRED)) << 16 | \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 24), cc, PRED)) << 24 | \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 32), cc, PRED)) << 32 | \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 40), cc, PRED)) << 40 | \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 48), cc, PRED)) << 48 | \
     (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + 56), cc, PRED)) << 56)

__attribute__((target("avx2,popcnt"))) static size_t mask_f32_avx2(const float *v, size_t n, int op, float c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0, full = n / 64;
    __m256 cc = _mm256_set1_ps(c);
    switch (op) {
    case 0: MASK_WORDS(F32_AVX2_WORD(_CMP_LT_OQ)) break;
    case 1: MASK_WORDS(F32_AVX2_WORD(_CMP_LE_OQ)) break;
    case 2: MASK_WORDS(F32_AVX2_WORD(_CMP_GT_OQ)) break;
    case 3: MASK_WORDS(F32_AVX2_WORD(_CMP_GE_OQ)) break;
    case 4: MASK_WORDS(F32_AVX2_WORD(_CMP_EQ_OQ)) break;
    default: MASK_WORDS(F32_AVX2_WORD(_CMP_NEQ_OQ)) break;  // ordered: false when either is NaN
    }
    MASK_SCALAR_OPS
    return count;
}
#endif

size_t dk_mask_f32(const float *v, size_t n, int op, float c, uint64_t *words, int narrow) {
#if DK_MASK_AVX2
    if (dk_cpu_has_avx2()) return mask_f32_avx2(v, n, op, c, words, narrow);
#endif
    return mask_f32_baseline(v, n, op, c, words, narrow);
}

size_t dk_mask_f32_baseline(const float *v, size_t n, int op, float c, uint64_t *words, int narrow) {
    return mask_f32_baseline(v, n, op, c, words, narrow);
}

// ---- float64

#if defined(__SSE2__)
static inline uint64_t f64_word_sse2(const double *p, __m128d cc, int op) {
    uint64_t m = 0;
    for (int j = 0; j < 32; j++) {
        __m128d x = _mm_loadu_pd(p + 2 * j), r;
        switch (op) {
        case 0: r = _mm_cmplt_pd(x, cc); break;
        case 1: r = _mm_cmple_pd(x, cc); break;
        case 2: r = _mm_cmpgt_pd(x, cc); break;
        case 3: r = _mm_cmpge_pd(x, cc); break;
        case 4: r = _mm_cmpeq_pd(x, cc); break;
        default: r = _mm_or_pd(_mm_cmplt_pd(x, cc), _mm_cmpgt_pd(x, cc)); break;
        }
        m |= (uint64_t)(uint32_t)_mm_movemask_pd(r) << (2 * j);
    }
    return m;
}
#endif

size_t dk_mask_f64(const double *v, size_t n, int op, double c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0;
#if defined(__SSE2__)
    size_t full = n / 64;
    __m128d cc = _mm_set1_pd(c);
    switch (op) {
    case 0: MASK_WORDS(f64_word_sse2(p, cc, 0)) break;
    case 1: MASK_WORDS(f64_word_sse2(p, cc, 1)) break;
    case 2: MASK_WORDS(f64_word_sse2(p, cc, 2)) break;
    case 3: MASK_WORDS(f64_word_sse2(p, cc, 3)) break;
    case 4: MASK_WORDS(f64_word_sse2(p, cc, 4)) break;
    default: MASK_WORDS(f64_word_sse2(p, cc, 5)) break;
    }
#endif
    MASK_SCALAR_OPS
    return count;
}

// ---- uint8: unsigned order through max/min (x >= c iff max(x, c) == x); the strict and the
// not-equal operators are the complements of >=, <= and ==.

#if defined(__SSE2__)
static inline uint64_t u8_word_sse2(const uint8_t *p, __m128i cc, int op) {
    uint64_t m = 0;
    for (int j = 0; j < 4; j++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * j)), r;
        switch (op) {
        case 0: case 3: r = _mm_cmpeq_epi8(_mm_max_epu8(x, cc), x); break;  // >= (< inverted below)
        case 1: case 2: r = _mm_cmpeq_epi8(_mm_min_epu8(x, cc), x); break;  // <= (> inverted below)
        default: r = _mm_cmpeq_epi8(x, cc); break;                         // == (!= inverted below)
        }
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(r) << (16 * j);
    }
    return (op == 0 || op == 2 || op == 5) ? ~m : m;
}
#endif

static size_t mask_u8_baseline(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0;
#if defined(__SSE2__)
    size_t full = n / 64;
    __m128i cc = _mm_set1_epi8((char)c);
    switch (op) {
    case 0: MASK_WORDS(u8_word_sse2(p, cc, 0)) break;
    case 1: MASK_WORDS(u8_word_sse2(p, cc, 1)) break;
    case 2: MASK_WORDS(u8_word_sse2(p, cc, 2)) break;
    case 3: MASK_WORDS(u8_word_sse2(p, cc, 3)) break;
    case 4: MASK_WORDS(u8_word_sse2(p, cc, 4)) break;
    default: MASK_WORDS(u8_word_sse2(p, cc, 5)) break;
    }
#endif
    switch (op) {
    case 0: MASK_SCALAR(x < c) break;
    case 1: MASK_SCALAR(x <= c) break;
    case 2: MASK_SCALAR(x > c) break;
    case 3: MASK_SCALAR(x >= c) break;
    case 4: MASK_SCALAR(x == c) break;
    default: MASK_SCALAR(x != c) break;
    }
    return count;
}

#if DK_MASK_AVX2
__attribute__((target("avx2"))) static inline uint64_t u8_word_avx2(const uint8_t *p, __m256i cc, int op) {
    __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32)), ra, rb;
    switch (op) {
    case 0: case 3:
        ra = _mm256_cmpeq_epi8(_mm256_max_epu8(a, cc), a);
        rb = _mm256_cmpeq_epi8(_mm256_max_epu8(b, cc), b);
        break;
    case 1: case 2:
        ra = _mm256_cmpeq_epi8(_mm256_min_epu8(a, cc), a);
        rb = _mm256_cmpeq_epi8(_mm256_min_epu8(b, cc), b);
        break;
    default:
        ra = _mm256_cmpeq_epi8(a, cc);
        rb = _mm256_cmpeq_epi8(b, cc);
        break;
    }
    uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(ra) | (uint64_t)(uint32_t)_mm256_movemask_epi8(rb) << 32;
    return (op == 0 || op == 2 || op == 5) ? ~m : m;
}

__attribute__((target("avx2,popcnt"))) static size_t mask_u8_avx2(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0, full = n / 64;
    __m256i cc = _mm256_set1_epi8((char)c);
    switch (op) {
    case 0: MASK_WORDS(u8_word_avx2(p, cc, 0)) break;
    case 1: MASK_WORDS(u8_word_avx2(p, cc, 1)) break;
    case 2: MASK_WORDS(u8_word_avx2(p, cc, 2)) break;
    case 3: MASK_WORDS(u8_word_avx2(p, cc, 3)) break;
    case 4: MASK_WORDS(u8_word_avx2(p, cc, 4)) break;
    default: MASK_WORDS(u8_word_avx2(p, cc, 5)) break;
    }
    switch (op) {
    case 0: MASK_SCALAR(x < c) break;
    case 1: MASK_SCALAR(x <= c) break;
    case 2: MASK_SCALAR(x > c) break;
    case 3: MASK_SCALAR(x >= c) break;
    case 4: MASK_SCALAR(x == c) break;
    default: MASK_SCALAR(x != c) break;
    }
    return count;
}
#endif

size_t dk_mask_u8(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow) {
#if DK_MASK_AVX2
    if (dk_cpu_has_avx2()) return mask_u8_avx2(v, n, op, c, words, narrow);
#endif
    return mask_u8_baseline(v, n, op, c, words, narrow);
}

size_t dk_mask_u8_baseline(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow) {
    return mask_u8_baseline(v, n, op, c, words, narrow);
}

// ---- the other integer types: rarer in cuts; plain loops the compiler vectorizes as it can.

#define MASK_INTEGER(NAME, T)                                                          \
    size_t NAME(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {      \
        size_t w = 0, count = 0;                                                       \
        switch (op) {                                                                  \
        case 0: MASK_SCALAR(x < c) break;                                              \
        case 1: MASK_SCALAR(x <= c) break;                                             \
        case 2: MASK_SCALAR(x > c) break;                                              \
        case 3: MASK_SCALAR(x >= c) break;                                             \
        case 4: MASK_SCALAR(x == c) break;                                             \
        default: MASK_SCALAR(x != c) break;                                            \
        }                                                                              \
        return count;                                                                  \
    }

MASK_INTEGER(dk_mask_i8, int8_t)
MASK_INTEGER(dk_mask_i16, int16_t)
MASK_INTEGER(dk_mask_u16, uint16_t)
MASK_INTEGER(dk_mask_i32, int32_t)
MASK_INTEGER(dk_mask_u32, uint32_t)
MASK_INTEGER(dk_mask_i64, int64_t)
MASK_INTEGER(dk_mask_u64, uint64_t)

// ---- mask to index list

static inline size_t emit_bits(uint64_t m, int32_t base, int32_t *out, size_t k) {
    while (m) {
        out[k++] = base + __builtin_ctzll(m);
        m &= m - 1;
    }
    return k;
}

static size_t indices_baseline(const uint64_t *words, size_t n, int32_t *out) {
    size_t k = 0;
    for (size_t w = 0; w * 64 < n; w++) k = emit_bits(words[w], (int32_t)(w * 64), out, k);
    return k;
}

#if DK_MASK_AVX2
// For each byte value, the positions of its set bits, packed first; filled once when the
// program loads, before any thread can call the kernels.
static uint8_t bit_positions[256][8];

__attribute__((constructor)) static void make_bit_positions(void) {
    for (int b = 0; b < 256; b++) {
        int k = 0;
        for (int j = 0; j < 8; j++)
            if (b >> j & 1) bit_positions[b][k++] = (uint8_t)j;
    }
}

// Dense words: 8 positions per byte from the table, widened and offset in one register, stored
// whole: the lanes past the byte's count are overwritten by the next store or lie within the
// room the caller gives (n rounded up to 64). Sparse words: one trailing-zero count per set bit.
__attribute__((target("avx2,popcnt,bmi"))) static size_t indices_avx2(const uint64_t *words, size_t n, int32_t *out) {
    size_t k = 0;
    for (size_t w = 0; w * 64 < n; w++) {
        uint64_t m = words[w];
        if (popcount64(m) < 16) {
            k = emit_bits(m, (int32_t)(w * 64), out, k);
            continue;
        }
        for (int j = 0; j < 8; j++) {
            unsigned byte = (unsigned)(m >> (8 * j)) & 0xFF;
            __m128i pos = _mm_loadl_epi64((const __m128i *)bit_positions[byte]);
            __m256i idx = _mm256_add_epi32(_mm256_cvtepu8_epi32(pos), _mm256_set1_epi32((int32_t)(w * 64 + 8 * j)));
            _mm256_storeu_si256((__m256i *)(out + k), idx);
            k += popcount64(byte);
        }
    }
    return k;
}
#endif

size_t dk_mask_indices(const uint64_t *words, size_t n, int32_t *out) {
#if DK_MASK_AVX2
    if (dk_cpu_has_avx2()) return indices_avx2(words, n, out);
#endif
    return indices_baseline(words, n, out);
}

size_t dk_mask_indices_baseline(const uint64_t *words, size_t n, int32_t *out) {
    return indices_baseline(words, n, out);
}
