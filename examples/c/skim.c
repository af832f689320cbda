/*
 * skim: count, skim and scan EVC files through libdarkscan.
 *
 *   skim QUERY OUTPUT.evc INPUT...
 *
 * Prints the cut flow of QUERY over the inputs, writes the surviving events to OUTPUT.evc, then
 * reads the survivors' missing energy back through the Arrow C stream and prints its mean.
 *
 * Build against the installed library (tools/install-c):
 *   cc -o skim examples/c/skim.c $(pkg-config --cflags --libs darkscan)
 */
#include <darkscan.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, const darkscan_error *err) {
    fprintf(stderr, "skim: %s: %s\n", what, err->message);
    return err->kind == DARKSCAN_ERROR_QUERY ? 2 : 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: skim QUERY OUTPUT.evc INPUT...\n");
        return 64;
    }
    if (darkscan_abi_version() != DARKSCAN_ABI_VERSION) {
        fprintf(stderr, "skim: libdarkscan has ABI %u, this program was built for %d\n", darkscan_abi_version(), DARKSCAN_ABI_VERSION);
        return 1;
    }
    const char *query = argv[1], *output = argv[2];
    darkscan_error err;
    darkscan_dataset *ds = NULL;
    if (darkscan_open((const char *const *)argv + 3, (size_t)(argc - 3), NULL, &ds, &err) != 0) return fail("open", &err);

    darkscan_cut_flow *flow = NULL;
    if (darkscan_skim(ds, query, output, NULL, 0, NULL, &flow, &err) != 0) {
        darkscan_close(&ds);
        return fail("skim", &err);
    }
    printf("%s\n", flow->table);
    printf("%lld of %lld events written to %s (%.3f s)\n", (long long)flow->selected, (long long)flow->total, output, flow->seconds);
    darkscan_cut_flow_free(&flow);

    /* The same survivors as an Arrow stream: struct batches with one child per column. */
    const char *columns[] = {"missing_energy"};
    struct ArrowArrayStream stream;
    if (darkscan_scan(ds, query, columns, 1, NULL, &stream, &err) != 0) {
        darkscan_close(&ds);
        return fail("scan", &err);
    }
    darkscan_close(&ds); /* the stream keeps what it needs */
    double sum = 0;
    long long rows = 0;
    int rc;
    for (;;) {
        struct ArrowArray batch;
        if ((rc = stream.get_next(&stream, &batch)) != 0) {
            fprintf(stderr, "skim: scan: %s\n", stream.get_last_error(&stream));
            break;
        }
        if (batch.release == NULL) break; /* end of stream */
        const struct ArrowArray *energy = batch.children[0];
        const float *values = (const float *)energy->buffers[1];
        for (int64_t i = 0; i < energy->length; i++) sum += values[energy->offset + i];
        rows += batch.length;
        batch.release(&batch);
    }
    stream.release(&stream);
    if (rc != 0) return 1;
    printf("mean missing energy of the %lld survivors: %.3f GeV\n", rows, rows ? sum / (double)rows : 0.0);
    return 0;
}
