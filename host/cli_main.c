/* rdx command-line entry point: dispatches to the sub-commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rdx/rdx.h"

static const char *usage =
    "rdx " RDX_VERSION " - IBSI radiomics/dosiomics features and ROC statistics\n"
    "\n"
    "Usage: rdx <command> [options]      (rdx <command> --help for its options)\n"
    "\n"
    "Commands:\n"
    "  extract    compute IBSI features of image/mask pairs into a CSV or an HDF5 feature store\n"
    "  merge      concatenate the HDF5 feature stores of a cohort run split into shards\n"
    "  roc        ROC curve, AUC with DeLong and bootstrap CIs, thresholds and metrics\n"
    "  features   print the feature table: tag, IBSI code, family, PyRadiomics name\n"
    "\n"
    "Options:\n"
    "  -h, --help     this text\n"
    "  --version      print the version\n"
    "\n"
    "Exit codes (all commands):\n"
    "  0  success\n"
    "  1  some cases failed; the others completed and are in the output\n"
    "  2  usage error (unknown option, missing argument)\n"
    "  3  input error (missing, unreadable or corrupt file; bad settings; bad data)\n"
    "  4  output error (cannot write the results)\n"
    "\n"
    "Example:\n"
    "  rdx extract --image ct.nii.gz --mask gtv.nii.gz --settings datasets/settings/ibsi_config_A.yaml \\\n"
    "              --out features.csv\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return RDX_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return RDX_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("rdx %s\n", RDX_VERSION);
        return RDX_EXIT_OK;
    }
    if (!strcmp(cmd, "extract"))
        return rdx_cli_extract(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge"))
        return rdx_cli_merge(argc - 1, argv + 1);
    if (!strcmp(cmd, "roc"))
        return rdx_cli_roc(argc - 1, argv + 1);
    if (!strcmp(cmd, "features"))
        return rdx_cli_features(argc - 1, argv + 1);
    fprintf(stderr, "rdx: unknown command '%s' (try rdx --help)\n", cmd);
    return RDX_EXIT_USAGE;
}
