/* Not part of the public interface (not installed): what the Swift side of libdarkscan calls
 * in its C part. Hidden from the library's exported symbols. */
#ifndef DARKSCAN_INTERNAL_H
#define DARKSCAN_INTERNAL_H

#include <stddef.h>

#define DARKSCAN_HIDDEN __attribute__((visibility("hidden")))

/* Records the message of a failed call for darkscan_last_error() on this thread. */
DARKSCAN_HIDDEN void darkscan_internal_set_last_error(int kind, const char *message);

#endif
