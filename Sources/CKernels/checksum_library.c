// XXH3-64 from the shared libxxhash, and the start-up choice between it and the AVX2 copy.
#include "CKernels.h"
#include "cpu.h"
#include <xxhash.h>

#if defined(__x86_64__) && defined(__clang__)
uint64_t dk_xxh3_64_avx2(const void *data, size_t len);
#endif

uint64_t dk_xxh3_64_library(const void *data, size_t len) { return XXH3_64bits(data, len); }

uint64_t dk_xxh3_64(const void *data, size_t len) {
#if defined(__x86_64__) && defined(__clang__)
    if (dk_cpu_has_avx2()) return dk_xxh3_64_avx2(data, len);
#endif
    return XXH3_64bits(data, len);
}
