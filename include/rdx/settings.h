/* Extraction settings: every IBSI preprocessing step and the feature families
 * to compute. Defaults (rdx_settings_default) switch every optional step off,
 * as IBSI does. Loaded from YAML by rdx_settings_load (see the README for the
 * file format and datasets/settings/ for the IBSI configurations). */
#ifndef RDX_SETTINGS_H
#define RDX_SETTINGS_H

#include <stddef.h>
#include "rdx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RDX_CALIB_MAX_PIECES 8

/* Piecewise intensity calibration: piece p applies to x < upper[p] (the last
 * piece to everything above the previous bound); y = c[0] + c[1]*x + c[2]*x*x. */
typedef struct {
    int n_pieces; /* 0 = no calibration */
    double upper[RDX_CALIB_MAX_PIECES];
    double c[RDX_CALIB_MAX_PIECES][3];
} rdx_calibration;

typedef enum { RDX_INTERP_NEAREST = 0, RDX_INTERP_LINEAR = 1, RDX_INTERP_CUBIC_SPLINE = 2 } rdx_interp;

typedef struct {
    int enabled;             /* 0 = keep the native grid */
    int in_plane_only;       /* 1 = resample x and y only (2D configurations) */
    double spacing[3];       /* target spacing in mm (z ignored when in_plane_only) */
    rdx_interp image_interp; /* nearest | linear | cubic_spline */
    rdx_interp mask_interp;  /* nearest | linear */
    double mask_threshold;   /* partial-volume threshold: keep voxels with interpolated mask >= this */
    int round_intensities;   /* round the interpolated image to the nearest integer */
} rdx_resampling;

typedef struct {
    int range_enabled;
    double range[2];      /* keep ROI voxels with range[0] <= x <= range[1]; +-INFINITY for open ends */
    double outlier_sigma; /* 0 = off; else drop ROI voxels outside mean +- sigma*sd */
} rdx_resegmentation;

typedef enum {
    RDX_DISC_NONE = 0,            /* intensities used as they are (must be integers >= 1 for texture) */
    RDX_DISC_FIXED_BIN_NUMBER = 1,
    RDX_DISC_FIXED_BIN_SIZE = 2
} rdx_disc_method;

typedef struct {
    rdx_disc_method method;
    int bin_number;     /* FBN */
    double bin_width;   /* FBS */
    int min_set;        /* FBS lower bound given explicitly (else: re-segmentation lower bound, else ROI min) */
    double min_value;
} rdx_discretisation;

/* Feature families; the bit order is the order of the family names in settings files. */
typedef enum {
    RDX_FAMILY_DIAG = 1u << 0,  /* diagnostics */
    RDX_FAMILY_STAT = 1u << 1,  /* intensity_statistics */
    RDX_FAMILY_IH = 1u << 2,    /* intensity_histogram */
    RDX_FAMILY_IVH = 1u << 3,   /* intensity_volume_histogram */
    RDX_FAMILY_LOC = 1u << 4,   /* local_intensity */
    RDX_FAMILY_MORPH = 1u << 5, /* morphology */
    RDX_FAMILY_GLCM = 1u << 6,  /* glcm */
    RDX_FAMILY_GLRLM = 1u << 7, /* glrlm */
    RDX_FAMILY_GLSZM = 1u << 8, /* glszm */
    RDX_FAMILY_GLDZM = 1u << 9, /* gldzm */
    RDX_FAMILY_NGTDM = 1u << 10, /* ngtdm */
    RDX_FAMILY_NGLDM = 1u << 11  /* ngldm */
} rdx_family_flag;

/* Texture aggregations (IBSI 3.6-3.11): 2D features come from each axial slice
 * (2D averaged / slice-merged) and from all slices together (2.5D); 3D from
 * the volume. 3D_DIR: the GLCM and GLRLM features of each of the 13 3D
 * directions on its own (the values 3D averaging averages; not an IBSI
 * aggregation, off by default). */
typedef enum { RDX_AGG_2D = 1u << 0, RDX_AGG_3D = 1u << 1, RDX_AGG_3D_DIR = 1u << 2 } rdx_aggregation_flag;

typedef struct {
    unsigned aggregations;  /* bit set of rdx_aggregation_flag; default 2D and 3D */
    int glcm_distance;      /* Chebyshev distance of GLCM neighbours (default 1) */
    int ngtdm_distance;     /* neighbourhood radius of NGTDM (default 1) */
    int ngldm_distance;     /* neighbourhood radius of NGLDM (default 1) */
    int ngldm_alpha;        /* NGLDM coarseness: |grey difference| <= alpha counts as dependent (default 0) */
    int zone_linkage;       /* GLSZM/GLDZM connectivity distance (1 = 8/26-neighbours) */
} rdx_texture;

/* Moran's I and Geary's C (IBSI 3.1.24-25) cost O(N^2) in the intensity-mask
 * voxel count N. exact: all voxel pairs; off: not computed (NaN); auto: exact
 * when N <= max_exact_voxels, else computed on a fixed pseudo-random subset of
 * max_exact_voxels voxels (the manual allows approximating them for large ROIs;
 * see host/features_morphology.c). */
typedef enum { RDX_AUTOCORR_EXACT = 0, RDX_AUTOCORR_AUTO = 1, RDX_AUTOCORR_OFF = 2 } rdx_autocorrelation;

typedef struct {
    rdx_autocorrelation autocorrelation; /* default auto */
    int max_exact_voxels;                /* >= 2; default 200000 */
} rdx_morphology_settings;

typedef struct {
    int label;                     /* RDX_LABEL_ANY (-1) or the label value */
    rdx_calibration calibration;
    rdx_resampling resampling;
    rdx_resegmentation resegmentation;
    rdx_discretisation discretisation; /* texture and intensity histogram */
    rdx_discretisation ivh;            /* intensity-volume histogram; NONE = discrete intensities, w = 1 */
    int ivh_use_reseg_range;           /* 1 = IVH intensity range from the re-segmentation range (IBSI) */
    unsigned families;                 /* bit set of rdx_family_flag */
    rdx_texture texture;
    rdx_morphology_settings morphology;
    size_t max_matrix_bytes;           /* refuse bin counts whose matrices would exceed this */
} rdx_settings;

void rdx_settings_default(rdx_settings *s);

/* Parse a YAML settings file over the defaults. Unknown keys, wrong types and
 * out-of-range values are errors that name the file, line and key. */
rdx_status rdx_settings_load(const char *path, rdx_settings *s, rdx_error *err);

/* Canonical YAML text of s (stored in the HDF5 store with the results).
 * Returns a malloc'd string owned by the caller, or NULL on allocation failure. */
char *rdx_settings_to_yaml(const rdx_settings *s);

#ifdef __cplusplus
}
#endif
#endif
