/* Sub-commands of the rdx command-line tool. Each takes the arguments after
 * the sub-command name (argv[0] is the sub-command) and returns the process
 * exit code documented in `rdx --help`:
 *   0 success; 1 some cases failed (manifest runs: the others completed);
 *   2 usage error (bad option); 3 input error (bad file, settings or data);
 *   4 output error (cannot write the results). */
#ifndef RDX_HOST_CLI_H
#define RDX_HOST_CLI_H

#include "rdx/error.h"

enum { RDX_EXIT_OK = 0, RDX_EXIT_CASES_FAILED = 1, RDX_EXIT_USAGE = 2, RDX_EXIT_INPUT = 3,
       RDX_EXIT_OUTPUT = 4 };

/* Exit code of a failure to open an output store (rdx_store_open): an
 * existing store that differs, or is not a store, is an input error; the rest
 * (cannot create or write the file) an output error. */
static inline int rdx_exit_store_open(rdx_status st)
{
    return st == RDX_E_MISMATCH || st == RDX_E_FORMAT || st == RDX_E_UNSUPPORTED ? RDX_EXIT_INPUT : RDX_EXIT_OUTPUT;
}

int rdx_cli_extract(int argc, char **argv);
int rdx_cli_roc(int argc, char **argv);
int rdx_cli_features(int argc, char **argv);
int rdx_cli_merge(int argc, char **argv);

#endif
