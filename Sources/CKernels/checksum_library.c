// XXH3-64 from the shared libxxhash, and the start-up choice between it and the AVX2 copy.
#include "CKernels.h"
#include <xxhash.h>

#if defined(__x86_64__) && defined(__clang__)
uint64_t dk_xxh3_64_avx2(const void *data, size_t len);
#endif

uint64_t dk_xxh3_64_library(const void *data, size_t len) { return XXH3_64bits(data, len); }

uint64_t dk_xxh3_64(const void *data, size_t len) {
#if defined(__x86_64__) && defined(__clang__)
    static int use_avx2 = -1;  // racing first calls store the same value, atomically
    int use = __atomic_load_n(&use_avx2, __ATOMIC_RELAXED);
    if (use < 0) {
        use = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&use_avx2, use, __ATOMIC_RELAXED);
    }
    if (use) return dk_xxh3_64_avx2(data, len);
#endif
    return XXH3_64bits(data, len);
}
