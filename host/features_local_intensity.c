/* Local intensity features (IBSI reference manual 3.2).
 *
 * The local mean at a voxel is the mean of every image voxel (inside or
 * outside the ROI) whose centre lies within r = (3 / (4 pi))^(1/3) cm
 * (6.2035 mm) of that voxel's centre: a 1 cm^3 sphere. Voxels beyond the
 * image edge do not count.
 *   loc_peak_loc:  the highest local mean among the ROI voxels of maximal intensity;
 *   loc_peak_glob: the highest local mean over all ROI voxels.
 *
 * The sphere is a list of chords along x, one per (dz, dy). Row prefix sums
 * make each chord O(1): every needed row of the image gets a prefix-sum
 * array, kept for the 2*Rz+1 planes around the current plane in a ring. With
 * integer intensities the prefix sums are exact, so the means are exact too. */
#include <math.h>
#include <stdlib.h>

#include "families.h"
#include "kernels.h"

typedef struct {
    int64_t x0, y0, nx, ny; /* region of the prefix sums: x0..x0+nx-1, y0..y0+ny-1 */
    int ring;               /* planes held */
    double *pre;            /* ring x ny x (nx + 1) prefix sums */
    int64_t *plane_of_slot; /* which image plane a slot holds (-1 = none) */
} prefix_ring;

static double sphere_radius_mm(void)
{
    return cbrt(3.0 * 1000.0 / (4.0 * 3.14159265358979323846));
}

/* Chords of the sphere, for voxel spacing sp; returns the count (<= cap). */
static int sphere_chords(const double sp[3], int rz, int ry, rdx_chord *out)
{
    double r = sphere_radius_mm();
    int n = 0;
    for (int dz = -rz; dz <= rz; dz++)
        for (int dy = -ry; dy <= ry; dy++) {
            double rem = r * r - (dz * sp[2]) * (dz * sp[2]) - (dy * sp[1]) * (dy * sp[1]);
            if (rem < 0)
                continue;
            out[n++] = (rdx_chord){dz, dy, (int)floor(sqrt(rem) / sp[0])};
        }
    return n;
}

static void fill_plane(const rdx_image *img, prefix_ring *pr, int64_t z)
{
    int slot = (int)(z % pr->ring);
    if (pr->plane_of_slot[slot] == z)
        return;
    const int64_t nxi = img->grid.dim[0], nyi = img->grid.dim[1];
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < pr->ny; j++) {
        double *p = pr->pre + ((size_t)slot * pr->ny + j) * (pr->nx + 1);
        const float *row = img->data + (size_t)nxi * ((size_t)nyi * z + pr->y0 + j) + pr->x0;
        p[0] = 0.0;
        for (int64_t i = 0; i < pr->nx; i++)
            p[i + 1] = p[i] + row[i];
    }
    pr->plane_of_slot[slot] = z;
}

/* Local mean at (x, y, z): chord sums from the prefix ring (planes z-rz..z+rz filled). */
static double local_mean(const rdx_image *img, const prefix_ring *pr, const rdx_chord *ch, int nch, int64_t x,
                         int64_t y, int64_t z)
{
    double sum = 0.0;
    int64_t count = 0;
    for (int c = 0; c < nch; c++) {
        int64_t zz = z + ch[c].dz, yy = y + ch[c].dy;
        if (zz < 0 || zz >= img->grid.dim[2] || yy < pr->y0 || yy >= pr->y0 + pr->ny)
            continue;
        int64_t a = x - ch[c].rx, b = x + ch[c].rx;
        if (a < pr->x0) a = pr->x0;
        if (b > pr->x0 + pr->nx - 1) b = pr->x0 + pr->nx - 1;
        const double *p = pr->pre + ((size_t)(zz % pr->ring) * pr->ny + (yy - pr->y0)) * (pr->nx + 1);
        sum += p[b - pr->x0 + 1] - p[a - pr->x0];
        count += b - a + 1;
    }
    return sum / (double)count;
}

static void roi_bbox(const rdx_mask *m, int64_t lo[3], int64_t hi[3])
{
    const int64_t *d = m->grid.dim;
    for (int a = 0; a < 3; a++) {
        lo[a] = d[a];
        hi[a] = -1;
    }
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++)
                if (m->data[x + d[0] * (y + d[1] * z)]) {
                    int64_t c[3] = {x, y, z};
                    for (int a = 0; a < 3; a++) {
                        if (c[a] < lo[a]) lo[a] = c[a];
                        if (c[a] > hi[a]) hi[a] = c[a];
                    }
                }
}

/* The local peak: the highest local mean m among the voxels of maximal intensity. */
static void peak_update(float value, double m, float *max_int, double *peak_loc)
{
    if (value > *max_int) {
        *max_int = value;
        *peak_loc = m;
    } else if (value == *max_int && m > *peak_loc) {
        *peak_loc = m;
    }
}

/* Region the spheres around the ROI reach: the ROI box widened by the radii,
 * clipped to the image: origin r0 and size rn. */
static void sphere_region(const int64_t d[3], const int64_t lo[3], const int64_t hi[3], const int rad[3],
                          int64_t r0[3], int64_t rn[3])
{
    for (int a = 0; a < 3; a++) {
        r0[a] = lo[a] - rad[a] < 0 ? 0 : lo[a] - rad[a];
        rn[a] = (hi[a] + rad[a] >= d[a] ? d[a] - 1 : hi[a] + rad[a]) - r0[a] + 1;
    }
}

/* CPU: local means from row prefix sums, plane by plane. */
static rdx_status peaks_cpu(const rdx_image *img, const rdx_mask *roi, const int64_t lo[3], const int64_t hi[3],
                            const int rad[3], const rdx_chord *ch, int nch, double *peak_loc, double *peak_glob,
                            rdx_error *err)
{
    const int64_t *d = img->grid.dim;
    int64_t r0[3], rn[3];
    sphere_region(d, lo, hi, rad, r0, rn);
    prefix_ring pr = {r0[0], r0[1], rn[0], rn[1], 2 * rad[2] + 1, NULL, NULL};
    pr.pre = malloc(sizeof *pr.pre * (size_t)pr.ring * (size_t)pr.ny * (size_t)(pr.nx + 1));
    pr.plane_of_slot = malloc(sizeof *pr.plane_of_slot * (size_t)pr.ring);
    if (!pr.pre || !pr.plane_of_slot) {
        free(pr.pre);
        free(pr.plane_of_slot);
        return rdx_error_set(err, RDX_E_NOMEM, "local intensity: out of memory for the prefix sums");
    }
    for (int s = 0; s < pr.ring; s++)
        pr.plane_of_slot[s] = -1;
    float max_int = -INFINITY;
    double glob = -INFINITY;
    for (int64_t z = lo[2]; z <= hi[2]; z++) {
        for (int64_t zz = z - rad[2]; zz <= z + rad[2]; zz++)
            if (zz >= 0 && zz < d[2])
                fill_plane(img, &pr, zz);
        /* Per-row maxima combined in row order: thread-count independent. */
#pragma omp parallel for schedule(dynamic, 4) reduction(max : glob)
        for (int64_t y = lo[1]; y <= hi[1]; y++)
            for (int64_t x = lo[0]; x <= hi[0]; x++) {
                size_t idx = (size_t)(x + d[0] * (y + d[1] * z));
                if (roi->data[idx]) {
                    double m = local_mean(img, &pr, ch, nch, x, y, z);
                    if (m > glob) glob = m;
                }
            }
        /* The local peak needs the maximal intensity first: scan serially. */
        for (int64_t y = lo[1]; y <= hi[1]; y++)
            for (int64_t x = lo[0]; x <= hi[0]; x++) {
                size_t idx = (size_t)(x + d[0] * (y + d[1] * z));
                if (roi->data[idx] && img->data[idx] >= max_int)
                    peak_update(img->data[idx], local_mean(img, &pr, ch, nch, x, y, z), &max_int, peak_loc);
            }
    }
    *peak_glob = glob;
    free(pr.pre);
    free(pr.plane_of_slot);
    return RDX_OK;
}

/* CUDA: the region is copied out, the device sums every ROI voxel's sphere
 * (kernels/intensity.cu), the maxima are taken here. */
static rdx_status peaks_cuda(const rdx_image *img, const rdx_mask *roi, const int64_t lo[3], const int64_t hi[3],
                             const int rad[3], const rdx_chord *ch, int nch, double *peak_loc, double *peak_glob,
                             rdx_error *err)
{
    const int64_t *d = img->grid.dim;
    int64_t r0[3], rn[3];
    sphere_region(d, lo, hi, rad, r0, rn);
    size_t nv = (size_t)rn[0] * (size_t)rn[1] * (size_t)rn[2], n = rdx_mask_count(roi);
    float *box = malloc(nv * sizeof *box), *value = malloc(n * sizeof *value);
    int64_t *centre = malloc(n * sizeof *centre);
    double *mean = malloc(n * sizeof *mean);
    rdx_status st = RDX_OK;
    if (!box || !value || !centre || !mean)
        st = rdx_error_set(err, RDX_E_NOMEM, "local intensity: out of memory for %zu ROI voxels", n);
    size_t k = 0;
    for (int64_t z = 0; !st && z < rn[2]; z++)
        for (int64_t y = 0; y < rn[1]; y++)
            for (int64_t x = 0; x < rn[0]; x++) {
                size_t src = (size_t)(x + r0[0] + d[0] * (y + r0[1] + d[1] * (z + r0[2])));
                int64_t dst = x + rn[0] * (y + rn[1] * z);
                box[dst] = img->data[src];
                if (roi->data[src]) {
                    value[k] = img->data[src];
                    centre[k++] = dst;
                }
            }
    int code = st ? 0 : rdx_cuda_local_means(box, rn, ch, nch, centre, n, mean);
    if (code)
        st = rdx_error_set(err, RDX_E_DEVICE, "local intensity: CUDA local means: %s",
                           rdx_cuda_error_string(code));
    float max_int = -INFINITY;
    for (size_t i = 0; !st && i < n; i++) {
        *peak_glob = mean[i] > *peak_glob ? mean[i] : *peak_glob;
        peak_update(value[i], mean[i], &max_int, peak_loc);
    }
    free(box);
    free(value);
    free(centre);
    free(mean);
    return st;
}

rdx_status rdx_family_local_intensity(const rdx_image *img, const rdx_mask *roi, rdx_device device, double *v,
                                      rdx_error *err)
{
    const double *sp = img->grid.spacing;
    double r = sphere_radius_mm();
    int rad[3];
    for (int a = 0; a < 3; a++)
        rad[a] = (int)floor(r / sp[a]);
    int64_t lo[3], hi[3];
    roi_bbox(roi, lo, hi);
    if (hi[0] < 0)
        return rdx_error_set(err, RDX_E_EMPTY_ROI, "local intensity: empty ROI");
    rdx_chord *ch = malloc(sizeof *ch * (size_t)(2 * rad[2] + 1) * (size_t)(2 * rad[1] + 1));
    if (!ch)
        return rdx_error_set(err, RDX_E_NOMEM, "local intensity: out of memory for the sphere");
    int nch = sphere_chords(sp, rad[2], rad[1], ch);
    double peak_loc = -INFINITY, peak_glob = -INFINITY;
    rdx_status st = device == RDX_DEVICE_CUDA
                        ? peaks_cuda(img, roi, lo, hi, rad, ch, nch, &peak_loc, &peak_glob, err)
                        : peaks_cpu(img, roi, lo, hi, rad, ch, nch, &peak_loc, &peak_glob, err);
    free(ch);
    if (st)
        return st;
    v[RDX_F_LOC_PEAK_LOC] = peak_loc;
    v[RDX_F_LOC_PEAK_GLOB] = peak_glob;
    return RDX_OK;
}
