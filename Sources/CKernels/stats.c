#include "CKernels.h"

// Min and max skip NaN (x == x is false only for NaN). Written as branch-free selects over
// independent lanes so that the compiler vectorizes them.
#define STATS_BODY(T)                                                               \
    uint64_t nans = 0;                                                              \
    T lo = (T)__builtin_inf(), hi = -(T)__builtin_inf();                            \
    for (size_t i = 0; i < n; i++) {                                                \
        T x = values[i];                                                            \
        int ok = x == x;                                                            \
        nans += (uint64_t)!ok;                                                      \
        T a = ok ? x : lo, b = ok ? x : hi;                                         \
        lo = a < lo ? a : lo;                                                       \
        hi = b > hi ? b : hi;                                                       \
    }                                                                               \
    *nan_count = nans;                                                              \
    *min = (double)lo;                                                              \
    *max = (double)hi;                                                              \
    return nans < n;

int dk_stats_f32(const float *values, size_t n, double *min, double *max, uint64_t *nan_count) {
    STATS_BODY(float)
}

int dk_stats_f64(const double *values, size_t n, double *min, double *max, uint64_t *nan_count) {
    STATS_BODY(double)
}
