// XXH3-64 through the system's xxhash.h, compiled in a function that targets AVX2.
// libxxhash as Debian builds it targets baseline x86-64 (SSE2); the same header compiled for
// AVX2 hashes about twice as fast, which keeps page verification under 10% of read time. Both
// give identical hashes (XXH3 is defined independently of the vector unit, and a test checks
// it); checksum_library.c picks this copy only when the CPU has AVX2.
#include "CKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>
#pragma clang attribute pop

uint64_t dk_xxh3_64_avx2(const void *data, size_t len) { return XXH3_64bits(data, len); }
#endif
