// The per-thread last error, and the allocator the library's callers free with.
#include "darkscan.h"
#include "darkscan_internal.h"

#include <stdlib.h>
#include <string.h>

// Dynamic TLS (the library is loaded with dlopen); one message per thread, truncated to fit.
static _Thread_local char last_message[8192];
static _Thread_local int last_kind;

void darkscan_internal_set_last_error(int kind, const char *message) {
    last_kind = kind;
    if (message == NULL) {
        last_message[0] = 0;
        return;
    }
    size_t n = strlen(message);
    if (n >= sizeof last_message) n = sizeof last_message - 1;
    memcpy(last_message, message, n);
    last_message[n] = 0;
}

const char *darkscan_last_error(void) { return last_message; }

int darkscan_last_error_kind(void) { return last_kind; }

void darkscan_free(void *pointer) { free(pointer); }

void *darkscan_malloc(size_t size) { return calloc(1, size == 0 ? 1 : size); }
