/* A small CSV reader: a header line and rows of the same width (RFC 4180:
 * comma-separated, fields optionally in double quotes with "" for a quote,
 * quoted fields may span lines; CRLF or LF; a UTF-8 BOM is skipped; blank
 * lines are ignored; unquoted fields are trimmed of spaces and tabs).
 * Errors name the file and the line (and the column for values). */
#ifndef RDX_HOST_TABLE_CSV_H
#define RDX_HOST_TABLE_CSV_H

#include <stddef.h>
#include "rdx/error.h"

typedef struct {
    char *path;      /* copy of the file name, for messages */
    size_t n_cols, n_rows;
    char **header;   /* [n_cols] */
    char **cells;    /* [n_rows * n_cols], row-major */
    size_t *line;    /* [n_rows] line where each row starts (the header is on line header_line) */
    size_t header_line;
    char *text;      /* storage of every field */
} rdx_csv;

/* Read a whole file. Owned by the caller: release with rdx_csv_free. */
rdx_status rdx_csv_read(const char *path, rdx_csv *out, rdx_error *err);
void rdx_csv_free(rdx_csv *t);

/* Index of the column named name; RDX_E_FORMAT naming the file and the
 * available columns when there is none. */
rdx_status rdx_csv_column(const rdx_csv *t, const char *name, size_t *col, rdx_error *err);

static inline const char *rdx_csv_cell(const rdx_csv *t, size_t row, size_t col)
{
    return t->cells[row * t->n_cols + col];
}

/* The cell as a number: an empty cell, NA, NaN (any case) give NaN; anything
 * else must be a whole decimal number (strtod syntax), else RDX_E_FORMAT
 * "FILE line L, column 'C': 'text' is not a number". */
rdx_status rdx_csv_number(const rdx_csv *t, size_t row, size_t col, double *out, rdx_error *err);

#endif
