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

// (`x < c || x > c` is != for integers, and false for NaN.)
#define MASK_SCALAR_OPS                                                    \
    switch (op) {                                                          \
    case 0: MASK_SCALAR(x < c) break;                                      \
    case 1: MASK_SCALAR(x <= c) break;                                     \
    case 2: MASK_SCALAR(x > c) break;                                      \
    case 3: MASK_SCALAR(x >= c) break;                                     \
    case 4: MASK_SCALAR(x == c) break;                                     \
    default: MASK_SCALAR(x < c || x > c) break;                            \
    }

// One loop per operator (the operator is never tested inside a loop): WORD(o) is the mask word of
// the 64 values at p for operator o, from an inlined function whose switch then folds away.
#define MASK_WORDS_PER_OP(WORD)                                            \
    switch (op) {                                                          \
    case 0: MASK_WORDS(WORD(0)) break;                                     \
    case 1: MASK_WORDS(WORD(1)) break;                                     \
    case 2: MASK_WORDS(WORD(2)) break;                                     \
    case 3: MASK_WORDS(WORD(3)) break;                                     \
    case 4: MASK_WORDS(WORD(4)) break;                                     \
    default: MASK_WORDS(WORD(5)) break;                                    \
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
// The mask word of 64 floats (ps) or doubles (pd), 16 bytes per compare.
#define SSE2_FLOAT_WORD(NAME, T, V, SFX)                                                  \
    static inline uint64_t NAME(const T *p, V cc, int op) {                               \
        const int lanes = 16 / (int)sizeof(T);                                            \
        uint64_t m = 0;                                                                   \
        for (int j = 0; j < 64 / lanes; j++) {                                            \
            V x = _mm_loadu_##SFX(p + lanes * j), r;                                      \
            switch (op) {                                                                 \
            case 0: r = _mm_cmplt_##SFX(x, cc); break;                                    \
            case 1: r = _mm_cmple_##SFX(x, cc); break;                                    \
            case 2: r = _mm_cmpgt_##SFX(x, cc); break;                                    \
            case 3: r = _mm_cmpge_##SFX(x, cc); break;                                    \
            case 4: r = _mm_cmpeq_##SFX(x, cc); break;                                    \
            default: r = _mm_or_##SFX(_mm_cmplt_##SFX(x, cc), _mm_cmpgt_##SFX(x, cc)); break; \
            }                                                                             \
            m |= (uint64_t)(uint32_t)_mm_movemask_##SFX(r) << (lanes * j);                \
        }                                                                                 \
        return m;                                                                         \
    }
SSE2_FLOAT_WORD(f32_word_sse2, float, __m128, ps)
SSE2_FLOAT_WORD(f64_word_sse2, double, __m128d, pd)
#define F32_SSE2(o) f32_word_sse2(p, cc, o)
#define F64_SSE2(o) f64_word_sse2(p, cc, o)
#endif

static size_t mask_f32_baseline(const float *v, size_t n, int op, float c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0;
#if defined(__SSE2__)
    size_t full = n / 64;
    __m128 cc = _mm_set1_ps(c);
    MASK_WORDS_PER_OP(F32_SSE2)
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

// The entry points: the AVX2 loop when the CPU has it, and the baseline one by name for tests.
#if DK_MASK_AVX2
#define MASK_ENTRY(NAME, T, AVX2, BASELINE)                                                        \
    size_t NAME(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {                   \
        return dk_cpu_has_avx2() ? AVX2(v, n, op, c, words, narrow) : BASELINE(v, n, op, c, words, narrow); \
    }                                                                                              \
    size_t NAME##_baseline(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {        \
        return BASELINE(v, n, op, c, words, narrow);                                               \
    }
#else
#define MASK_ENTRY(NAME, T, AVX2, BASELINE)                                                        \
    size_t NAME(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {                   \
        return BASELINE(v, n, op, c, words, narrow);                                               \
    }                                                                                              \
    size_t NAME##_baseline(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {        \
        return BASELINE(v, n, op, c, words, narrow);                                               \
    }
#endif

MASK_ENTRY(dk_mask_f32, float, mask_f32_avx2, mask_f32_baseline)

// ---- float64

size_t dk_mask_f64(const double *v, size_t n, int op, double c, uint64_t *words, int narrow) {
    size_t w = 0, count = 0;
#if defined(__SSE2__)
    size_t full = n / 64;
    __m128d cc = _mm_set1_pd(c);
    MASK_WORDS_PER_OP(F64_SSE2)
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
#define U8_SSE2(o) u8_word_sse2(p, cc, o)
    MASK_WORDS_PER_OP(U8_SSE2)
#endif
    MASK_SCALAR_OPS
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
#define U8_AVX2(o) u8_word_avx2(p, cc, o)
    MASK_WORDS_PER_OP(U8_AVX2)
    MASK_SCALAR_OPS
    return count;
}
#endif

MASK_ENTRY(dk_mask_u8, uint8_t, mask_u8_avx2, mask_u8_baseline)

// ---- the other integer types: rarer in cuts; plain loops the compiler vectorizes as it can.

#define MASK_INTEGER(NAME, T)                                                          \
    size_t NAME(const T *v, size_t n, int op, T c, uint64_t *words, int narrow) {      \
        size_t w = 0, count = 0;                                                       \
        MASK_SCALAR_OPS                                                               \
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

// ---- narrowing an index list in place

// Keeps the first n indices of `list` whose value v[i * stride + offset] passes; branch-free:
// every index is written, the count advances by the comparison (k <= j, so nothing unread is
// overwritten).
#define NARROW_LOOP(EXPR)                                                  \
    for (size_t j = 0; j < n; j++) {                                       \
        int32_t i = list[j];                                               \
        __typeof__(*v) x = v[(size_t)i * stride + offset];                 \
        list[k] = i;                                                       \
        k += (EXPR) ? 1 : 0;                                               \
    }

#define NARROW_LIST(NAME, T)                                                                        \
    size_t NAME(const T *v, size_t stride, size_t offset, int op, T c, int32_t *list, size_t n) {       \
        size_t k = 0;                                                                                   \
        switch (op) {                                                                                   \
        case 0: NARROW_LOOP(x < c) break;                                                               \
        case 1: NARROW_LOOP(x <= c) break;                                                              \
        case 2: NARROW_LOOP(x > c) break;                                                               \
        case 3: NARROW_LOOP(x >= c) break;                                                              \
        case 4: NARROW_LOOP(x == c) break;                                                              \
        default: NARROW_LOOP(x < c || x > c) break;                                                                 \
        }                                                                                               \
        return k;                                                                                       \
    }

NARROW_LIST(dk_narrow_f32, float)
NARROW_LIST(dk_narrow_f64, double)
NARROW_LIST(dk_narrow_u8, uint8_t)
NARROW_LIST(dk_narrow_i8, int8_t)
NARROW_LIST(dk_narrow_i16, int16_t)
NARROW_LIST(dk_narrow_u16, uint16_t)
NARROW_LIST(dk_narrow_i32, int32_t)
NARROW_LIST(dk_narrow_u32, uint32_t)
NARROW_LIST(dk_narrow_i64, int64_t)
NARROW_LIST(dk_narrow_u64, uint64_t)
