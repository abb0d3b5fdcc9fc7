/* CPU and CUDA give the same features: the whole pipeline runs once with
 * every kernel on the CPU reference and once with the kernels on the CUDA
 * device (the SIMT emulator where there is no GPU), on the IBSI digital
 * phantom, the IBSI CT phantom (configurations A and C) and the STS cases.
 * Every feature must agree to 1e-9 relative (integer-derived ones exactly).
 * The CUDA run takes the volumes over (rdx_extract_case_take), as rdx extract
 * does, so that path is compared too, with resampling in configuration C. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "rdx/rdx.h"

static void compare(const char *root, const char *settings, const char *image, const char *mask)
{
    char sp[1024], ip[1024], mp[1024];
    snprintf(sp, sizeof sp, "%s/datasets/settings/%s", root, settings);
    snprintf(ip, sizeof ip, "%s/datasets/%s", root, image);
    snprintf(mp, sizeof mp, "%s/datasets/%s", root, mask);
    rdx_error err = {0};
    rdx_settings s;
    rdx_settings_default(&s);
    rdx_image img = {0};
    rdx_mask m = {0};
    int ok = !rdx_settings_load(sp, &s, &err) && !rdx_image_read(ip, &img, &err) &&
             !rdx_mask_read(mp, s.label, &m, &err);
    CHECK(ok, "%s", err.msg);
    static double cpu[RDX_F_COUNT], gpu[RDX_F_COUNT];
    if (ok) {
        CHECK(rdx_extract_case(&img, &m, &s, RDX_DEVICE_CPU, ip, cpu, &err) == RDX_OK, "cpu: %s", err.msg);
        /* The CUDA run also goes through rdx_extract_case_take, which frees the inputs as it goes. */
        CHECK(rdx_extract_case_take(&img, &m, &s, RDX_DEVICE_CUDA, ip, gpu, &err) == RDX_OK, "cuda: %s", err.msg);
        CHECK(!img.data && !m.data, "rdx_extract_case_take leaves the inputs empty");
        int compared = 0;
        for (int f = 0; f < RDX_F_COUNT; f++) {
            if (isnan(cpu[f]) && isnan(gpu[f]))
                continue;
            compared++;
            double tol = 1e-9 * fmax(fabs(cpu[f]), 1e-300);
            CHECK(fabs(cpu[f] - gpu[f]) <= tol, "%s %s %s: cpu %.17g cuda %.17g", settings, image,
                  rdx_feature_table()[f].tag, cpu[f], gpu[f]);
        }
        CHECK(compared > 100, "%s: only %d features compared", settings, compared);
        printf("%s on %s: %d features compared\n", settings, image, compared);
    }
    rdx_image_free(&img);
    rdx_mask_free(&m);
}

int main(void)
{
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
    compare(root, "ibsi_digital_phantom.yaml", "ibsi_digital_phantom/image.nii.gz", "ibsi_digital_phantom/mask.nii.gz");
    compare(root, "ibsi_config_A.yaml", "ibsi_ct_phantom/image.nii.gz", "ibsi_ct_phantom/mask.nii.gz");
    compare(root, "ibsi_config_C.yaml", "ibsi_ct_phantom/image.nii.gz", "ibsi_ct_phantom/mask.nii.gz");
    compare(root, "ibsi_config_A.yaml", "sts/STS_002_image.nii.gz", "sts/STS_002_mask.nii.gz");
    return check_summary("test_device_parity");
}
