/*
 * darkscan.h: the C interface of Darkscan (libdarkscan.so.0).
 *
 * Open EVC files, read their schema, count events passing a query (the cut flow), skim the
 * survivors to a new file, and scan the survivors' columns as an Arrow C stream.
 *
 * Conventions
 *   - Handles are opaque. darkscan_close() takes the address of a handle, accepts NULL and a
 *     NULL handle, and sets the handle to NULL.
 *   - Every function that can fail returns 0 or an errno value (EINVAL, ENOENT, EIO, ENOMEM,
 *     EOVERFLOW, ENOTSUP, ECANCELED) and writes its results through out-parameters, which are
 *     left untouched on failure.
 *   - The last argument is an optional caller-owned darkscan_error (may be NULL). On failure it
 *     receives the code, a kind, a short reason and a message. The same message is also kept per
 *     thread: darkscan_last_error() returns it until the next failing call on that thread.
 *   - Strings are UTF-8 and NUL-terminated. Strings the library allocates for the caller are
 *     freed with darkscan_free().
 *   - No function aborts the process on bad input: a NULL pointer, a closed handle, an unknown
 *     column, a malformed query or a damaged file is an error code and a message.
 *   - Every function may be called from any thread; a dataset may be used by many threads at once.
 *
 * ABI: DARKSCAN_ABI_VERSION changes only when an existing declaration changes. Option structs
 * start with their own size, so that later versions can append fields.
 */
#ifndef DARKSCAN_H
#define DARKSCAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DARKSCAN_ABI_VERSION 1

/* ---- Arrow C data and stream interfaces (the layout the Arrow project defines) ---------- */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---- Versions, errors, memory ------------------------------------------------------------ */

/* DARKSCAN_ABI_VERSION of the loaded library: compare with the header's at start-up. */
uint32_t darkscan_abi_version(void);

/* The library's version, e.g. "0.1.0" (static storage). */
const char *darkscan_version(void);

typedef enum darkscan_error_kind {
    DARKSCAN_ERROR_NONE = 0,
    DARKSCAN_ERROR_ARGUMENT = 1,  /* NULL pointer, closed handle, unknown column, bad option */
    DARKSCAN_ERROR_QUERY = 2,     /* the query does not parse or check; message points at it */
    DARKSCAN_ERROR_FILE = 3,      /* missing, unreadable, damaged or mismatching input, or an
                                     output that cannot be written */
    DARKSCAN_ERROR_CANCELLED = 4, /* the consumer stopped a stream */
    DARKSCAN_ERROR_INTERNAL = 5   /* anything else (a bug: please report it) */
} darkscan_error_kind;

typedef struct darkscan_error {
    int32_t code;      /* errno value; 0 when the call succeeded */
    int32_t kind;      /* darkscan_error_kind */
    char reason[48];   /* machine-readable: "unknown-name", "checksum-mismatch", "no-such-file", ... */
    char message[4000]; /* one line; for query errors the query line, then a caret line under the
                           place and the message. Truncated to fit; darkscan_last_error() has it whole. */
} darkscan_error;

/* The message of the last failed call on this thread ("" if none). Valid until the next
 * failing call on this thread. */
const char *darkscan_last_error(void);

/* The darkscan_error_kind of that failure. */
int darkscan_last_error_kind(void);

/* Frees memory the library handed out (JSON strings). NULL is fine. */
void darkscan_free(void *pointer);

/* Allocates memory that darkscan_free() and the capsule destructors below free. */
void *darkscan_malloc(size_t size);

/* ---- Datasets ---------------------------------------------------------------------------- */

typedef struct darkscan_dataset darkscan_dataset;

typedef struct darkscan_open_options {
    size_t struct_size;       /* sizeof(darkscan_open_options) */
    int32_t verify_checksums; /* 1: check every page read against its XXH3 checksum (default) */
    int32_t threads;          /* threads of queries on this dataset; 0: every core (default) */
} darkscan_open_options;

/* Fills *options with the defaults. */
void darkscan_open_options_init(darkscan_open_options *options);

/* Opens EVC files as one dataset: each path is a file, a glob pattern (with *, ? or [) or a
 * directory (every .evc file inside). Only headers and footers are read here. The schemas of all
 * files must agree. options may be NULL (defaults). */
int darkscan_open(const char *const *paths, size_t n_paths, const darkscan_open_options *options,
                  darkscan_dataset **out, darkscan_error *error);

/* Closes *dataset and sets it to NULL. NULL and a NULL handle are fine. Streams made from the
 * dataset keep working after it is closed; batches outlive their stream. */
void darkscan_close(darkscan_dataset **dataset);

/* Events in the dataset. */
int darkscan_event_count(const darkscan_dataset *dataset, int64_t *out, darkscan_error *error);

/* The schema as an Arrow struct schema of the fields `columns` (all when columns is NULL), laid
 * out as the scan's batches are: scalars as Int/FloatingPoint/Bool, arrays as nested
 * FixedSizeList, lists as List, record lists as List<Struct>; every field non-nullable; the unit,
 * description and evc.field_id in field metadata (Formats/ARROW.md). The caller releases it. */
int darkscan_schema(const darkscan_dataset *dataset, const char *const *columns, size_t n_columns,
                    struct ArrowSchema *out, darkscan_error *error);

/* The dataset's files and their metadata as JSON:
 * {"events": N, "fields": [{"name", "type", "unit", "description", "id"}],
 *  "files": [{"path", "events", "clusters", "bytes", "version", "metadata": {key: value}}]}.
 * Free *out with darkscan_free(). */
int darkscan_metadata_json(const darkscan_dataset *dataset, char **out, darkscan_error *error);

/* ---- Queries ----------------------------------------------------------------------------- */

typedef struct darkscan_query_options {
    size_t struct_size;          /* sizeof(darkscan_query_options) */
    const char *weight;          /* count, skim: per-event weight expression, or NULL */
    const char *const *defines;  /* 'name = expr' aliases, checked in order; may be NULL */
    size_t n_defines;
    int32_t n_minus_1;           /* count: also count, per cut, the events passing all others */
    int32_t threads;             /* 0: the dataset's */
    int64_t batch_events;        /* scan: most events in one batch; 0: 65536. Smaller groups of
                                    survivors are gathered into batches of about this size. */
    const char *codec;           /* skim: "lz4" (NULL), "zstd", "zstd-N" or "none" */
    /* Added in 0.1 without an ABI change (read only when struct_size covers them): */
    const char *const *histograms; /* count, skim: histogram specs as `--hist` takes them
                                      (Formats/QUERY.md section 9), filled in the same pass;
                                      the cut flow's json holds them under "histograms" as
                                      UHI JSON (Formats/HIST.md), name -> histogram */
    size_t n_histograms;
} darkscan_query_options;

/* Fills *options with the defaults. */
void darkscan_query_options_init(darkscan_query_options *options);

/* Checks a query (and the columns, NULL for all) against the dataset without running it.
 * query may be NULL or "" (every event). */
int darkscan_check(const darkscan_dataset *dataset, const char *query, const char *const *columns,
                   size_t n_columns, const darkscan_query_options *options, darkscan_error *error);

typedef struct darkscan_cut {
    const char *name;    /* the cut's name ('name: expr') or its text */
    int64_t events;      /* events passing this cut and every one before it */
    double efficiency;   /* events / events of the line before (all events for the first) */
    double cumulative;   /* events / all events */
    double sum_w;        /* Σw and Σw² of those events (0 unless weighted) */
    double sum_w2;
    int64_t n_minus_1;   /* events passing every other cut (-1 unless asked for) */
} darkscan_cut;

/* What darkscan_count returns: Darkscan's CutFlow. */
typedef struct darkscan_cut_flow {
    int64_t total;        /* all events read */
    int64_t selected;     /* events passing every cut */
    double total_sum_w;
    double total_sum_w2;
    int32_t weighted;
    int32_t has_n_minus_1;
    size_t n_cuts;
    const darkscan_cut *cuts;
    int64_t clusters_read;
    int64_t clusters_skipped;      /* decided by page statistics alone */
    int64_t batches_decided_by_pages;
    double seconds;                /* wall time of the query */
    const char *table;             /* the table `darkscan count` prints */
    const char *json;              /* the object `darkscan count --json` prints */
    void *private_data;
} darkscan_cut_flow;

/* Runs the query over every event: the cut flow. Free it with darkscan_cut_flow_free(). */
int darkscan_count(const darkscan_dataset *dataset, const char *query,
                   const darkscan_query_options *options, darkscan_cut_flow **out,
                   darkscan_error *error);

/* Writes the events passing the query (fields `columns`, all when NULL) to the EVC file `path`,
 * written as PATH.partial and renamed when complete, with the query, the cut flow and the
 * inputs in its metadata. out may be NULL; else it receives the cut flow. */
int darkscan_skim(const darkscan_dataset *dataset, const char *query, const char *path,
                  const char *const *columns, size_t n_columns,
                  const darkscan_query_options *options, darkscan_cut_flow **out,
                  darkscan_error *error);

/* Frees *flow and sets it to NULL. NULL and a NULL flow are fine. */
void darkscan_cut_flow_free(darkscan_cut_flow **flow);

/* The events passing the query (every event when query is NULL or ""), fields `columns` (all
 * when NULL), as an Arrow C stream of struct arrays laid out as darkscan_schema() says, in file
 * order. The scan runs on a thread of its own, at most two batches ahead of the consumer; it
 * starts at the first get_next and stops when the stream is released. Query and column errors
 * are returned here; errors found while reading (a damaged page) by get_next, with the message
 * in get_last_error. Batches may be kept after the stream is released and released on any
 * thread. Numeric columns are not copied: batches point into the decoded buffers. */
int darkscan_scan(const darkscan_dataset *dataset, const char *query, const char *const *columns,
                  size_t n_columns, const darkscan_query_options *options,
                  struct ArrowArrayStream *out, darkscan_error *error);

/* ---- For language bindings --------------------------------------------------------------- */

/* Python's PyCapsule protocol: the destructors of capsules named "arrow_schema" and
 * "arrow_array_stream" holding structs allocated with darkscan_malloc(). They release the struct
 * if a consumer has not moved it out, then free it. Call darkscan_capsule_init once with the
 * address of PyCapsule_GetPointer (the library does not link libpython). */
void darkscan_capsule_init(void *(*get_pointer)(void *capsule, const char *name));
void darkscan_capsule_free_schema(void *capsule);
void darkscan_capsule_free_stream(void *capsule);

/* Diagnostics: batches handed out and not yet released, and whether `address` lies in a buffer
 * of such a batch (1) or not (0). For tests of zero-copy consumers and of leaks. */
int64_t darkscan_live_batches(void);
int darkscan_owns_address(const void *address);

#ifdef __cplusplus
}
#endif

#endif /* DARKSCAN_H */
