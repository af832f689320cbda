// In-place sort of 64-bit keys: most-significant-digit radix sort on bytes ("American flag"
// sort), with insertion sort for small buckets. No memory beyond the array and a few counters
// on the stack: it sorts the packed keys of a friend index whose size is most of a budget.
#include "CKernels.h"

static void insertion(uint64_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

static void radix(uint64_t *a, size_t n, int shift) {
    if (n <= 64) {
        insertion(a, n);
        return;
    }
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & 0xFF]++;
    size_t start[256], next[256];
    size_t sum = 0;
    for (int b = 0; b < 256; b++) {
        start[b] = next[b] = sum;
        sum += count[b];
    }
    // Move every key to its bucket by cycles: each swap puts one key where it belongs.
    for (int b = 0; b < 256; b++) {
        size_t end = start[b] + count[b];
        while (next[b] < end) {
            uint64_t x = a[next[b]];
            int d = (int)((x >> shift) & 0xFF);
            while (d != b) {
                uint64_t y = a[next[d]];
                a[next[d]++] = x;
                x = y;
                d = (int)((x >> shift) & 0xFF);
            }
            a[next[b]++] = x;
        }
    }
    if (shift == 0) return;
    for (int b = 0; b < 256; b++) {
        if (count[b] > 1) radix(a + start[b], count[b], shift - 8);
    }
}

void dk_sort_u64(uint64_t *a, size_t n) {
    if (n < 2) return;
    // Skip the high bytes that every key shares (most keys use few of their 64 bits).
    uint64_t diff = 0;
    for (size_t i = 1; i < n; i++) diff |= a[i] ^ a[0];
    if (diff == 0) return;
    int shift = 56;
    while (shift > 0 && ((diff >> shift) & 0xFF) == 0) shift -= 8;
    radix(a, n, shift);
}
