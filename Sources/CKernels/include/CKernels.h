// Hot byte-level kernels of the EVC encodings. Plain C so that the compiler emits SIMD on every
// target; each function is pure, takes explicit lengths and never reads or writes outside them.
#ifndef DARKSCAN_CKERNELS_H
#define DARKSCAN_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Byte-stream split: `n` values of `width` bytes at `src` become `width` streams of `n` bytes at
/// `dst` (stream j holds byte j of every value). `dst` has room for n*width bytes.
void dk_bytesplit_encode(const uint8_t *src, size_t n, size_t width, uint8_t *dst);
/// Inverse of dk_bytesplit_encode.
void dk_bytesplit_decode(const uint8_t *src, size_t n, size_t width, uint8_t *dst);

/// Packs the low `bits` bits (0...64) of each of `n` values LSB-first into `dst`, which has room
/// for dk_bitpack_size(n, bits) bytes (the packed bits plus 8 zero bytes of padding).
void dk_bitpack(const uint64_t *values, size_t n, unsigned bits, uint8_t *dst);
size_t dk_bitpack_size(size_t n, unsigned bits);

/// Frame-of-reference decode: value[i] = reference + packed[i] (wrapping), stored with `width`
/// bytes (1, 2, 4 or 8). `src` holds dk_bitpack_size(n, bits) bytes.
void dk_for_decode(const uint8_t *src, size_t n, unsigned bits, uint64_t reference, size_t width, void *dst);
/// Delta decode: value[0] = first; value[i] = value[i-1] + min_delta + packed[i-1] (wrapping),
/// stored with `width` bytes. `src` holds dk_bitpack_size(n - 1, bits) bytes; n >= 1.
void dk_delta_decode(const uint8_t *src, size_t n, unsigned bits, uint64_t first, uint64_t min_delta,
                     size_t width, void *dst);

/// Widens `n` integers of `width` bytes (sign-extending when `is_signed`) to 64 bits.
void dk_widen(const void *src, size_t n, size_t width, int is_signed, uint64_t *dst);

/// Statistics of a float column: min and max over the values that are not NaN, and the NaN count.
/// Returns 0 when every value is NaN (or n == 0), 1 otherwise.
int dk_stats_f32(const float *values, size_t n, double *min, double *max, uint64_t *nan_count);
int dk_stats_f64(const double *values, size_t n, double *min, double *max, uint64_t *nan_count);

/// Dense compare into a bit mask: bit i % 64 of words[i / 64] becomes `v[i] op c` for i < n, where
/// op is 0 <, 1 <=, 2 >, 3 >=, 4 ==, 5 != (NaN fails every op, != included). With `narrow` nonzero the result is ANDed
/// with the bit already there, and a word already 0 is kept without reading its values. Bits
/// from n to the end of the last word become 0. Returns the number of bits set.
size_t dk_mask_f32(const float *v, size_t n, int op, float c, uint64_t *words, int narrow);
size_t dk_mask_f64(const double *v, size_t n, int op, double c, uint64_t *words, int narrow);
size_t dk_mask_u8(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow);
size_t dk_mask_i8(const int8_t *v, size_t n, int op, int8_t c, uint64_t *words, int narrow);
size_t dk_mask_i16(const int16_t *v, size_t n, int op, int16_t c, uint64_t *words, int narrow);
size_t dk_mask_u16(const uint16_t *v, size_t n, int op, uint16_t c, uint64_t *words, int narrow);
size_t dk_mask_i32(const int32_t *v, size_t n, int op, int32_t c, uint64_t *words, int narrow);
size_t dk_mask_u32(const uint32_t *v, size_t n, int op, uint32_t c, uint64_t *words, int narrow);
size_t dk_mask_i64(const int64_t *v, size_t n, int op, int64_t c, uint64_t *words, int narrow);
size_t dk_mask_u64(const uint64_t *v, size_t n, int op, uint64_t c, uint64_t *words, int narrow);
/// The same without AVX2, for tests.
size_t dk_mask_f32_baseline(const float *v, size_t n, int op, float c, uint64_t *words, int narrow);
size_t dk_mask_u8_baseline(const uint8_t *v, size_t n, int op, uint8_t c, uint64_t *words, int narrow);
/// Writes the positions of the bits set among the first n bits of `words` (whose bits past n
/// are 0) to `out`, ascending, and returns their count. `out` has room for n rounded up to a
/// multiple of 64 (the dense path stores 8 positions at a time).
size_t dk_mask_indices(const uint64_t *words, size_t n, int32_t *out);
size_t dk_mask_indices_baseline(const uint64_t *words, size_t n, int32_t *out);
/// Keeps, in place and in order, the first n indices i of `list` for which
/// `v[i * stride + offset] op c` holds (op codes as above); returns how many.
size_t dk_narrow_f32(const float *v, size_t stride, size_t offset, int op, float c, int32_t *list, size_t n);
size_t dk_narrow_f64(const double *v, size_t stride, size_t offset, int op, double c, int32_t *list, size_t n);
size_t dk_narrow_u8(const uint8_t *v, size_t stride, size_t offset, int op, uint8_t c, int32_t *list, size_t n);
size_t dk_narrow_i8(const int8_t *v, size_t stride, size_t offset, int op, int8_t c, int32_t *list, size_t n);
size_t dk_narrow_i16(const int16_t *v, size_t stride, size_t offset, int op, int16_t c, int32_t *list, size_t n);
size_t dk_narrow_u16(const uint16_t *v, size_t stride, size_t offset, int op, uint16_t c, int32_t *list, size_t n);
size_t dk_narrow_i32(const int32_t *v, size_t stride, size_t offset, int op, int32_t c, int32_t *list, size_t n);
size_t dk_narrow_u32(const uint32_t *v, size_t stride, size_t offset, int op, uint32_t c, int32_t *list, size_t n);
size_t dk_narrow_i64(const int64_t *v, size_t stride, size_t offset, int op, int64_t c, int32_t *list, size_t n);
size_t dk_narrow_u64(const uint64_t *v, size_t stride, size_t offset, int op, uint64_t c, int32_t *list, size_t n);

/// XXH3-64 (seed 0) of `len` bytes: the system libxxhash's algorithm, through an AVX2 build of
/// its header when the CPU has AVX2. dk_xxh3_64_library always calls the shared library.
uint64_t dk_xxh3_64(const void *data, size_t len);
uint64_t dk_xxh3_64_library(const void *data, size_t len);

/// CRC32C (Castagnoli, reflected; init/final XOR done inside: pass 0 to start, or a previous
/// result to continue) of `len` bytes. SSE4.2 when the CPU has it; dk_crc32c_portable is the
/// table version every CPU runs, for tests.
uint32_t dk_crc32c(uint32_t crc, const void *data, size_t len);
uint32_t dk_crc32c_portable(uint32_t crc, const void *data, size_t len);

/// Offset of the first occurrence of the 4 bytes `pattern` in `data[0..<len]`, or -1.
ptrdiff_t dk_find4(const uint8_t *data, size_t len, const uint8_t pattern[4]);

/// Reads up to `n` bytes at `offset` of `fd` only if they are in the page cache (preadv2 with
/// RWF_NOWAIT): the byte count, or -1 when they are not (or the call is not supported).
long dk_pread_cached(int fd, void *buf, size_t n, int64_t offset);

/// Sorts `n` 64-bit keys in place, ascending (radix sort on bytes; no memory beyond `a`).
void dk_sort_u64(uint64_t *a, size_t n);

#ifdef __cplusplus
}
#endif
#endif
