/* rdx: IBSI radiomics/dosiomics features and ROC statistics. Umbrella header. */
#ifndef RDX_RDX_H
#define RDX_RDX_H

#define RDX_VERSION "0.1.0"

#include "rdx/error.h"
#include "rdx/volume.h"
#include "rdx/device.h"
#include "rdx/io.h"
#include "rdx/settings.h"
#include "rdx/features.h"
#include "rdx/preprocess.h"
#include "rdx/store.h"
#include "rdx/roc.h"

#endif
