// A small C interface to the XRootD client library (XrdCl, C++), for Swift: open, stat,
// vector read, close, and a directory listing. Every call takes a timeout in seconds and
// reports failures in a dk_xrd_error, never by exception.
#ifndef CXROOTD_H
#define CXROOTD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dk_xrd_file dk_xrd_file;

typedef struct {
    /// 1 when retrying may help (connection lost, timeout, server busy); 0 when it cannot.
    int transient;
    /// XrdCl status code and server error number (kXR_*), for messages.
    int code;
    int err_no;
    char message[480];
} dk_xrd_error;

/// Bounds on how long the client keeps trying: seconds to connect before giving up, how many
/// times, and a default per-request timeout. Call before the first open.
void dk_xrd_configure(int connection_window, int connection_retry, int request_timeout);

/// Opens `url` for reading and stats it. NULL on failure (with `err` filled).
dk_xrd_file *dk_xrd_open(const char *url, uint16_t timeout, uint64_t *size, dk_xrd_error *err);

/// Reads `n` ranges at once (a kXR_readv) into a buffer it provides, the ranges back to back,
/// and sets `*out` to it (the caller gives it back with dk_xrd_release). 0 on success; -1 with
/// `err` on failure; -2 when the server returned fewer bytes than asked for (the file shrank).
int dk_xrd_readv(dk_xrd_file *f, int n, const uint64_t *offsets, const uint32_t *lengths, void **out,
                 uint16_t timeout, dk_xrd_error *err);

/// Gives back a buffer from dk_xrd_readv: kept for the next reads (a few, bounded in bytes), so
/// that large reads do not fault in fresh pages every time.
void dk_xrd_release(void *buffer);

/// The current size of the open file, or -1 with `err`.
int64_t dk_xrd_size(dk_xrd_file *f, uint16_t timeout, dk_xrd_error *err);

void dk_xrd_close(dk_xrd_file *f);

/// The names in directory `url` (root://host//dir), one per line, in a buffer the caller frees
/// with free(); NULL with `err` on failure.
char *dk_xrd_dirlist(const char *url, uint16_t timeout, dk_xrd_error *err);

#ifdef __cplusplus
}
#endif
#endif
