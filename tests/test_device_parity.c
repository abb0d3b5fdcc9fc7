/* CPU and CUDA give the same features: the whole pipeline runs once with
 * every kernel on the CPU reference and once with the kernels on the CUDA
 * device (the SIMT emulator where there is no GPU), on the IBSI digital
 * phantom, the IBSI CT phantom (configurations A and C) and the STS cases
 * (STS_001, STS_002).
 * Every feature must agree to 1e-9 relative (integer-derived ones exactly).
 * The CUDA run takes the volumes over (rdx_extract_case_take), as rdx extract
 * does, so that path is compared too, with resampling in configuration C.
 * Three cases finished together (rdx_cases_finish, packed GLCM/GLRLM
 * launches) give the values each gets alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rdx/rdx.h"

typedef struct {
    char path[1024];
    rdx_settings s;
    rdx_image img;
    rdx_mask m;
} test_case;

static int load(const char *root, const char *settings, const char *image, const char *mask, test_case *c)
{
    char sp[1024], mp[1024];
    snprintf(sp, sizeof sp, "%s/datasets/settings/%s", root, settings);
    snprintf(c->path, sizeof c->path, "%s/datasets/%s", root, image);
    snprintf(mp, sizeof mp, "%s/datasets/%s", root, mask);
    rdx_error err = {0};
    rdx_settings_default(&c->s);
    memset(&c->img, 0, sizeof c->img);
    memset(&c->m, 0, sizeof c->m);
    int ok = !rdx_settings_load(sp, &c->s, &err) && !rdx_image_read(c->path, &c->img, &err) &&
             !rdx_mask_read(mp, c->s.label, &c->m, &err);
    CHECK(ok, "%s", err.msg);
    return ok;
}

static void unload(test_case *c)
{
    rdx_image_free(&c->img);
    rdx_mask_free(&c->m);
}

/* Every feature of gpu within 1e-9 relative of cpu, and NaN where cpu is. */
static void agree(const double *cpu, const double *gpu, const char *what)
{
    int compared = 0;
    for (int f = 0; f < RDX_F_COUNT; f++) {
        if (isnan(cpu[f]) && isnan(gpu[f]))
            continue;
        compared++;
        double tol = 1e-9 * fmax(fabs(cpu[f]), 1e-300);
        CHECK(fabs(cpu[f] - gpu[f]) <= tol, "%s %s: cpu %.17g cuda %.17g", what, rdx_feature_table()[f].tag, cpu[f],
              gpu[f]);
    }
    CHECK(compared > 100, "%s: only %d features compared", what, compared);
    printf("%s: %d features compared\n", what, compared);
}

static void compare(const char *root, const char *settings, const char *image, const char *mask)
{
    test_case c;
    static double cpu[RDX_F_COUNT], gpu[RDX_F_COUNT];
    rdx_error err = {0};
    if (load(root, settings, image, mask, &c)) {
        CHECK(rdx_extract_case(&c.img, &c.m, &c.s, RDX_DEVICE_CPU, c.path, cpu, &err) == RDX_OK, "cpu: %s", err.msg);
        /* The CUDA run also goes through rdx_extract_case_take, which frees the inputs as it goes. */
        CHECK(rdx_extract_case_take(&c.img, &c.m, &c.s, RDX_DEVICE_CUDA, c.path, gpu, &err) == RDX_OK, "cuda: %s",
              err.msg);
        CHECK(!c.img.data && !c.m.data, "rdx_extract_case_take leaves the inputs empty");
        char what[1200];
        snprintf(what, sizeof what, "%s on %s", settings, image);
        agree(cpu, gpu, what);
    }
    unload(&c);
}

/* Kernel launches so far (the emulator's count; absent from other builds). */
unsigned long long simt_grids_run(void) __attribute__((weak));

/* Several cases finished together (rdx_case_prepare, rdx_cases_finish): the
 * two with the same settings (configuration A on STS_002 and on the digital
 * phantom: boxes of different sizes, kept small for the emulator) have
 * their GLCM, GLRLM, NGTDM and NGLDM matrices counted, and their GLSZM and
 * GLDZM zones labelled, in shared launches, the third (other settings)
 * alone. Each case's values agree with its CPU run and with its run alone,
 * and the batch makes at least one launch fewer per packed family than the
 * same cases one at a time. */
static void compare_batch(const char *root)
{
    enum { N = 3 };
    static test_case c[N];
    static double cpu[N][RDX_F_COUNT], alone[N][RDX_F_COUNT], batch[N][RDX_F_COUNT];
    int ok = load(root, "ibsi_config_A.yaml", "sts/STS_002_image.nii.gz", "sts/STS_002_mask.nii.gz", &c[0]) &&
             load(root, "ibsi_config_A.yaml", "ibsi_digital_phantom/image.nii.gz", "ibsi_digital_phantom/mask.nii.gz",
                  &c[1]) &&
             load(root, "ibsi_digital_phantom.yaml", "ibsi_digital_phantom/image.nii.gz",
                  "ibsi_digital_phantom/mask.nii.gz", &c[2]);
    /* Cases are packed when they share one settings object, as in a run. */
    const rdx_settings *s[N] = {&c[0].s, &c[0].s, &c[2].s};
    rdx_error err = {0}, errs[N];
    rdx_status st[N];
    rdx_prepared_case *pc[N] = {NULL};
    unsigned long long l0 = 0, l1 = 0, l2 = 0;
    for (int k = 0; ok && k < N; k++)
        CHECK(rdx_extract_case(&c[k].img, &c[k].m, s[k], RDX_DEVICE_CPU, c[k].path, cpu[k], &err) == RDX_OK,
              "cpu: %s", err.msg);
    l0 = simt_grids_run ? simt_grids_run() : 0;
    for (int k = 0; ok && k < N; k++)
        CHECK(rdx_extract_case(&c[k].img, &c[k].m, s[k], RDX_DEVICE_CUDA, c[k].path, alone[k], &err) == RDX_OK,
              "cuda, one case: %s", err.msg);
    l1 = simt_grids_run ? simt_grids_run() : 0;
    for (int k = 0; ok && k < N; k++)
        CHECK(rdx_case_prepare(&c[k].img, &c[k].m, s[k], RDX_DEVICE_CUDA, c[k].path, batch[k], &pc[k], &err) ==
                  RDX_OK, "prepare: %s", err.msg);
    if (ok)
        rdx_cases_finish(pc, N, st, errs);
    l2 = simt_grids_run ? simt_grids_run() : 0;
    for (int k = 0; ok && k < N; k++) {
        CHECK(st[k] == RDX_OK && !pc[k], "batch, case %d: %s", k, errs[k].msg);
        agree(cpu[k], batch[k], c[k].path);
        int same = 1;
        for (int f = 0; f < RDX_F_COUNT; f++)
            same &= !memcmp(&alone[k][f], &batch[k][f], sizeof(double)) || (isnan(alone[k][f]) && isnan(batch[k][f]));
        CHECK(same, "%s: the batch's values differ from the case's alone", c[k].path);
    }
    /* The two cases that share them save at least one launch per packed
     * family: a count launch, or a whole zone labelling (several). */
    const unsigned fam = c[0].s.families;
    const long long packed = !!(fam & RDX_FAMILY_GLCM) + !!(fam & RDX_FAMILY_GLRLM) + !!(fam & RDX_FAMILY_GLSZM) +
                             !!(fam & RDX_FAMILY_GLDZM) + !!(fam & RDX_FAMILY_NGTDM) + !!(fam & RDX_FAMILY_NGLDM);
    if (ok && simt_grids_run) {
        const long long saved = (long long)(l1 - l0) - (long long)(l2 - l1);
        printf("3 cases on the device: %llu launches one at a time, %llu finished together\n", l1 - l0, l2 - l1);
        CHECK(packed == 6, "configuration A enables the six matrix families");
        CHECK(saved >= packed, "packing saves %lld launches, expected at least %lld", saved, packed);
    }
    for (int k = 0; k < N; k++)
        unload(&c[k]);
}

/* Argument "ibsi" or "sts" runs that half of the cases (ctest runs the two
 * halves as two tests, side by side); none runs all. */
int main(int argc, char **argv)
{
    const int ibsi = argc < 2 || !strcmp(argv[1], "ibsi"), sts = argc < 2 || !strcmp(argv[1], "sts");
    if (!ibsi && !sts) {
        fprintf(stderr, "usage: test_device_parity [ibsi|sts]\n");
        return 2;
    }
    const char *root = getenv("RDX_SOURCE_DIR");
    if (!root) root = ".";
    rdx_device d;
    char text[512];
    rdx_error err = {0};
    if (rdx_device_select(RDX_DEVICE_CUDA, &d, text, sizeof text, &err)) {
        printf("test_device_parity: %s: skipped\n", err.msg);
        return 77;
    }
    printf("device: %s\n", text);
    if (ibsi) {
        compare(root, "ibsi_digital_phantom.yaml", "ibsi_digital_phantom/image.nii.gz",
                "ibsi_digital_phantom/mask.nii.gz");
        compare(root, "ibsi_config_A.yaml", "ibsi_ct_phantom/image.nii.gz", "ibsi_ct_phantom/mask.nii.gz");
        compare(root, "ibsi_config_C.yaml", "ibsi_ct_phantom/image.nii.gz", "ibsi_ct_phantom/mask.nii.gz");
    }
    if (sts) {
        compare(root, "ibsi_config_A.yaml", "sts/STS_001_image.nii.gz", "sts/STS_001_mask.nii.gz");
        compare(root, "ibsi_config_A.yaml", "sts/STS_002_image.nii.gz", "sts/STS_002_mask.nii.gz");
        compare_batch(root);
    }
    return check_summary("test_device_parity");
}
