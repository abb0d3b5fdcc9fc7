/* `rdx merge`: concatenate the HDF5 feature stores written by the shards of
 * one cohort run into one store. Every input is checked against the first
 * (feature tags, settings) before anything is written, so a wrong file leaves
 * the output as it was; rows are then copied one at a time, in argument order,
 * exactly as stored, and memory stays at one row whatever the cohort size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rdx/rdx.h"

static const char *merge_usage =
    "Usage:\n"
    "  rdx merge --out OUT.h5 IN1.h5 [IN2.h5 ...]\n"
    "\n"
    "Concatenates the HDF5 feature stores of a cohort run split into shards (for\n"
    "example Slurm array tasks or GPUs, each running\n"
    "`rdx extract --manifest cases.csv --shard K/N --out part_K.h5`) into one store.\n"
    "\n"
    "All inputs must have the same feature tags and settings: each is checked against\n"
    "the first before anything is written, and the first difference is reported. OUT\n"
    "is created with them (and the first input's rdx version), or appended to when it\n"
    "exists, in which case it must match as well. Rows are appended in argument order,\n"
    "then in their order in each input, as stored: a failed case stays failed, with\n"
    "its error text. Rows whose case id OUT already holds as ok are skipped and\n"
    "counted, so merging again, or adding a late shard, is harmless (failed rows are\n"
    "copied again; a case's last row in a store is its current one).\n"
    "\n"
    "Options:\n"
    "  --out FILE     the merged store (created, or appended to)\n"
    "  -q, --quiet    no progress lines and no summary on stderr\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit codes: 0 merged; 2 usage error; 3 an input is missing, unreadable, not a\n"
    "store, or differs from the first input or from OUT (checked before anything is\n"
    "written); 4 cannot write OUT.\n"
    "\n"
    "Example (a cohort run as 3 shards):\n"
    "  rdx merge --out cohort.h5 part_0.h5 part_1.h5 part_2.h5\n";

typedef struct {
    const char *out;
    const char **inputs; /* n_inputs of them, pointing into argv */
    size_t n_inputs;
    int quiet, help;
} merge_args;

/* 0 on success (a->inputs allocated), -1 after a usage error was printed. */
static int parse_args(int argc, char **argv, merge_args *a)
{
    memset(a, 0, sizeof *a);
    a->inputs = malloc((size_t)argc * sizeof *a->inputs);
    if (!a->inputs) {
        fprintf(stderr, "rdx merge: out of memory\n");
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-h") || !strcmp(o, "--help"))
            a->help = 1;
        else if (!strcmp(o, "-q") || !strcmp(o, "--quiet"))
            a->quiet = 1;
        else if (!strcmp(o, "--out")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rdx merge: --out needs a file name (try rdx merge --help)\n");
                return -1;
            }
            a->out = argv[++i];
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "rdx merge: unknown option '%s' (try rdx merge --help)\n", o);
            return -1;
        } else
            a->inputs[a->n_inputs++] = o;
    }
    if (!a->help && (!a->out || a->n_inputs == 0)) {
        fprintf(stderr, "rdx merge: give --out and at least one input store (try rdx merge --help)\n");
        return -1;
    }
    return 0;
}

static rdx_store_reader *open_input(const char *path)
{
    rdx_error err = {0};
    rdx_store_reader *r = NULL;
    if (rdx_store_open_read(path, &r, &err))
        fprintf(stderr, "rdx merge: %s\n", err.msg);
    return r;
}

/* Appending a store to itself would read the rows it is writing. */
static int is_output(const char *input, const char *out)
{
    struct stat in_sb, out_sb;
    return stat(input, &in_sb) == 0 && stat(out, &out_sb) == 0 && in_sb.st_dev == out_sb.st_dev &&
           in_sb.st_ino == out_sb.st_ino;
}

/* path opens as a store with these tags and settings. Returns an exit code. */
static int check_store(const char *path, const char *const *tags, size_t n_tags, const char *settings,
                       const char *against)
{
    rdx_error err = {0};
    rdx_store_reader *r = open_input(path);
    int code = r ? RDX_EXIT_OK : RDX_EXIT_INPUT;
    if (r && rdx_store_reader_check(r, tags, n_tags, settings, against, &err)) {
        fprintf(stderr, "rdx merge: %s\n", err.msg);
        code = RDX_EXIT_INPUT;
    }
    rdx_store_reader_close(r);
    return code;
}

/* The other inputs, and OUT when it exists, have the tags and settings of
 * the first input (open as `first`); no input is OUT. Returns an exit code. */
static int check_inputs(const merge_args *a, const rdx_store_reader *first)
{
    size_t n_tags;
    const char *const *tags = rdx_store_reader_tags(first, &n_tags);
    const char *settings = rdx_store_reader_settings(first);
    size_t len = strlen(a->inputs[0]) + 4;
    char *against = malloc(len);
    struct stat sb;
    int code = RDX_EXIT_OK;
    if (!against) {
        fprintf(stderr, "rdx merge: out of memory\n");
        return RDX_EXIT_INPUT;
    }
    snprintf(against, len, "in %s", a->inputs[0]);
    for (size_t i = 0; i < a->n_inputs && code == RDX_EXIT_OK; i++) {
        if (is_output(a->inputs[i], a->out)) {
            fprintf(stderr, "rdx merge: %s is the output file; give it only as --out\n", a->inputs[i]);
            code = RDX_EXIT_USAGE;
        } else if (i > 0)
            code = check_store(a->inputs[i], tags, n_tags, settings, against);
    }
    /* Checked read-only here too, so that a mismatch names the input it differs from. */
    if (code == RDX_EXIT_OK && stat(a->out, &sb) == 0)
        code = check_store(a->out, tags, n_tags, settings, against);
    free(against);
    return code;
}

typedef struct {
    size_t rows, appended, failed, skipped;
} merge_counts;

/* Append the rows of r to out, skipping case ids out holds as ok. Returns an exit code. */
static int copy_rows(rdx_store_reader *r, const char *path, rdx_store *out, merge_counts *c)
{
    rdx_error err = {0};
    size_t n = rdx_store_reader_rows(r);
    for (size_t i = 0; i < n; i++) {
        rdx_store_row row;
        if (rdx_store_read_row(r, i, &row, &err)) {
            fprintf(stderr, "rdx merge: %s\n", err.msg);
            return RDX_EXIT_INPUT;
        }
        c->rows++;
        if (rdx_store_case_status(out, row.case_id) == 0) {
            c->skipped++;
            continue;
        }
        /* The error text marks a failed row; its values are NaN as stored. */
        if (rdx_store_append(out, row.case_id, row.values, row.status ? row.error_text : NULL, &err)) {
            fprintf(stderr, "rdx merge: %s (while copying row %zu of %s)\n", err.msg, i, path);
            return RDX_EXIT_OUTPUT;
        }
        c->appended++;
        c->failed += row.status != 0;
    }
    return RDX_EXIT_OK;
}

static void report(const char *what, const merge_counts *c, const char *out)
{
    fprintf(stderr, "rdx merge: %s: %zu rows, %zu appended (%zu failed cases), %zu skipped (already ok in %s)\n",
            what, c->rows, c->appended, c->failed, c->skipped, out);
}

/* Copy every input into out, in order. Returns an exit code. */
static int merge_into(const merge_args *a, rdx_store_reader *first, rdx_store *out, merge_counts *total)
{
    int code = RDX_EXIT_OK;
    for (size_t i = 0; i < a->n_inputs && code == RDX_EXIT_OK; i++) {
        merge_counts c = {0};
        rdx_store_reader *r = i == 0 ? first : open_input(a->inputs[i]);
        if (!r)
            return RDX_EXIT_INPUT;
        code = copy_rows(r, a->inputs[i], out, &c);
        if (r != first)
            rdx_store_reader_close(r);
        if (!a->quiet && code == RDX_EXIT_OK)
            report(a->inputs[i], &c, a->out);
        total->rows += c.rows;
        total->appended += c.appended;
        total->failed += c.failed;
        total->skipped += c.skipped;
    }
    return code;
}

static int run_merge(const merge_args *a)
{
    rdx_error err = {0};
    rdx_store *out = NULL;
    size_t n_tags;
    merge_counts total = {0};
    rdx_store_reader *first = open_input(a->inputs[0]);
    if (!first)
        return RDX_EXIT_INPUT;
    int code = check_inputs(a, first);
    if (code == RDX_EXIT_OK) {
        const char *const *tags = rdx_store_reader_tags(first, &n_tags);
        if (rdx_store_open(a->out, tags, n_tags, rdx_store_reader_settings(first),
                           rdx_store_reader_version(first), &out, &err)) {
            fprintf(stderr, "rdx merge: %s\n", err.msg);
            code = rdx_exit_store_open(err.code);
        }
    }
    if (code == RDX_EXIT_OK)
        code = merge_into(a, first, out, &total);
    rdx_store_reader_close(first);
    size_t stored = rdx_store_case_count(out);
    if (out && rdx_store_close(out, &err)) {
        fprintf(stderr, "rdx merge: %s\n", err.msg);
        code = RDX_EXIT_OUTPUT;
    }
    if (!a->quiet && code == RDX_EXIT_OK) {
        char what[64];
        snprintf(what, sizeof what, "%zu input%s", a->n_inputs, a->n_inputs == 1 ? "" : "s");
        report(what, &total, a->out);
        fprintf(stderr, "rdx merge: %s has %zu rows\n", a->out, stored);
    }
    return code;
}

int rdx_cli_merge(int argc, char **argv)
{
    merge_args a;
    int code = parse_args(argc, argv, &a) ? RDX_EXIT_USAGE : RDX_EXIT_OK;
    if (code == RDX_EXIT_OK && a.help)
        fputs(merge_usage, stdout);
    else if (code == RDX_EXIT_OK)
        code = run_merge(&a);
    free(a.inputs);
    return code;
}
