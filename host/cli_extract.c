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
    "  --device D         cpu, cuda or auto (default): where the kernels run; auto\n"
    "                     takes a CUDA device when there is one and says which, and\n"
    "                     computes a case on the CPU when the device fails on it (out\n"
    "                     of device memory, driver error); cuda makes that a failure.\n"
    "                     Results are the same on every device.\n"
    "  -q, --quiet        no progress output\n"
    "  -h, --help         this text\n"
    "\n"
    "Progress goes to stderr: a status line on a terminal, else one line per case with\n"
    "its time and the time its files took to read (the next case is read while this one\n"
    "is computed). Consecutive manifest rows with the same image file (several ROIs or\n"
    "labels of one scan or dose grid) read the image once.\n"
    "Exit codes: 0 all cases ok; 1 some cases failed (the others are in the output);\n"
    "2 usage error; 3 input error (single case, or settings/manifest unusable);\n"
    "4 cannot write the output.\n"
    "\n"
    "Example:\n"
    "  rdx extract --image ct.nii.gz --mask gtv.nii.gz --settings ibsi_config_A.yaml --out f.csv\n";

typedef struct {
    const char *image, *mask, *manifest, *settings, *out, *case_id, *device;
    int label, label_set, threads, quiet;
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
        else if (!strcmp(o, "--label") || !strcmp(o, "--threads")) {
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 0 || n > 1000000) {
                fprintf(stderr, "rdx extract: %s expects a non-negative integer, got '%s'\n", o, v);
                return -1;
            }
            if (o[2] == 'l') { a->label = (int)n; a->label_set = 1; }
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

static double now_seconds(void);

/* One case read from its files, or the error that stopped the reading. */
typedef struct {
    const rdx_case_spec *spec;
    const rdx_grid *shared; /* set: the image is the one held from the case before (not read), on this grid */
    rdx_image img;          /* the image read, when not shared */
    rdx_mask mask;
    rdx_status st;
    rdx_error err;
    double read_s; /* wall time of the reading */
} loaded_case;

static void loaded_free(loaded_case *l)
{
    rdx_image_free(&l->img);
    rdx_mask_free(&l->mask);
}

/* Reads image (unless shared) and mask of l->spec and checks that they fit
 * together (a thread entry: the reading of the next case overlaps the
 * features of this one, which reads the shared image too but does not change it). */
static void *load_case(void *arg)
{
    loaded_case *l = arg;
    const rdx_case_spec *c = l->spec;
    rdx_error *err = &l->err;
    double t0 = now_seconds();
    memset(&l->img, 0, sizeof l->img);
    memset(&l->mask, 0, sizeof l->mask);
    rdx_status st = l->shared ? RDX_OK : rdx_image_read(c->image, &l->img, err);
    if (!st)
        st = rdx_mask_read(c->mask, c->label, &l->mask, err);
    if (!st)
        st = rdx_grid_check_same(l->shared ? l->shared : &l->img.grid, c->image, &l->mask.grid, c->mask, err);
    if (!st && rdx_mask_count(&l->mask) == 0)
        st = c->label == RDX_LABEL_ANY
                 ? rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: the mask is empty (no non-zero voxel)", c->mask)
                 : rdx_error_set(err, RDX_E_EMPTY_ROI, "%s: the mask has no voxel with label %d", c->mask,
                                 c->label);
    if (st) /* an image read stays: the next row may name it too */
        rdx_mask_free(&l->mask);
    l->st = st;
    l->read_s = now_seconds() - t0;
    return NULL;
}

/* Reading in the background: one case ahead of the computation. Files are
 * read by one thread at a time (teem's error store is process-wide). */
typedef struct {
    pthread_t thread;
    int running;
} prefetch;

static void prefetch_start(prefetch *p, loaded_case *l, const rdx_case_spec *spec, const rdx_grid *shared)
{
    memset(&l->err, 0, sizeof l->err);
    l->spec = spec;
    l->shared = shared;
    p->running = pthread_create(&p->thread, NULL, load_case, l) == 0;
    if (!p->running) /* no thread to spare: read it now */
        load_case(l);
}

static void prefetch_wait(prefetch *p)
{
    if (p->running)
        pthread_join(p->thread, NULL);
    p->running = 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The image of the last case read, kept while the next case shares it. */
typedef struct {
    const char *path; /* NULL: none held */
    rdx_image img;
} held_image;

static void held_free(held_image *h)
{
    rdx_image_free(&h->img);
    h->path = NULL;
}

/* After l was read: an image it read replaces the held one. */
static void held_take(held_image *h, loaded_case *l)
{
    if (l->shared || !l->img.data)
        return;
    held_free(h);
    h->img = l->img;
    h->path = l->spec->image;
    memset(&l->img, 0, sizeof l->img);
}

/* Features of case l on image img. With --device auto on a CUDA device, a
 * device failure (out of device memory, driver error) is reported and the
 * case is computed again on the CPU, so the volumes are kept until it
 * succeeds; they are also kept when keep_image is set (the next case shares
 * the image); otherwise the pipeline takes them over (lower peak memory). */
static rdx_status compute_case(rdx_image *img, loaded_case *l, int keep_image, const rdx_settings *s,
                               rdx_device requested, rdx_device device, double *values, rdx_error *err)
{
    const char *path = l->spec->image;
    int retry = requested == RDX_DEVICE_AUTO && device == RDX_DEVICE_CUDA;
    if (!retry && !keep_image)
        return rdx_extract_case_take(img, &l->mask, s, device, path, values, err);
    rdx_status st = rdx_extract_case(img, &l->mask, s, device, path, values, err);
    if (st != RDX_E_DEVICE || !retry)
        return st;
    fprintf(stderr, "rdx extract: case %s: %s; computing it on the CPU (--device auto)\n", l->spec->case_id,
            err->msg);
    return keep_image ? rdx_extract_case(img, &l->mask, s, RDX_DEVICE_CPU, path, values, err)
                      : rdx_extract_case_take(img, &l->mask, s, RDX_DEVICE_CPU, path, values, err);
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

/* Index of the first case from i on that is not already stored as ok
 * (cases.n when none); *skipped counts those passed over. */
static size_t next_case(sink *out, const rdx_manifest *cases, size_t i, size_t *skipped)
{
    for (; i < cases->n; i++) {
        if (!out->store || rdx_store_case_status(out->store, cases->items[i].case_id) != 0)
            return i;
        (*skipped)++;
    }
    return i;
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
    if (!a.quiet)
        fprintf(stderr, "rdx extract: device %s\n", device_text);
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
        return err.code == RDX_E_MISMATCH || err.code == RDX_E_FORMAT || err.code == RDX_E_UNSUPPORTED
                   ? RDX_EXIT_INPUT
                   : RDX_EXIT_OUTPUT;
    }
    int tty = isatty(fileno(stderr)) && !a.quiet;
    size_t failed = 0, skipped = 0;
    int output_failed = 0;
    double t0 = now_seconds();
    loaded_case slot[2];
    memset(slot, 0, sizeof slot);
    prefetch reader = {0};
    held_image held = {0};
    size_t next = next_case(&out, &cases, 0, &skipped);
    if (next < cases.n)
        prefetch_start(&reader, &slot[0], &cases.items[next], NULL);
    for (int cur = 0; next < cases.n && !output_failed; cur ^= 1) {
        const rdx_case_spec *c = &cases.items[next];
        double t_case = now_seconds();
        prefetch_wait(&reader);
        loaded_case *l = &slot[cur];
        held_take(&held, l);
        size_t done = next + 1;
        next = next_case(&out, &cases, next + 1, &skipped);
        /* The next case reuses the held image when it names the same file. */
        int share = next < cases.n && held.path && !strcmp(held.path, cases.items[next].image);
        if (next < cases.n)
            prefetch_start(&reader, &slot[cur ^ 1], &cases.items[next], share ? &held.img.grid : NULL);
        double values[RDX_F_COUNT];
        for (int f = 0; f < RDX_F_COUNT; f++)
            values[f] = NAN;
        rdx_error case_err = l->err;
        st = l->st;
        if (!st)
            st = compute_case(&held.img, l, share, &s, requested, device, values, &case_err);
        if (!share)
            held_free(&held);
        loaded_free(l);
        if (st)
            failed++;
        if (sink_write(&out, c->case_id, values, st ? case_err.msg : NULL, &err)) {
            fprintf(stderr, "rdx extract: %s\n", err.msg);
            output_failed = 1;
        }
        if (!a.quiet || st)
            report_progress(done, cases.n, t0, c->case_id, now_seconds() - t_case, l->read_s,
                            st ? case_err.msg : NULL, tty);
    }
    prefetch_wait(&reader); /* after an output failure the case read ahead is dropped */
    loaded_free(&slot[0]);
    loaded_free(&slot[1]);
    held_free(&held);
    if (sink_close(&out, &err)) {
        fprintf(stderr, "rdx extract: %s\n", err.msg);
        output_failed = 1;
    }
    if (!a.quiet)
        fprintf(stderr, "rdx extract: %zu cases, %zu ok, %zu failed%s%zu skipped (already in the store); "
                        "results in %s\n",
                cases.n, cases.n - failed - skipped, failed, ", ", skipped, a.out);
    int single = !a.manifest;
    rdx_manifest_free(&all);
    if (output_failed)
        return RDX_EXIT_OUTPUT;
    if (failed)
        return single ? RDX_EXIT_INPUT : RDX_EXIT_CASES_FAILED;
    return RDX_EXIT_OK;
}
