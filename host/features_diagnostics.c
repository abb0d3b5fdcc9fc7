/* Processing diagnostics reported with the IBSI reference values: image
 * geometry and intensities, ROI grids, bounding boxes, voxel counts and
 * intensities after each step. They make a wrong step visible at once. */
#include <math.h>

#include "families.h"

void rdx_diag_image(const rdx_image *img, int stage, double *v)
{
    double *o = v + RDX_F_IMG_DIM_X_INIT_IMG + stage * (RDX_F_IMG_DIM_X_INTERP_IMG - RDX_F_IMG_DIM_X_INIT_IMG);
    size_t n = rdx_grid_count(&img->grid);
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    /* Exact for integer images; fixed order for the rest. */
    for (size_t i = 0; i < n; i++) {
        sum += img->data[i];
        mn = fmin(mn, img->data[i]);
        mx = fmax(mx, img->data[i]);
    }
    for (int a = 0; a < 3; a++) {
        o[a] = (double)img->grid.dim[a];
        o[3 + a] = img->grid.spacing[a];
    }
    o[6] = sum / (double)n;
    o[7] = mn;
    o[8] = mx;
}

static void mask_stats(const rdx_image *img, const rdx_mask *m, double bb[3], double *count, double *mean,
                       double *mn, double *mx)
{
    const int64_t *d = m->grid.dim;
    int64_t lo[3] = {d[0], d[1], d[2]}, hi[3] = {-1, -1, -1};
    double n = 0, s = 0;
    *mn = INFINITY;
    *mx = -INFINITY;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++) {
                size_t i = (size_t)(x + d[0] * (y + d[1] * z));
                if (!m->data[i])
                    continue;
                int64_t c[3] = {x, y, z};
                for (int a = 0; a < 3; a++) {
                    if (c[a] < lo[a]) lo[a] = c[a];
                    if (c[a] > hi[a]) hi[a] = c[a];
                }
                n += 1;
                s += img->data[i];
                *mn = fmin(*mn, img->data[i]);
                *mx = fmax(*mx, img->data[i]);
            }
    for (int a = 0; a < 3; a++)
        bb[a] = hi[a] >= lo[a] ? (double)(hi[a] - lo[a] + 1) : 0.0;
    *count = n;
    *mean = n > 0 ? s / n : NAN;
}

void rdx_diag_roi(const rdx_image *img, const rdx_mask *int_mask, const rdx_mask *morph_mask, int stage,
                  double *v)
{
    double *o = v + RDX_F_INT_MASK_DIM_X_INIT_ROI +
                stage * (RDX_F_INT_MASK_DIM_X_INTERP_ROI - RDX_F_INT_MASK_DIM_X_INIT_ROI);
    double bb_int[3], bb_morph[3], n_int, n_morph, mean, mn, mx, unused[3];
    mask_stats(img, morph_mask, bb_morph, &n_morph, &unused[0], &unused[1], &unused[2]);
    mask_stats(img, int_mask, bb_int, &n_int, &mean, &mn, &mx);
    for (int a = 0; a < 3; a++) {
        o[a] = (double)int_mask->grid.dim[a];
        o[3 + a] = bb_int[a];
        o[6 + a] = bb_morph[a];
    }
    o[9] = n_int;
    o[10] = n_morph;
    o[11] = mean;
    o[12] = mn;
    o[13] = mx;
}
