// Dense selection kernels: compare n contiguous values with a constant, 16 at a time into a
// bit mask, and write the indices of the passing values. Most masks of a selective cut are 0
// and cost one compare and one test. NaN fails every comparison, != included.
#include "CKernels.h"
#include "cpu.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline size_t emit(uint32_t mask, int32_t base, int32_t *out, size_t k) {
    while (mask) {
        out[k++] = base + __builtin_ctz(mask);
        mask &= mask - 1;
    }
    return k;
}

#define SCALAR_TAIL(T, EXPR)                                       \
    for (; i < n; i++) {                                           \
        T x = v[i];                                                \
        out[k] = (int32_t)i;                                       \
        k += (EXPR) ? 1 : 0;                                       \
    }

// One loop per operator (the operator is never tested inside a loop). SSE2: 4 floats per
// compare, 16 per mask.
#define F32_SSE2_LOOP(CMP)                                                         \
    for (; i + 16 <= n; i += 16) {                                                 \
        uint32_t m = 0;                                                            \
        for (int j = 0; j < 4; j++) {                                              \
            __m128 x = _mm_loadu_ps(v + i + 4 * j);                                \
            m |= (uint32_t)_mm_movemask_ps(CMP) << (4 * j);                        \
        }                                                                          \
        if (m) k = emit(m, (int32_t)i, out, k);                                    \
    }

static size_t select_f32_sse2(const float *v, size_t n, int op, float c, int32_t *out, size_t *done) {
    size_t i = 0, k = 0;
#if defined(__SSE2__)
    __m128 cc = _mm_set1_ps(c);
    switch (op) {
    case 0: F32_SSE2_LOOP(_mm_cmplt_ps(x, cc)) break;
    case 1: F32_SSE2_LOOP(_mm_cmple_ps(x, cc)) break;
    case 2: F32_SSE2_LOOP(_mm_cmpgt_ps(x, cc)) break;
    case 3: F32_SSE2_LOOP(_mm_cmpge_ps(x, cc)) break;
    case 4: F32_SSE2_LOOP(_mm_cmpeq_ps(x, cc)) break;
    default: F32_SSE2_LOOP(_mm_or_ps(_mm_cmplt_ps(x, cc), _mm_cmpgt_ps(x, cc))) break;
    }
#endif
    *done = i;
    return k;
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
// AVX2: 8 floats per compare, 16 per mask; compiled for AVX2 and used only when the CPU has it.
#define F32_AVX_LOOP(PRED)                                                          \
    for (; i + 16 <= n; i += 16) {                                                  \
        __m256 a = _mm256_loadu_ps(v + i), b = _mm256_loadu_ps(v + i + 8);          \
        uint32_t m = (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(a, cc, PRED)) |     \
                     (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(b, cc, PRED)) << 8; \
        if (m) k = emit(m, (int32_t)i, out, k);                                     \
    }

__attribute__((target("avx2"))) static size_t select_f32_avx2(const float *v, size_t n, int op, float c, int32_t *out, size_t *done) {
    size_t i = 0, k = 0;
    __m256 cc = _mm256_set1_ps(c);
    switch (op) {
    case 0: F32_AVX_LOOP(_CMP_LT_OQ) break;
    case 1: F32_AVX_LOOP(_CMP_LE_OQ) break;
    case 2: F32_AVX_LOOP(_CMP_GT_OQ) break;
    case 3: F32_AVX_LOOP(_CMP_GE_OQ) break;
    case 4: F32_AVX_LOOP(_CMP_EQ_OQ) break;
    default: F32_AVX_LOOP(_CMP_NEQ_OQ) break;  // ordered: false when either is NaN
    }
    *done = i;
    return k;
}
#endif

static size_t select_f32(const float *v, size_t n, int op, float c, int32_t *out, int avx2) {
    size_t i = 0, k;
#if defined(__x86_64__) && defined(__clang__)
    k = avx2 ? select_f32_avx2(v, n, op, c, out, &i) : select_f32_sse2(v, n, op, c, out, &i);
#else
    (void)avx2;
    k = select_f32_sse2(v, n, op, c, out, &i);
#endif
    switch (op) {
    case 0: SCALAR_TAIL(float, x < c) break;
    case 1: SCALAR_TAIL(float, x <= c) break;
    case 2: SCALAR_TAIL(float, x > c) break;
    case 3: SCALAR_TAIL(float, x >= c) break;
    case 4: SCALAR_TAIL(float, x == c) break;
    default: SCALAR_TAIL(float, x < c || x > c) break;
    }
    return k;
}

size_t dk_select_f32(const float *v, size_t n, int op, float c, int32_t *out) {
    int use = 0;
#if defined(__x86_64__) && defined(__clang__)
    use = dk_cpu_has_avx2();
#endif
    return select_f32(v, n, op, c, out, use);
}

size_t dk_select_f32_baseline(const float *v, size_t n, int op, float c, int32_t *out) {
    return select_f32(v, n, op, c, out, 0);
}

size_t dk_select_f64(const double *v, size_t n, int op, double c, int32_t *out) {
    size_t i = 0, k = 0;
#if defined(__SSE2__)
    __m128d cc = _mm_set1_pd(c);
    for (; i + 16 <= n; i += 16) {
        uint32_t m = 0;
        for (int j = 0; j < 8; j++) {
            __m128d x = _mm_loadu_pd(v + i + 2 * j);
            __m128d r;
            switch (op) {
            case 0: r = _mm_cmplt_pd(x, cc); break;
            case 1: r = _mm_cmple_pd(x, cc); break;
            case 2: r = _mm_cmpgt_pd(x, cc); break;
            case 3: r = _mm_cmpge_pd(x, cc); break;
            case 4: r = _mm_cmpeq_pd(x, cc); break;
            default: r = _mm_or_pd(_mm_cmplt_pd(x, cc), _mm_cmpgt_pd(x, cc)); break;
            }
            m |= (uint32_t)_mm_movemask_pd(r) << (2 * j);
        }
        if (m) k = emit(m, (int32_t)i, out, k);
    }
#endif
    switch (op) {
    case 0: SCALAR_TAIL(double, x < c) break;
    case 1: SCALAR_TAIL(double, x <= c) break;
    case 2: SCALAR_TAIL(double, x > c) break;
    case 3: SCALAR_TAIL(double, x >= c) break;
    case 4: SCALAR_TAIL(double, x == c) break;
    default: SCALAR_TAIL(double, x < c || x > c) break;
    }
    return k;
}

size_t dk_select_u8(const uint8_t *v, size_t n, int op, uint8_t c, int32_t *out) {
    size_t i = 0, k = 0;
#if defined(__SSE2__)
    // Unsigned order via the signed compare of values with the top bit flipped.
    __m128i flip = _mm_set1_epi8((char)0x80);
    __m128i cc = _mm_xor_si128(_mm_set1_epi8((char)c), flip);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(v + i)), flip);
        __m128i lt = _mm_cmplt_epi8(x, cc), gt = _mm_cmpgt_epi8(x, cc), eq = _mm_cmpeq_epi8(x, cc);
        __m128i r;
        switch (op) {
        case 0: r = lt; break;
        case 1: r = _mm_or_si128(lt, eq); break;
        case 2: r = gt; break;
        case 3: r = _mm_or_si128(gt, eq); break;
        case 4: r = eq; break;
        default: r = _mm_or_si128(lt, gt); break;
        }
        uint32_t m = (uint32_t)_mm_movemask_epi8(r);
        if (m) k = emit(m, (int32_t)i, out, k);
    }
#endif
    switch (op) {
    case 0: SCALAR_TAIL(uint8_t, x < c) break;
    case 1: SCALAR_TAIL(uint8_t, x <= c) break;
    case 2: SCALAR_TAIL(uint8_t, x > c) break;
    case 3: SCALAR_TAIL(uint8_t, x >= c) break;
    case 4: SCALAR_TAIL(uint8_t, x == c) break;
    default: SCALAR_TAIL(uint8_t, x != c) break;
    }
    return k;
}
