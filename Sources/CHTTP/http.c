// The C interface of CHTTP.h over libcurl's easy API (its setopt calls are variadic, which Swift
// cannot call). Handles are pooled: a kept handle keeps its connection (and TLS session) open.
#include "CHTTP.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

enum { POOL = 16 };
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL];
static int pooled = 0;

static CURL *take(void) {
    pthread_once(&once, init);
    CURL *h = NULL;
    pthread_mutex_lock(&pool_lock);
    if (pooled > 0) h = pool[--pooled];
    pthread_mutex_unlock(&pool_lock);
    if (!h) h = curl_easy_init();
    else curl_easy_reset(h);
    return h;
}

static void give(CURL *h) {
    pthread_mutex_lock(&pool_lock);
    if (pooled < POOL) {
        pool[pooled++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (h) curl_easy_cleanup(h);
}

static void common(CURL *h, const char *url, int timeout) {
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)timeout);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "darkscan");
}

/// Fills `err` from a curl result and an HTTP status; returns -1.
static int failed(dk_http_error *err, CURLcode rc, long status, const char *errbuf) {
    if (!err) return -1;
    err->status = (int)status;
    if (rc != CURLE_OK) {
        switch (rc) {
        case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SSL_CONNECT_ERROR:
            err->transient = 1;
            break;
        default:
            err->transient = 0;
        }
        snprintf(err->message, sizeof err->message, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else {
        err->transient = status >= 500 || status == 429;
        snprintf(err->message, sizeof err->message, "HTTP status %ld", status);
    }
    return -1;
}

int64_t dk_http_size(const char *url, int timeout, dk_http_error *err) {
    CURL *h = take();
    if (!h) {
        if (err) { err->transient = 0; err->status = 0; snprintf(err->message, sizeof err->message, "cannot start libcurl"); }
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    common(h, url, timeout);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t size = -1;
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    give(h);
    if (rc != CURLE_OK || status != 200) return failed(err, rc, status, errbuf);
    if (size < 0) {
        if (err) { err->transient = 0; err->status = (int)status; snprintf(err->message, sizeof err->message, "the server gives no size (Content-Length)"); }
        return -1;
    }
    return (int64_t)size;
}

struct sink {
    char *dst;
    uint64_t want, got;
};

static size_t write_cb(char *data, size_t size, size_t n, void *user) {
    struct sink *s = user;
    size_t bytes = size * n;
    if (s->got + bytes > s->want) return 0;  // more than asked for: abort the transfer
    memcpy(s->dst + s->got, data, bytes);
    s->got += bytes;
    return bytes;
}

int dk_http_read(const char *url, uint64_t offset, uint64_t length, void *dst, int timeout, dk_http_error *err) {
    if (length == 0) return 0;
    CURL *h = take();
    if (!h) {
        if (err) { err->transient = 0; err->status = 0; snprintf(err->message, sizeof err->message, "cannot start libcurl"); }
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    char range[64];
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)offset, (unsigned long long)(offset + length - 1));
    struct sink s = {dst, length, 0};
    common(h, url, timeout);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_RANGE, range);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    give(h);
    if (status == 200 || (rc == CURLE_WRITE_ERROR && s.got == length)) {
        if (err) { err->transient = 0; err->status = (int)status; snprintf(err->message, sizeof err->message, "the server ignores range requests (answered %ld to a Range request)", status); }
        return -2;
    }
    if (rc != CURLE_OK || status != 206) return failed(err, rc, status, errbuf);
    if (s.got != length) {
        if (err) { err->transient = 0; err->status = (int)status; snprintf(err->message, sizeof err->message, "the server sent %llu bytes of the %llu asked for", (unsigned long long)s.got, (unsigned long long)length); }
        return -2;
    }
    return 0;
}
