// Bin numbers for runs of values: the AVX2 loops take four values at a time, the portable ones
// one. Both give exactly the bins of Axis.index (the binary search over the edges), which the
// tests check.
#include "CHistograms.h"

// Edges are computed, not looked up: lo + k * step, as Axis.edge computes them (no fused
// multiply-add, which would round differently).
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

static inline int32_t table_one(double x, const dh_table_axis *a) {
    double t = (x - a->lo) * a->norm;
    t = t >= 0 ? t : 0;  // NaN too
    t = t <= (double)(a->bins - 1) ? t : (double)(a->bins - 1);
    int32_t k = (int32_t)t;  // 0..bins-1: off by at most one
    double below = a->lo + (double)k * a->step;
    double above = k + 1 == a->bins ? a->hi : a->lo + (double)(k + 1) * a->step;
    k = k - (x < below) + (x >= above);  // never both: below < above
    return x != x ? a->bins + 1 : k + 1;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define DH_X86 1

static int portable_only = 0;

static int has_avx2(void) {
    if (__atomic_load_n(&portable_only, __ATOMIC_RELAXED)) return 0;
    static int known = -1;
    int has = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (has < 0) {
        has = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&known, has, __ATOMIC_RELAXED);
    }
    return has;
}

// Four bins from four doubles. Compare masks are 0 or -1 per 64-bit lane; their low halves,
// packed to 32-bit lanes, step k down or up.
__attribute__((target("avx2"))) static inline __m128i table4(__m256d v, const dh_table_axis *a) {
    const __m256d lo = _mm256_set1_pd(a->lo), norm = _mm256_set1_pd(a->norm), step = _mm256_set1_pd(a->step);
    const __m256d top = _mm256_set1_pd((double)(a->bins - 1)), hi = _mm256_set1_pd(a->hi), one = _mm256_set1_pd(1);
    __m256d t = _mm256_mul_pd(_mm256_sub_pd(v, lo), norm);
    t = _mm256_max_pd(t, _mm256_setzero_pd());  // NaN gives the second operand: 0
    t = _mm256_min_pd(t, top);
    __m128i k = _mm256_cvttpd_epi32(t);
    __m256d kd = _mm256_cvtepi32_pd(k);
    __m256d below = _mm256_add_pd(lo, _mm256_mul_pd(kd, step));
    __m256d next = _mm256_add_pd(kd, one);
    __m256d above = _mm256_blendv_pd(_mm256_add_pd(lo, _mm256_mul_pd(next, step)), hi, _mm256_cmp_pd(next, _mm256_add_pd(top, one), _CMP_EQ_OQ));
    // -1 where x < below, +1 where x >= above (masks are -1), as 64-bit lanes, then narrowed.
    __m256i d = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_cmp_pd(v, below, _CMP_LT_OQ)), _mm256_castpd_si256(_mm256_cmp_pd(v, above, _CMP_GE_OQ)));
    __m128i step32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(d, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    __m128i b = _mm_add_epi32(_mm_add_epi32(k, step32), _mm_set1_epi32(1));
    __m256i nan = _mm256_castpd_si256(_mm256_cmp_pd(v, v, _CMP_UNORD_Q));
    __m128i nan32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(nan, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    return _mm_blendv_epi8(b, _mm_set1_epi32(a->bins + 1), nan32);
}

__attribute__((target("avx2"))) static void table_avx2(const double *x, size_t n, const dh_table_axis *a, int32_t *out) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm_storeu_si128((__m128i *)(out + i), table4(_mm256_loadu_pd(x + i), a));
    for (; i < n; i++) out[i] = table_one(x[i], a);
}

__attribute__((target("avx2"))) static void table_f32_avx2(const float *x, const int32_t *sel, size_t n, const dh_table_axis *a, int32_t *out) {
    size_t i = 0;
    if (sel) {
        for (; i + 4 <= n; i += 4) {
            __m128 f = _mm_i32gather_ps(x, _mm_loadu_si128((const __m128i *)(sel + i)), 4);
            _mm_storeu_si128((__m128i *)(out + i), table4(_mm256_cvtps_pd(f), a));
        }
        for (; i < n; i++) out[i] = table_one((double)x[sel[i]], a);
    } else {
        for (; i + 4 <= n; i += 4) _mm_storeu_si128((__m128i *)(out + i), table4(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), a));
        for (; i < n; i++) out[i] = table_one((double)x[i], a);
    }
}
#endif

void dh_force_portable(int on) {
#ifdef DH_X86
    __atomic_store_n(&portable_only, on, __ATOMIC_RELAXED);
#else
    (void)on;
#endif
}

void dh_bins_table(const double *x, size_t n, const dh_table_axis *a, int32_t *out) {
#ifdef DH_X86
    if (has_avx2()) {
        table_avx2(x, n, a, out);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) out[i] = table_one(x[i], a);
}

void dh_bins_table_f32(const float *x, const int32_t *sel, size_t n, const dh_table_axis *a, int32_t *out) {
#ifdef DH_X86
    if (has_avx2()) {
        table_f32_avx2(x, sel, n, a, out);
        return;
    }
#endif
    if (sel) {
        for (size_t i = 0; i < n; i++) out[i] = table_one((double)x[sel[i]], a);
    } else {
        for (size_t i = 0; i < n; i++) out[i] = table_one((double)x[i], a);
    }
}

void dh_bins_variable(const double *x, size_t n, const double *e, int32_t bins, int32_t *out) {
    const size_t m = (size_t)bins + 1;  // edges
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        size_t base = 0, len = m;
        while (len > 1) {  // without branches: the compiler makes a conditional move
            size_t half = len >> 1;
            base = e[base + half] <= v ? base + half : base;
            len -= half;
        }
        int32_t b = (int32_t)(base + (e[base] <= v));
        out[i] = v != v ? bins + 1 : b;
    }
}

void dh_combine(const int32_t *a, const int32_t *b, size_t n, int32_t stride, int32_t *out) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] * stride + b[i];
}

void dh_count(const int32_t *cells, size_t n, int64_t *counts) {
    for (size_t i = 0; i < n; i++) counts[cells[i]] += 1;
}
