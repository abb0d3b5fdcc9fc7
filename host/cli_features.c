/* `rdx features`: the feature table as CSV (tag, IBSI code, family, PyRadiomics name). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rdx/features.h"

int rdx_cli_features(int argc, char **argv)
{
    if (argc > 1) {
        int help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        fputs("Usage: rdx features\n"
              "Print every feature rdx computes as CSV: tag,ibsi_code,family,pyradiomics.\n"
              "tag names the column in the outputs of rdx extract; ibsi_code is the IBSI\n"
              "identifier (- for processing diagnostics); pyradiomics is the equivalent\n"
              "PyRadiomics feature (- when PyRadiomics has none).\n",
              help ? stdout : stderr);
        return help ? RDX_EXIT_OK : RDX_EXIT_USAGE;
    }
    const rdx_feature_def *t = rdx_feature_table();
    printf("tag,ibsi_code,family,pyradiomics\n");
    for (int f = 0; f < RDX_F_COUNT; f++)
        printf("%s,%s,%s,%s\n", t[f].tag, t[f].ibsi_code, t[f].family_name, t[f].pyradiomics);
    return RDX_EXIT_OK;
}
