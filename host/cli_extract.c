/* `rdx extract`: features of one image/mask pair, or of every case of a
 * manifest, into a long-form CSV or an HDF5 feature store. A failing case is
 * reported (stderr, and as a failed row in the store) and the others go on. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "manifest.h"
#include "rdx/rdx.h"

static const char *extract_usage =
    "Usage:\n"
    "  rdx extract --image IMG --mask MASK [--label N] [--case-id ID] --settings FILE --out OUT.csv|OUT.h5\n"
    "  rdx extract --manifest CASES.csv --settings FILE --out OUT.h5|OUT.csv\n"
    "\n"
    "Computes the IBSI features the settings enable (intensity statistics and histogram,\n"
    "intensity-volume histogram, local intensity peaks, morphology, GLCM, GLRLM, GLSZM,\n"
    "GLDZM, NGTDM, NGLDM, processing diagnostics) inside the ROI mask; `rdx features`\n"
    "lists them.\n"
    "\n"
    "Options:\n"
    "  --image IMG        image volume: NIfTI (.nii, .nii.gz) or NRRD (.nrrd, .nhdr)\n"
    "  --mask MASK        ROI label image on the same grid as the image\n"
    "  --label N          ROI label value in the mask (default: every non-zero voxel;\n"
    "                     overrides mask.label of the settings)\n"
    "  --case-id ID       name of the case in the output (default: the image file name)\n"
    "  --manifest FILE    CSV with header case_id,image,mask[,label]; relative paths are\n"
    "                     resolved against the manifest's folder\n"
    "  --settings FILE    YAML settings (see README; datasets/settings/ has the IBSI ones)\n"
    "  --out FILE         .csv: long form, header case_id,tag,value (overwritten);\n"
    "                     .h5: HDF5 feature store (created, or appended to: cases already\n"
    "                     stored as ok are skipped, so an interrupted run resumes)\n"
    "  --shard K/N        with --manifest: only the K-th (from 0) of N contiguous blocks\n"
    "                     of cases, for N processes (Slurm array tasks, one per GPU);\n"
    "                     `rdx merge` joins their stores in manifest order\n"
    "  --threads N        OpenMP threads (default: all cores)\n"
    "  --jobs J           with --manifest: cases computed at the same time, each on\n"
    "                     threads/J threads (default 2 with 2 or more threads, else\n"
    "                     1); more jobs read more files in parallel but hold more\n"
    "                     cases in memory\n"
    "  --device D         cpu, cuda or auto (default): where the kernels run; auto\n"
    "                     takes a CUDA device when there is one and says which, and\n"
    "                     computes a case on the CPU when the device fails on it (out\n"
    "                     of device memory, driver error); cuda makes that a failure.\n"
    "                     Results are the same on every device.\n"
    "  --pack N           on a CUDA device, up to N consecutive cases (default 16) are\n"
    "                     finished together: their texture matrices (GLCM, GLRLM,\n"
    "                     NGTDM, NGLDM) and zones (GLSZM, GLDZM) are computed in shared\n"
    "                     kernel launches, several ROIs per launch, which suits many\n"
    "                     small ROIs; 1 computes one case at a time. No effect on the\n"
    "                     CPU. Results are the same.\n"
    "  --device-memory M  on a CUDA device, hold at most M MiB of device memory at\n"
    "                     once (all jobs together); a case that needs more fails with\n"
    "                     \"out of memory\", which --device auto computes on the CPU\n"
    "  -q, --quiet        no progress output\n"
    "  -h, --help         this text\n"
    "\n"
    "Progress goes to stderr: a status line on a terminal, else one line per case, in\n"
    "manifest order, with its time (reading included) and the time its files took to\n"
    "read. Consecutive manifest rows with the same image file (several ROIs or labels\n"
    "of one scan or dose grid) read the image once. Results do not depend on --threads\n"
    "or --jobs or --pack.\n"
    "Exit codes: 0 all cases ok; 1 some cases failed (the others are in the output);\n"
    "2 usage error; 3 input error (single case, or settings/manifest unusable);\n"
    "4 cannot write the output.\n"
    "\n"
    "Example:\n"
    "  rdx extract --image ct.nii.gz --mask gtv.nii.gz --settings ibsi_config_A.yaml --out f.csv\n";

typedef struct {
    const char *image, *mask, *manifest, *settings, *out, *case_id, *device;
    int label, label_set, threads, jobs, pack, quiet;
    long device_mib; /* --device-memory; 0 when absent */
    long shard, shards; /* --shard K/N; N = 0 when absent */
} extract_args;

/* "K/N" with 0 <= K < N; 0 when valid. */
static int parse_shard(const char *v, long *k, long *n)
{
    char *end;
    *k = strtol(v, &end, 10);
    if (end == v || *end != '/')
        return -1;
    const char *d = end + 1;
    *n = strtol(d, &end, 10);
    return end == d || *end || *k < 0 || *n < 1 || *k >= *n || *n > 1000000 ? -1 : 0;
}

static int parse_args(int argc, char **argv, extract_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(extract_usage, stdout);
            exit(RDX_EXIT_OK);
        }
        if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
            a->quiet = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rdx extract: option %s needs a value (try rdx extract --help)\n", o);
            return -1;
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(o, "--image")) a->image = v;
        else if (!strcmp(o, "--mask")) a->mask = v;
        else if (!strcmp(o, "--manifest")) a->manifest = v;
        else if (!strcmp(o, "--settings")) a->settings = v;
        else if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--case-id")) a->case_id = v;
        else if (!strcmp(o, "--device")) a->device = v;
        else if (!strcmp(o, "--shard")) {
            if (parse_shard(v, &a->shard, &a->shards)) {
                fprintf(stderr, "rdx extract: --shard expects K/N with 0 <= K < N, got '%s'\n", v);
                return -1;
            }
        }
        else if (!strcmp(o, "--device-memory")) {
            a->device_mib = strtol(v, &end, 10);
            if (*end || end == v || a->device_mib < 1 || a->device_mib > (1L << 30)) {
                fprintf(stderr, "rdx extract: --device-memory expects a size in MiB (a positive integer), got '%s'\n",
                        v);
                return -1;
            }
        }
        else if (!strcmp(o, "--pack")) {
            long pack = strtol(v, &end, 10);
            a->pack = pack >= 1 && pack <= 4096 ? (int)pack : 0;
            if (*end || end == v || !a->pack) {
                fprintf(stderr, "rdx extract: --pack expects a number of cases from 1 to 4096, got '%s'\n", v);
                return -1;
            }
        }
        else if (!strcmp(o, "--label") || !strcmp(o, "--threads") || !strcmp(o, "--jobs")) {
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 0 || n > 1000000) {
                fprintf(stderr, "rdx extract: %s expects a non-negative integer, got '%s'\n", o, v);
                return -1;
            }
            if (o[2] == 'l') { a->label = (int)n; a->label_set = 1; }
            else if (o[2] == 'j') a->jobs = (int)n;
            else a->threads = (int)n;
        } else {
            fprintf(stderr, "rdx extract: unknown option '%s' (try rdx extract --help)\n", o);
            return -1;
        }
    }
    if (a->shards && !a->manifest) {
        fprintf(stderr, "rdx extract: --shard needs --manifest (try rdx extract --help)\n");
        return -1;
    }
    if (!a->settings || !a->out || (!a->manifest && (!a->image || !a->mask)) ||
        (a->manifest && (a->image || a->mask))) {
        fprintf(stderr, "rdx extract: give --settings, --out and either --image with --mask or --manifest "
                        "(try rdx extract --help)\n");
        return -1;
    }
    return 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Where results go: exactly one of csv / store is open. */
typedef struct {
    FILE *csv;
    rdx_store *store;
    const char *path;
    rdx_feature_id ids[RDX_F_COUNT];
    const char *tags[RDX_F_COUNT];
    size_t n;
} sink;

static rdx_status sink_open(sink *k, const char *path, const rdx_settings *s, rdx_error *err)
{
    memset(k, 0, sizeof *k);
    k->path = path;
    k->n = rdx_enabled_features(s, k->ids, RDX_F_COUNT);
    for (size_t i = 0; i < k->n; i++)
        k->tags[i] = rdx_feature_table()[k->ids[i]].tag;
    if (has_suffix(path, ".h5") || has_suffix(path, ".hdf5")) {
        char *yaml = rdx_settings_to_yaml(s);
        if (!yaml)
            return rdx_error_set(err, RDX_E_NOMEM, "out of memory");
        rdx_status st = rdx_store_open(path, k->tags, k->n, yaml, RDX_VERSION, &k->store, err);
        free(yaml);
        return st;
    }
    if (!has_suffix(path, ".csv"))
        return rdx_error_set(err, RDX_E_IO, "%s: output must end in .csv or .h5", path);
    k->csv = fopen(path, "w");
    if (!k->csv)
        return rdx_error_set(err, RDX_E_IO, "%s: cannot write: %s", path, strerror(errno));
    fputs("case_id,tag,value\n", k->csv);
    return RDX_OK;
}

static rdx_status sink_write(sink *k, const char *case_id, const double *values, const char *error_text,
                             rdx_error *err)
{
    if (k->store) {
        double row[RDX_F_COUNT];
        for (size_t i = 0; i < k->n; i++)
            row[i] = values[k->ids[i]];
        return rdx_store_append(k->store, case_id, row, error_text, err);
    }
    if (error_text)
        return RDX_OK; /* the CSV holds results only; failures are on stderr */
    for (size_t i = 0; i < k->n; i++)
        fprintf(k->csv, "%s,%s,%.17g\n", case_id, k->tags[i], values[k->ids[i]]);
    if (fflush(k->csv))
        return rdx_error_set(err, RDX_E_IO, "%s: write failed: %s", k->path, strerror(errno));
    return RDX_OK;
}

static rdx_status sink_close(sink *k, rdx_error *err)
{
    if (k->store)
        return rdx_store_close(k->store, err);
    if (k->csv && fclose(k->csv))
        return rdx_error_set(err, RDX_E_IO, "%s: write failed: %s", k->path, strerror(errno));
    return RDX_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the cases of a run, computed by worker threads, written in manifest order ---- */

/* Consecutive cases that one worker computes: those naming the same image
 * file (several ROIs or labels of one scan), whose image it reads once, and
 * with --pack on a CUDA device several such runs, up to pack cases. */
typedef struct {
    size_t first, count; /* positions in run.todo */
} case_group;

/* One case's outcome, filled by a worker and written by the main thread. */
typedef struct {
    double *values; /* RDX_F_COUNT */
    rdx_status st;
    rdx_error err;
    double case_s, read_s; /* wall time of the case (reading included) and of its reading */
    int done;
} case_result;

typedef struct {
    const rdx_case_spec **todo; /* the cases to compute, in manifest order */
    size_t n;
    case_group *groups;
    size_t n_groups;
    case_result *res; /* a window of slots: case i in res[i % window] */
    size_t window;
    const rdx_settings *s;
    rdx_device requested, device;
    int threads_each;
    size_t pack; /* cases finished together (rdx_cases_finish); 1: one at a time */
    pthread_mutex_t lock;     /* guards next_group, written, stop and res[].done */
    pthread_cond_t changed;   /* a result is done, a slot is free, or stop */
    pthread_mutex_t teem;     /* NRRD files are read one at a time: teem's error store is process-wide */
    size_t next_group, written;
    int stop;
} case_run;

static int is_nrrd(const char *path)
{
    return has_suffix(path, ".nrrd") || has_suffix(path, ".nhdr");
}

/* Around a file read: takes r->teem when teem reads the file (NRRD). */
static void teem_lock(case_run *r, const char *path, int take)
{
    if (!is_nrrd(path))
        return;
    if (take)
        pthread_mutex_lock(&r->teem);
    else
        pthread_mutex_unlock(&r->teem);
}

static rdx_status read_image(case_run *r, const char *path, rdx_image *img, rdx_error *err)
{
    teem_lock(r, path, 1);
    rdx_status st = rdx_image_read(path, img, err);
    teem_lock(r, path, 0);
    return st;
}

/* The case's mask, checked against the image grid. */
static rdx_status read_mask(case_run *r, const rdx_case_spec *c, const rdx_grid *grid, rdx_mask *mask,
                            rdx_error *err)
{
    teem_lock(r, c->mask, 1);
    rdx_status st = rdx_mask_read(c->mask, c->label, mask, err);
    teem_lock(r, c->mask, 0);
    if (!st)
        st = rdx_grid_check_same(grid, c->image, &mask->grid, c->mask, err);
    if (!st && rdx_mask_count(mask) == 0)
        st = c->label == RDX_LABEL_ANY
                 ? rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: the mask is empty (no non-zero voxel)", c->mask)
                 : rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: the mask has no voxel with label %d", c->mask,
                                 c->label);
    if (st)
        rdx_mask_free(mask);
    return st;
}

/* Whether a device failure st of case c goes to the CPU (--device auto on a
 * CUDA device), which is said on stderr. */
static int fall_back(const case_run *r, const rdx_case_spec *c, rdx_status st, const rdx_error *err)
{
    if (st != RDX_E_DEVICE || r->requested != RDX_DEVICE_AUTO || r->device != RDX_DEVICE_CUDA)
        return 0;
    fprintf(stderr, "rdx extract: case %s: %s; computing it on the CPU (--device auto)\n", c->case_id, err->msg);
    return 1;
}

/* Features of case c on img and mask. With --device auto on a CUDA device, a
 * device failure (out of device memory, driver error) is reported and the
 * case is computed again on the CPU, so the volumes are kept until it
 * succeeds; they are also kept when keep_image is set (the next case of the
 * group shares the image); otherwise the pipeline takes them over (lower
 * peak memory). */
static rdx_status compute_case(const case_run *r, const rdx_case_spec *c, rdx_image *img, rdx_mask *mask,
                               int keep_image, double *values, rdx_error *err)
{
    int retry = r->requested == RDX_DEVICE_AUTO && r->device == RDX_DEVICE_CUDA;
    if (!retry && !keep_image)
        return rdx_extract_case_take(img, mask, r->s, r->device, c->image, values, err);
    rdx_status st = rdx_extract_case(img, mask, r->s, r->device, c->image, values, err);
    if (!fall_back(r, c, st, err))
        return st;
    return keep_image ? rdx_extract_case(img, mask, r->s, RDX_DEVICE_CPU, c->image, values, err)
                      : rdx_extract_case_take(img, mask, r->s, RDX_DEVICE_CPU, c->image, values, err);
}

/* Waits until case i has a free slot (the writer is less than a window
 * behind); 0 when the run stops instead. */
static int wait_for_slot(case_run *r, size_t i)
{
    pthread_mutex_lock(&r->lock);
    while (!r->stop && i >= r->written + r->window)
        pthread_cond_wait(&r->changed, &r->lock);
    int go = !r->stop;
    pthread_mutex_unlock(&r->lock);
    return go;
}

static void mark_done(case_run *r, case_result *out)
{
    pthread_mutex_lock(&r->lock);
    out->done = 1;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* A worker's cases prepared and not finished yet: at most cap (the run's
 * pack; cap 0 when that memory was not available: one case at a time). */
typedef struct {
    rdx_prepared_case **pc;
    size_t *idx;   /* positions in run.todo */
    double *t;     /* seconds each took up to its preparation */
    rdx_status *st;
    rdx_error *err;
    size_t n, cap;
} pending;

static void pending_free(pending *p)
{
    free(p->pc);
    free(p->idx);
    free(p->t);
    free(p->st);
    free(p->err);
}

static void pending_init(pending *p, size_t cap)
{
    memset(p, 0, sizeof *p);
    if (cap < 2)
        return;
    p->pc = malloc(cap * sizeof *p->pc);
    p->idx = malloc(cap * sizeof *p->idx);
    p->t = malloc(cap * sizeof *p->t);
    p->st = malloc(cap * sizeof *p->st);
    p->err = malloc(cap * sizeof *p->err);
    if (p->pc && p->idx && p->t && p->st && p->err)
        p->cap = cap;
    else
        pending_free(p);
}

/* --device auto: case i, which the device failed on, computed again on the
 * CPU from its files (the batch no longer holds them). */
static void retry_on_cpu(case_run *r, size_t i, case_result *out)
{
    const rdx_case_spec *c = r->todo[i];
    rdx_image img;
    rdx_mask mask;
    memset(&img, 0, sizeof img);
    memset(&mask, 0, sizeof mask);
    out->st = read_image(r, c->image, &img, &out->err);
    if (!out->st)
        out->st = read_mask(r, c, &img.grid, &mask, &out->err);
    if (!out->st)
        out->st = rdx_extract_case_take(&img, &mask, r->s, RDX_DEVICE_CPU, c->image, out->values, &out->err);
    rdx_image_free(&img);
    rdx_mask_free(&mask);
}

/* Finishes the pending cases together and reports them done; each is
 * charged its own preparation and an equal share of the finish. */
static void finish_pending(case_run *r, pending *p)
{
    if (!p->n)
        return;
    pthread_mutex_lock(&r->lock);
    int stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    if (stop) { /* the output failed: the cases in flight are dropped */
        for (size_t k = 0; k < p->n; k++)
            rdx_prepared_case_free(p->pc[k]);
        p->n = 0;
        return;
    }
    double t0 = now_seconds();
    rdx_cases_finish(p->pc, p->n, p->st, p->err);
    double share = (now_seconds() - t0) / (double)p->n;
    for (size_t k = 0; k < p->n; k++) {
        case_result *out = &r->res[p->idx[k] % r->window];
        double t1 = now_seconds();
        out->st = p->st[k];
        out->err = p->err[k];
        if (fall_back(r, r->todo[p->idx[k]], out->st, &out->err))
            retry_on_cpu(r, p->idx[k], out);
        out->case_s = p->t[k] + share + (now_seconds() - t1);
        mark_done(r, out);
    }
    p->n = 0;
}

/* The first half of case i into p; 1 when it waits there for the finish, 0
 * when it is done (failed, or computed on the CPU after a device failure). */
static int prepare_case(case_run *r, size_t i, const rdx_image *img, const rdx_mask *mask, case_result *out,
                        pending *p)
{
    const rdx_case_spec *c = r->todo[i];
    rdx_prepared_case *pc;
    out->st = rdx_case_prepare(img, mask, r->s, r->device, c->image, out->values, &pc, &out->err);
    if (fall_back(r, c, out->st, &out->err)) {
        out->st = rdx_extract_case(img, mask, r->s, RDX_DEVICE_CPU, c->image, out->values, &out->err);
        return 0;
    }
    if (out->st)
        return 0;
    p->pc[p->n] = pc;
    p->idx[p->n++] = i;
    return 1;
}

/* The cases of group g in order. An image is read once for the consecutive
 * cases naming it, and kept until the last of them (a failure to read it is
 * reported by all of them). With a pending list, cases are prepared into it
 * and finished together when it is full and at the end of the group. */
static void run_group(case_run *r, const case_group *g, pending *p)
{
    rdx_image img;
    memset(&img, 0, sizeof img);
    const char *img_path = NULL;
    rdx_status img_st = RDX_OK;
    rdx_error img_err = {0};
    const size_t end = g->first + g->count;
    for (size_t i = g->first; i < end; i++) {
        /* Cases done meanwhile (failures) move i on while the pending ones
         * hold the writer: finish them before i is a pack beyond the
         * oldest, or the wait for i's slot would wait for them. */
        if (p->n && i >= p->idx[0] + r->pack)
            finish_pending(r, p);
        if (!wait_for_slot(r, i))
            break;
        const rdx_case_spec *c = r->todo[i];
        case_result *out = &r->res[i % r->window];
        double t0 = now_seconds();
        for (int f = 0; f < RDX_F_COUNT; f++)
            out->values[f] = NAN;
        if (!img_path || strcmp(img_path, c->image)) {
            rdx_image_free(&img);
            img_st = read_image(r, c->image, &img, &img_err);
            img_path = c->image;
        }
        rdx_mask mask;
        memset(&mask, 0, sizeof mask);
        out->st = img_st;
        out->err = img_err;
        if (!out->st)
            out->st = read_mask(r, c, &img.grid, &mask, &out->err);
        out->read_s = now_seconds() - t0;
        const int image_next = i + 1 < end && !strcmp(r->todo[i + 1]->image, c->image);
        int waits = 0;
        if (!out->st && p->cap)
            waits = prepare_case(r, i, &img, &mask, out, p);
        else if (!out->st)
            out->st = compute_case(r, c, &img, &mask, image_next, out->values, &out->err);
        rdx_mask_free(&mask);
        if (waits) {
            p->t[p->n - 1] = now_seconds() - t0;
            if (p->n == p->cap)
                finish_pending(r, p);
            continue;
        }
        out->case_s = now_seconds() - t0;
        mark_done(r, out);
    }
    finish_pending(r, p);
    rdx_image_free(&img);
}

static void *case_worker(void *arg)
{
    case_run *r = arg;
    omp_set_num_threads(r->threads_each);
    pending p;
    pending_init(&p, r->pack);
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int more = !r->stop && r->next_group < r->n_groups;
        size_t g = more ? r->next_group++ : 0;
        pthread_mutex_unlock(&r->lock);
        if (!more)
            break;
        run_group(r, &r->groups[g], &p);
    }
    pending_free(&p);
    return NULL;
}

/* The groups of r->todo: consecutive cases with the same image path, then
 * with a pack, consecutive groups joined up to join cases (a larger group
 * stays whole). */
static rdx_status make_groups(case_run *r, size_t join, rdx_error *err)
{
    r->groups = malloc((r->n ? r->n : 1) * sizeof *r->groups);
    if (!r->groups)
        return rdx_error_set(err, RDX_E_NOMEM, "out of memory for %zu cases", r->n);
    r->n_groups = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (i > 0 && !strcmp(r->todo[i]->image, r->todo[i - 1]->image)) {
            r->groups[r->n_groups - 1].count++;
            continue;
        }
        r->groups[r->n_groups++] = (case_group){i, 1};
    }
    size_t m = 0;
    for (size_t k = 0; r->pack > 1 && k < r->n_groups; k++) {
        if (m && r->groups[m - 1].count + r->groups[k].count <= join)
            r->groups[m - 1].count += r->groups[k].count;
        else
            r->groups[m++] = r->groups[k];
    }
    r->n_groups = r->pack > 1 ? m : r->n_groups;
    return RDX_OK;
}

static void case_run_free(case_run *r)
{
    for (size_t k = 0; r->res && k < r->window; k++)
        free(r->res[k].values);
    free(r->res);
    free(r->groups);
    free(r->todo);
}

/* Terminal: one rewritten status line; otherwise one line per case. */
static void report_progress(size_t done, size_t total, double t0, const char *case_id, double case_s,
                            double read_s, const char *error_text, int tty)
{
    double elapsed = now_seconds() - t0, rate = done / (elapsed > 0 ? elapsed : 1e-9);
    double eta = (double)(total - done) / (rate > 0 ? rate : 1e-9);
    if (error_text)
        fprintf(stderr, "%scase %s failed: %s\n", tty ? "\r\033[K" : "", case_id, error_text);
    if (tty)
        fprintf(stderr, "\r\033[K%zu/%zu cases  %.2f cases/s  ETA %.0f s%s", done, total, rate, eta,
                done == total ? "\n" : "");
    else if (!error_text)
        fprintf(stderr, "[%zu/%zu] %s ok %.2f s (read %.2f s; %.2f cases/s, ETA %.0f s)\n", done,
                total, case_id, case_s, read_s, rate, eta);
}

int rdx_cli_extract(int argc, char **argv)
{
    extract_args a;
    if (parse_args(argc, argv, &a))
        return RDX_EXIT_USAGE;
    if (a.threads > 0)
        omp_set_num_threads(a.threads);
    rdx_error err = {0};
    rdx_settings s;
    rdx_settings_default(&s);
    if (rdx_settings_load(a.settings, &s, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    if (a.label_set)
        s.label = a.label;
    rdx_device requested, device;
    char device_text[512];
    if (rdx_device_parse(a.device ? a.device : "auto", &requested, &err) ||
        rdx_device_select(requested, &device, device_text, sizeof device_text, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        return err.code == RDX_E_INVALID ? RDX_EXIT_USAGE : RDX_EXIT_INPUT; /* unknown name : no device */
    }
    if (a.device_mib && rdx_device_set_memory_budget(device, (size_t)a.device_mib, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    if (!a.quiet)
        fprintf(stderr, "rdx extract: device %s%s\n", device_text,
                a.device_mib && device == RDX_DEVICE_CUDA ? ", memory budget set by --device-memory" : "");
    rdx_manifest cases;
    rdx_status st = a.manifest ? rdx_manifest_read(a.manifest, s.label, &cases, &err)
                               : rdx_manifest_single(a.case_id, a.image, a.mask, s.label, &cases, &err);
    if (st) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        return RDX_EXIT_INPUT;
    }
    rdx_manifest all = cases;
    if (a.shards) { /* the K-th of N contiguous blocks: shard stores merge back in manifest order */
        size_t lo = all.n * (size_t)a.shard / (size_t)a.shards, hi = all.n * (size_t)(a.shard + 1) / (size_t)a.shards;
        cases.items = all.items + lo;
        cases.n = hi - lo;
        if (!a.quiet && cases.n)
            fprintf(stderr, "rdx extract: shard %ld/%ld: cases %zu to %zu of %zu\n", a.shard, a.shards, lo + 1, hi,
                    all.n);
        else if (!a.quiet)
            fprintf(stderr, "rdx extract: shard %ld/%ld: no case (the manifest has %zu)\n", a.shard, a.shards, all.n);
    }
    sink out;
    if (sink_open(&out, a.out, &s, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        sink_close(&out, &err);
        rdx_manifest_free(&all);
        return rdx_exit_store_open(err.code);
    }
    int tty = isatty(fileno(stderr)) && !a.quiet;
    size_t failed = 0, skipped = 0, ok = 0; /* ok and failed: cases written */
    int output_failed = 0;
    double t0 = now_seconds();
    case_run run;
    memset(&run, 0, sizeof run);
    run.s = &s;
    run.requested = requested;
    run.device = device;
    run.todo = malloc((cases.n ? cases.n : 1) * sizeof *run.todo);
    for (size_t i = 0; run.todo && i < cases.n; i++) { /* cases already stored as ok are skipped */
        if (!out.store || rdx_store_case_status(out.store, cases.items[i].case_id) != 0)
            run.todo[run.n++] = &cases.items[i];
        else
            skipped++;
    }
    int threads = omp_get_max_threads(), jobs = a.jobs ? a.jobs : threads >= 2 ? 2 : 1;
    run.pack = device == RDX_DEVICE_CUDA ? (size_t)(a.pack ? a.pack : 16) : 1;
    /* Joined groups of at most n / jobs cases, so that every job gets some. */
    size_t join = jobs > 0 ? (run.n + (size_t)jobs - 1) / (size_t)jobs : run.n;
    join = join < run.pack ? join : run.pack;
    st = run.todo ? make_groups(&run, join, &err) : rdx_error_set(&err, RDX_E_NOMEM, "out of memory");
    jobs = (size_t)jobs > run.n_groups ? (int)run.n_groups : jobs;
    run.threads_each = jobs > 0 && threads / jobs > 1 ? threads / jobs : 1;
    run.window = 2 * (size_t)(jobs > 0 ? jobs : 1) * run.pack; /* a worker holds up to pack unfinished cases */
    run.res = st ? NULL : calloc(run.window, sizeof *run.res);
    for (size_t k = 0; run.res && k < run.window && !st; k++)
        if (!(run.res[k].values = malloc(RDX_F_COUNT * sizeof *run.res[k].values)))
            st = rdx_error_set(&err, RDX_E_NOMEM, "out of memory");
    pthread_t *worker = st || !run.res ? NULL : malloc((size_t)(jobs > 0 ? jobs : 1) * sizeof *worker);
    int started = 0;
    pthread_mutex_init(&run.lock, NULL);
    pthread_mutex_init(&run.teem, NULL);
    pthread_cond_init(&run.changed, NULL);
    while (worker && started < jobs && pthread_create(&worker[started], NULL, case_worker, &run) == 0)
        started++;
    if (run.n > 0 && started == 0) {
        fprintf(stderr, "rdx extract: %s\n", st ? err.msg : "cannot start a worker thread");
        output_failed = 1;
    }
    /* Results in manifest order, as the workers finish them. */
    for (size_t i = 0; i < run.n && !output_failed; i++) {
        case_result *res = &run.res[i % run.window];
        pthread_mutex_lock(&run.lock);
        while (!res->done)
            pthread_cond_wait(&run.changed, &run.lock);
        pthread_mutex_unlock(&run.lock);
        const rdx_case_spec *c = run.todo[i];
        if (sink_write(&out, c->case_id, res->values, res->st ? res->err.msg : NULL, &err)) {
            fprintf(stderr, "rdx extract: %s\n", err.msg);
            output_failed = 1;
        } else {
            failed += res->st != RDX_OK;
            ok += res->st == RDX_OK;
        }
        if (!a.quiet || res->st)
            report_progress((size_t)(c - cases.items) + 1, cases.n, t0, c->case_id, res->case_s, res->read_s,
                            res->st ? res->err.msg : NULL, tty);
        pthread_mutex_lock(&run.lock);
        res->done = 0;
        run.written = i + 1;
        pthread_cond_broadcast(&run.changed);
        pthread_mutex_unlock(&run.lock);
    }
    pthread_mutex_lock(&run.lock); /* after an output failure the cases in flight are dropped */
    run.stop = 1;
    pthread_cond_broadcast(&run.changed);
    pthread_mutex_unlock(&run.lock);
    for (int w = 0; w < started; w++)
        pthread_join(worker[w], NULL);
    free(worker);
    pthread_mutex_destroy(&run.lock);
    pthread_mutex_destroy(&run.teem);
    pthread_cond_destroy(&run.changed);
    case_run_free(&run);
    if (sink_close(&out, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        output_failed = 1;
    }
    size_t not_written = cases.n - ok - failed - skipped;
    if (!a.quiet)
        fprintf(stderr, "rdx extract: %zu cases, %zu ok, %zu failed, %zu skipped (already in the store)%s%.0zu%s; "
                        "results in %s\n",
                cases.n, ok, failed, skipped, not_written ? ", " : "", not_written,
                not_written ? " not written (output failed)" : "", a.out);
    int single = !a.manifest;
    rdx_manifest_free(&all);
    if (output_failed)
        return RDX_EXIT_OUTPUT;
    if (failed)
        return single ? RDX_EXIT_INPUT : RDX_EXIT_CASES_FAILED;
    return RDX_EXIT_OK;
}
