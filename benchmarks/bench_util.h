/* What the benchmark programs share: a monotonic clock and error exits. */
#ifndef RDX_BENCH_UTIL_H
#define RDX_BENCH_UTIL_H

#include <stdio.h>
#include <time.h>

#include "rdx/error.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Prints "prog: message" and returns the exit status 1. */
static inline int bench_fail(const char *prog, const rdx_error *err)
{
    fprintf(stderr, "%s: %s\n", prog, err->msg);
    return 1;
}

#endif
