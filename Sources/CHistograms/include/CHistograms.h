// The hot loops of histogram filling (Sources/Histograms/FillKernels.swift says what each
// computes and how it is tested). Bin numbers are stored bins: 0 underflow, 1..bins, bins+1
// overflow (NaN included).
#ifndef DARKSCAN_CHISTOGRAMS_H
#define DARKSCAN_CHISTOGRAMS_H
#include <stddef.h>
#include <stdint.h>

// A regular or integer axis of `bins` bins from lo to hi, whose edge k < bins is lo + k * step
// and edge bins is hi: the guess (x - lo) * norm, clamped to 0..bins-1, corrected by one step
// against the edges next to it.
typedef struct {
    double lo, hi, step, norm;
    int32_t bins;
} dh_table_axis;

void dh_bins_table(const double *x, size_t n, const dh_table_axis *axis, int32_t *out);

// The same for float values x[sel[i]] (or x[i] when sel is NULL): a float32 column read in
// place through the batch's selection.
void dh_bins_table_f32(const float *x, const int32_t *sel, size_t n, const dh_table_axis *axis, int32_t *out);

// Tests: 1 makes the kernels take their portable loops whatever the CPU has, 0 undoes it.
void dh_force_portable(int on);

// A variable axis: the number of edges <= x (binary search), NaN to the overflow.
void dh_bins_variable(const double *x, size_t n, const double *edges, int32_t bins, int32_t *out);

// out[i] = a[i] * stride + b[i]: the cell of a 2D histogram from the bins of its axes.
void dh_combine(const int32_t *a, const int32_t *b, size_t n, int32_t stride, int32_t *out);

// counts[cells[i]] += 1 for each entry.
void dh_count(const int32_t *cells, size_t n, int64_t *counts);

#endif
