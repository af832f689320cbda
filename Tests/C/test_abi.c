/*
 * The C interface from C: compiled with cc against the installed header and darkscan.pc (run by
 * Tests/Python/test_c.py). Checks return codes and messages for bad input, the schema's Arrow
 * layout, counts against the number the CLI gave, and batches that outlive their stream and are
 * released on another thread.
 *
 *   test_abi KINDS.evc RUN.evc QUERY EXPECTED_SELECTED
 */
#include <darkscan.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static void *release_batch(void *p) {
    struct ArrowArray *batch = p;
    batch->release(batch);
    return NULL;
}

static void bad_input(const char *kinds) {
    darkscan_error err;
    darkscan_dataset *ds = NULL;
    CHECK(darkscan_open(NULL, 0, NULL, &ds, &err) == EINVAL && err.kind == DARKSCAN_ERROR_ARGUMENT);
    const char *missing[] = {"/nonexistent/run.evc"};
    CHECK(darkscan_open(missing, 1, NULL, &ds, &err) == ENOENT && err.kind == DARKSCAN_ERROR_FILE);
    CHECK(strstr(err.message, "/nonexistent/run.evc") != NULL && strcmp(err.reason, "no-such-file") == 0);
    CHECK(strcmp(darkscan_last_error(), err.message) == 0 && darkscan_last_error_kind() == DARKSCAN_ERROR_FILE);
    CHECK(ds == NULL);
    int64_t n = -1;
    CHECK(darkscan_event_count(NULL, &n, &err) == EINVAL && n == -1);
    CHECK(darkscan_event_count(NULL, &n, NULL) == EINVAL);  /* no error struct: last error only */
    CHECK(strstr(darkscan_last_error(), "NULL") != NULL);
    darkscan_close(NULL);
    darkscan_close(&ds);
    darkscan_cut_flow_free(NULL);
    darkscan_free(NULL);

    const char *paths[] = {kinds};
    darkscan_open_options oo;
    darkscan_open_options_init(&oo);
    oo.threads = 2;
    CHECK(darkscan_open(paths, 1, &oo, &ds, &err) == 0 && ds != NULL && err.code == 0);
    darkscan_cut_flow *flow = NULL;
    CHECK(darkscan_count(ds, "s_int32 > 1 GeV", NULL, &flow, &err) == EINVAL && err.kind == DARKSCAN_ERROR_QUERY);
    CHECK(strchr(err.message, '^') != NULL && flow == NULL);
    CHECK(darkscan_count(ds, NULL, NULL, NULL, &err) == EINVAL);
    const char *cols[] = {"no_such_column"};
    struct ArrowArrayStream stream;
    memset(&stream, 0, sizeof stream);
    CHECK(darkscan_scan(ds, NULL, cols, 1, NULL, &stream, &err) == EINVAL && stream.release == NULL);
    darkscan_query_options qo;
    darkscan_query_options_init(&qo);
    qo.batch_events = -5;
    CHECK(darkscan_scan(ds, NULL, NULL, 0, &qo, &stream, &err) == EINVAL);
    darkscan_dataset *stale = ds;
    darkscan_close(&ds);
    CHECK(ds == NULL);
    CHECK(darkscan_event_count(stale, &n, &err) == EINVAL && strstr(err.message, "closed") != NULL);
}

static void schema_layout(darkscan_dataset *ds) {
    struct ArrowSchema schema;
    darkscan_error err;
    const char *cols[] = {"cells", "hits", "s_uint16", "s_bool"};
    CHECK(darkscan_schema(ds, cols, 4, &schema, &err) == 0);
    CHECK(strcmp(schema.format, "+s") == 0 && schema.n_children == 4);
    struct ArrowSchema *cells = schema.children[0], *hits = schema.children[1];
    CHECK(strcmp(cells->name, "cells") == 0 && strcmp(cells->format, "+w:2") == 0);
    CHECK(strcmp(cells->children[0]->format, "+w:3") == 0 && strcmp(cells->children[0]->children[0]->format, "f") == 0);
    CHECK(strcmp(hits->format, "+l") == 0 && strcmp(hits->children[0]->format, "+s") == 0);
    CHECK(strcmp(hits->children[0]->children[1]->name, "amp") == 0);
    CHECK(strcmp(schema.children[2]->format, "S") == 0 && strcmp(schema.children[3]->format, "b") == 0);
    CHECK(cells->flags == 0 && cells->metadata != NULL);
    /* metadata: int32 count, then (int32 length, bytes) for each key and value */
    int32_t count;
    memcpy(&count, cells->metadata, 4);
    CHECK(count == 3);
    schema.release(&schema);
    CHECK(schema.release == NULL);
}

static void stream_outlived_by_batches(darkscan_dataset *ds, const char *query, long long expected) {
    darkscan_error err;
    const char *cols[] = {"missing_energy", "mm_hits"};
    darkscan_query_options qo;
    darkscan_query_options_init(&qo);
    qo.batch_events = 64;
    struct ArrowArrayStream stream;
    CHECK(darkscan_scan(ds, query, cols, 2, &qo, &stream, &err) == 0);
    struct ArrowSchema schema;
    CHECK(stream.get_schema(&stream, &schema) == 0 && schema.n_children == 2);
    schema.release(&schema);
    struct ArrowArray kept[4096];
    int batches = 0;
    long long rows = 0;
    for (;;) {
        struct ArrowArray batch;
        int rc = stream.get_next(&stream, &batch);
        CHECK(rc == 0);
        if (rc != 0 || batch.release == NULL) break;
        CHECK(batch.length <= 64 && batch.n_children == 2);
        rows += batch.length;
        if (batches < 4096) kept[batches++] = batch; /* moved: a bitwise copy */
        else batch.release(&batch);
    }
    stream.release(&stream);
    CHECK(stream.release == NULL);
    CHECK(rows == expected);
    /* Batches outlive the stream; each is read, then released on a thread of its own. */
    for (int i = 0; i < batches; i++) {
        const struct ArrowArray *me = kept[i].children[0];
        const float *v = me->buffers[1];
        for (int64_t k = 0; k < me->length; k++) CHECK(v[k] > 50);
        const int32_t *offsets = kept[i].children[1]->buffers[1];
        CHECK(offsets[0] == 0 && offsets[kept[i].length] == kept[i].children[1]->children[0]->length);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, release_batch, &kept[i]) == 0);
        pthread_join(t, NULL);
        CHECK(kept[i].release == NULL);
    }
    CHECK(darkscan_live_batches() == 0);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: test_abi KINDS.evc RUN.evc QUERY EXPECTED_SELECTED\n");
        return 64;
    }
    CHECK(darkscan_abi_version() == DARKSCAN_ABI_VERSION);
    CHECK(strlen(darkscan_version()) > 0);
    bad_input(argv[1]);

    darkscan_error err;
    darkscan_dataset *kinds = NULL, *run = NULL;
    CHECK(darkscan_open((const char *const *)argv + 1, 1, NULL, &kinds, &err) == 0);
    schema_layout(kinds);
    darkscan_close(&kinds);

    CHECK(darkscan_open((const char *const *)argv + 2, 1, NULL, &run, &err) == 0);
    long long expected = atoll(argv[4]);
    darkscan_cut_flow *flow = NULL;
    darkscan_query_options qo;
    darkscan_query_options_init(&qo);
    qo.n_minus_1 = 1;
    CHECK(darkscan_count(run, argv[3], &qo, &flow, &err) == 0);
    CHECK(flow->selected == expected && flow->n_cuts == 2 && flow->has_n_minus_1 == 1);
    CHECK(flow->cuts[1].events == expected && flow->cuts[0].events >= expected);
    CHECK(strstr(flow->json, "\"n_minus_1\"") != NULL && strstr(flow->table, "N-1") != NULL);
    darkscan_cut_flow_free(&flow);
    CHECK(flow == NULL);
    /* Histograms filled in the same pass, in the JSON as UHI; a bad spec is a query error. */
    const char *hists[] = {"ecal_e: 30 bins 0 GeV .. 150 GeV", "eh = ecal_e vs hcal_e: 15 bins 0 GeV .. 150 GeV, 6 bins 0 GeV .. 60 GeV"};
    darkscan_query_options_init(&qo);
    qo.histograms = hists;
    qo.n_histograms = 2;
    CHECK(darkscan_count(run, argv[3], &qo, &flow, &err) == 0);
    CHECK(flow->selected == expected && strstr(flow->json, "\"histograms\"") != NULL && strstr(flow->json, "\"eh\"") != NULL
          && strstr(flow->json, "\"uhi_schema\" : 1") != NULL);
    darkscan_cut_flow_free(&flow);
    hists[0] = "ecal_e: 0 bins 0 GeV .. 150 GeV";
    CHECK(darkscan_count(run, argv[3], &qo, &flow, &err) == EINVAL && err.kind == DARKSCAN_ERROR_QUERY && flow == NULL);
    qo.histograms = NULL;
    CHECK(darkscan_count(run, argv[3], &qo, &flow, &err) == EINVAL && flow == NULL);
    char *json = NULL;
    CHECK(darkscan_metadata_json(run, &json, &err) == 0 && strstr(json, "\"files\"") != NULL);
    darkscan_free(json);
    stream_outlived_by_batches(run, argv[3], expected);
    darkscan_close(&run);

    if (failures) {
        fprintf(stderr, "test_abi: %d checks failed\n", failures);
        return 1;
    }
    printf("test_abi: all checks passed\n");
    return 0;
}
