/* Minimal test harness: CHECK/CHECK_NEAR record failures and go on; each test
 * program ends with `return check_summary("name");`, which prints
 * "name: N passed, N failed" and returns non-zero when anything failed. */
#ifndef RDX_TESTS_CHECK_H
#define RDX_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_pass_count, check_fail_count;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (cond) {                                                                       \
            check_pass_count++;                                                           \
        } else {                                                                          \
            check_fail_count++;                                                           \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

/* |got - want| <= tol (absolute). */
#define CHECK_NEAR(got, want, tol, what)                                                  \
    CHECK(fabs((double)(got) - (double)(want)) <= (double)(tol), "%s: got %.10g, want %.10g +- %.3g", \
          (what), (double)(got), (double)(want), (double)(tol))

static inline int check_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass_count, check_fail_count);
    return check_fail_count != 0;
}

#endif
