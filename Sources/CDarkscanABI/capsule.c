// Destructors of the PyCapsules the Python package hands to pyarrow, polars and duckdb. They
// live in the library, not in Python: a destructor written with ctypes fails when a consumer
// frees the capsule while an exception of its own is pending. PyCapsule_GetPointer's address
// comes from the caller, so that the library needs no libpython.
#include "darkscan.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef void *(*get_pointer_fn)(void *capsule, const char *name);
static _Atomic(get_pointer_fn) get_pointer;

void darkscan_capsule_init(void *(*fn)(void *capsule, const char *name)) {
    atomic_store(&get_pointer, fn);
}

void darkscan_capsule_free_schema(void *capsule) {
    get_pointer_fn get = atomic_load(&get_pointer);
    if (get == NULL || capsule == NULL) return;
    struct ArrowSchema *schema = get(capsule, "arrow_schema");
    if (schema == NULL) return;
    if (schema->release != NULL) schema->release(schema);
    free(schema);
}

void darkscan_capsule_free_stream(void *capsule) {
    get_pointer_fn get = atomic_load(&get_pointer);
    if (get == NULL || capsule == NULL) return;
    struct ArrowArrayStream *stream = get(capsule, "arrow_array_stream");
    if (stream == NULL) return;
    if (stream->release != NULL) stream->release(stream);
    free(stream);
}
