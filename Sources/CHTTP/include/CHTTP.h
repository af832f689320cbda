// Ranged HTTP(S) reads through libcurl, for Swift: the size of a URL and a byte range of it.
// Easy handles (and their open connections) are kept for the next request. Every call has a
// timeout in seconds and reports failures in a dk_http_error.
#ifndef CHTTP_H
#define CHTTP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    /// 1 when retrying may help (connection failed or lost, timeout, HTTP 5xx or 429).
    int transient;
    /// The HTTP status, or 0 when the request got none.
    int status;
    char message[480];
} dk_http_error;

/// The size of the resource at `url` (a HEAD request, redirects followed); -1 with `err`.
int64_t dk_http_size(const char *url, int timeout, dk_http_error *err);

/// Reads bytes `offset ..< offset + length` of `url` into `dst` with a Range request. 0 on
/// success; -1 with `err`; -2 when the server ignored the range (answered 200) or sent another
/// number of bytes.
int dk_http_read(const char *url, uint64_t offset, uint64_t length, void *dst, int timeout, dk_http_error *err);

#ifdef __cplusplus
}
#endif
#endif
