/* IBSI-1 reference values: run the whole pipeline on the digital phantom and on
 * the CT phantom with configurations A-D (datasets/settings/ibsi_*.yaml) and
 * compare every reference row of the families rdx implements with its
 * consensus tolerance (../shared/datasets/ibsi1/reference, copied to
 * datasets/ibsi_reference). A tag of these families that rdx does not compute
 * is a failure, never a skip. Tolerance 0 in the table means agreement to the
 * printed 3 significant digits: half a unit of the third digit. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rdx/rdx.h"

#define MAX_FIELDS 16

/* Split one CSV line (with "quoted, fields") in place; returns the field count. */
static int csv_split(char *line, char **field)
{
    int n = 0;
    char *p = line;
    while (n < MAX_FIELDS) {
        char *out = p;
        field[n++] = p;
        int quoted = *p == '"';
        if (quoted) p++;
        while (*p && (quoted || (*p != ',' && *p != '\n' && *p != '\r'))) {
            if (quoted && *p == '"') {
                if (p[1] == '"') p++;
                else { quoted = 0; p++; continue; }
            }
            *out++ = *p++;
        }
        int more = *p == ',';
        *out = '\0';
        if (!more) break;
        p++;
    }
    return n;
}

/* Every family of the reference tables is checked. RDX_IBSI_FAMILIES (a
 * comma-separated list of family names as in the tables, e.g. "GLCM,GLRLM")
 * narrows the run while developing one family; the test suite never sets it. */
static int family_checked(const char *fam)
{
    const char *only = getenv("RDX_IBSI_FAMILIES");
    if (!only || !*only) return 1;
    size_t n = strlen(fam);
    for (const char *p = only; (p = strstr(p, fam)); p += n)
        if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

static int feature_index(const char *tag)
{
    const rdx_feature_def *t = rdx_feature_table();
    for (int f = 0; f < RDX_F_COUNT; f++)
        if (!strcmp(t[f].tag, tag)) return f;
    return -1;
}

static double printed_tolerance(double ref)
{
    if (ref == 0) return 1e-12;
    return 0.5 * pow(10.0, floor(log10(fabs(ref))) - 2);
}

static void check_config(const char *root, const char *config, const char *data_dir)
{
    char path[1024], img_path[1024], mask_path[1024];
    rdx_error err = {0};
    rdx_settings s;
    rdx_settings_default(&s);
    snprintf(path, sizeof path, "%s/datasets/settings/ibsi_%s.yaml", root, config);
    rdx_status st = rdx_settings_load(path, &s, &err);
    CHECK(st == RDX_OK, "%s: %s", config, err.msg);
    if (st) return;
    snprintf(img_path, sizeof img_path, "%s/datasets/%s/image.nii.gz", root, data_dir);
    snprintf(mask_path, sizeof mask_path, "%s/datasets/%s/mask.nii.gz", root, data_dir);
    rdx_image img;
    rdx_mask mask;
    st = rdx_image_read(img_path, &img, &err);
    CHECK(st == RDX_OK, "%s", err.msg);
    if (st) return;
    st = rdx_mask_read(mask_path, s.label, &mask, &err);
    CHECK(st == RDX_OK, "%s", err.msg);
    if (st) { rdx_image_free(&img); return; }
    double values[RDX_F_COUNT];
    st = rdx_extract_case(&img, &mask, &s, RDX_DEVICE_CPU, img_path, values, &err);
    CHECK(st == RDX_OK, "%s: %s", config, err.msg);
    rdx_image_free(&img);
    rdx_mask_free(&mask);
    if (st) return;

    snprintf(path, sizeof path, "%s/datasets/ibsi_reference/%s.csv", root, config);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[4096], *fld[MAX_FIELDS];
    int rows = 0, bad = 0;
    fgets(line, sizeof line, f); /* header: tag,feature,family,ibsi_id,configuration,aggregation,reference_value,tolerance,... */
    while (fgets(line, sizeof line, f)) {
        if (csv_split(line, fld) < 8 || !family_checked(fld[2])) continue;
        double ref = atof(fld[6]), tol = atof(fld[7]);
        if (tol == 0) tol = printed_tolerance(ref);
        int idx = feature_index(fld[0]);
        rows++;
        CHECK(idx >= 0, "%s: tag %s is not computed", config, fld[0]);
        if (idx < 0) { bad++; continue; }
        double got = values[idx];
        int ok = isfinite(got) && fabs(got - ref) <= tol * (1 + 1e-9);
        if (!ok) bad++;
        CHECK(ok, "%s %s: got %.6g, reference %.6g +- %.3g", config, fld[0], got, ref, tol);
    }
    fclose(f);
    printf("%s: %d reference values checked, %d outside tolerance\n", config, rows, bad);
    CHECK(rows > 0, "%s: no reference rows found", config);
}

int main(void)
{
    const char *root = getenv("RDX_SOURCE_DIR");
    if (!root) root = ".";
    check_config(root, "digital_phantom", "ibsi_digital_phantom");
    check_config(root, "config_A", "ibsi_ct_phantom");
    check_config(root, "config_B", "ibsi_ct_phantom");
    check_config(root, "config_C", "ibsi_ct_phantom");
    check_config(root, "config_D", "ibsi_ct_phantom");
    return check_summary("test_ibsi_reference");
}
