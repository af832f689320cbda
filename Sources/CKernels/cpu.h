// Which SIMD extensions this CPU has, asked once per feature: the kernels pick their loops with
// these at the first call. Racing first calls compute and store the same answer, atomically.
#ifndef DARKSCAN_CPU_H
#define DARKSCAN_CPU_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define DK_CPU_FEATURE(name, feature)                                  \
    static inline int name(void) {                                     \
        static int known = -1;                                         \
        int has = __atomic_load_n(&known, __ATOMIC_RELAXED);           \
        if (has < 0) {                                                 \
            has = __builtin_cpu_supports(feature) ? 1 : 0;             \
            __atomic_store_n(&known, has, __ATOMIC_RELAXED);           \
        }                                                              \
        return has;                                                    \
    }
DK_CPU_FEATURE(dk_cpu_has_ssse3, "ssse3")
DK_CPU_FEATURE(dk_cpu_has_sse42, "sse4.2")
DK_CPU_FEATURE(dk_cpu_has_avx2, "avx2")
#undef DK_CPU_FEATURE
#endif

#endif
