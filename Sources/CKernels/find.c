// Finding a 4-byte pattern in raw bytes, for resynchronizing on DATE event headers.
#include "CKernels.h"
#include <string.h>

ptrdiff_t dk_find4(const uint8_t *data, size_t len, const uint8_t pattern[4]) {
    if (len < 4) return -1;
    const uint8_t *p = data, *end = data + len - 3;
    while (p < end) {
        const uint8_t *hit = memchr(p, pattern[0], (size_t)(end - p));
        if (!hit) return -1;
        if (memcmp(hit, pattern, 4) == 0) return hit - data;
        p = hit + 1;
    }
    return -1;
}
