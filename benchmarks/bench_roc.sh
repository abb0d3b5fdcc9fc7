#!/usr/bin/env bash
# ROC benchmark, all in one run on the same machine:
#  1. a 100-study set (50/50): bootstrap CI of the AUC with 10,000 stratified
#     replicates by pROC's ci.auc, by a scikit-learn loop, by rdx's library (the
#     same computation) and by the whole `rdx roc` command (AUC, DeLong, three
#     thresholds with every metric and its bootstrap percentile/BCa intervals);
#  2. screening 1,000 features x 500 cases with 2,000 paired bootstrap replicates.
# Targets: rdx library >= 100 x faster than pROC; screening < 5 s.
# Usage: benchmarks/bench_roc.sh [path/to/rdx]   (default $RDX_CLI, else build/rdx)
# Needs R with pROC (r-cran-proc), python3 with scikit-learn, numpy and h5py, gcc
# and HDF5; installs the missing ones when run as root.
set -eu
cd "$(dirname "$0")/.."
RDX=${1:-${RDX_CLI:-build/rdx}}
BOOT=10000
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

[ -x "$RDX" ] || { echo "bench_roc: no rdx binary at $RDX (build it, or pass its path)" >&2; exit 2; }
if ! Rscript -e 'library(pROC)' >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "bench_roc: R package pROC missing (apt-get install r-cran-proc)" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-cran-proc >/dev/null
fi
for mod in sklearn:scikit-learn h5py:h5py; do
  if ! python3 -c "import ${mod%%:*}" 2>/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "bench_roc: python module ${mod%%:*} missing (pip install ${mod#*:})" >&2; exit 2; }
    pip install -q "${mod#*:}"
  fi
done

# The library benchmark, built from the sources.
gcc -std=c11 -O2 -fopenmp -ffp-contract=off -Iinclude -Ihost $(pkg-config --cflags hdf5) \
  -Ikernels benchmarks/bench_roc_auc.c host/roc_*.c host/table_csv.c host/error.c host/device.c kernels/none.c \
  -o "$T/bench_roc_auc" $(pkg-config --libs hdf5) -lm

# seconds COMMAND...: wall time of one run, output discarded.
seconds() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo "scale=6; ($t1 - $t0) / 1000000000" | bc
}
# best N COMMAND...: the shortest of N wall times.
best() {
  local n=$1 b="" s
  shift
  for _ in $(seq "$n"); do
    s=$(seconds "$@")
    if [ -z "$b" ] || [ "$(echo "$s < $b" | bc)" = 1 ]; then b=$s; fi
  done
  echo "$b"
}
field() { sed -n "s/.*$1 \([0-9.e+-]*\).*/\1/p"; }

python3 benchmarks/bench_roc_data.py csv "$T/b100.csv" 50 50
echo "100 studies (50 with the finding), $BOOT stratified bootstrap replicates, 95 % percentile CI of the AUC"
proc_out=$(Rscript benchmarks/bench_roc_proc.R "$T/b100.csv" $BOOT)
sk_out=$(python3 benchmarks/bench_roc_sklearn.py "$T/b100.csv" $BOOT)
# lib_best THREADS: the library's shortest time of 5 runs.
lib_best() {
  local b="" s
  for _ in 1 2 3 4 5; do
    lib_out=$(OMP_NUM_THREADS=$1 "$T/bench_roc_auc" "$T/b100.csv" $BOOT)
    s=$(echo "$lib_out" | field seconds)
    if [ -z "$b" ] || [ "$(echo "$s < $b" | bc)" = 1 ]; then b=$s; fi
  done
  echo "$b"
}
lib1=$(lib_best 1)
libn=$(lib_best "$(nproc)")
lib_out=$("$T/bench_roc_auc" "$T/b100.csv" $BOOT)
lib_best=$lib1
[ "$(echo "$libn < $lib1" | bc)" = 1 ] && lib_best=$libn
cli_best=$(best 3 "$RDX" roc --csv "$T/b100.csv" --truth truth --positive 1 --score score \
  --bootstrap $BOOT --seed 1 --json "$T/r.json")
proc_s=$(echo "$proc_out" | field seconds)
sk_s=$(echo "$sk_out" | field seconds)
echo "  $proc_out"
echo "  $sk_out"
echo "  $lib_out"
ratio() { printf '%.1f' "$(echo "scale=4; $proc_s / $1" | bc)"; }
printf '%-58s %10s %12s\n' "method" "seconds" "pROC / it"
printf '%-58s %10.4f %12s\n' "pROC ci.auc(method=\"bootstrap\", boot.n=$BOOT)" "$proc_s" "1.0"
printf '%-58s %10.4f %12s\n' "scikit-learn loop (numpy resampling + roc_auc_score)" "$sk_s" "$(ratio "$sk_s")"
printf '%-58s %10.4f %12s\n' "rdx library: rdx_boot_auc + rdx_boot_ci, 1 thread (best of 5)" "$lib1" "$(ratio "$lib1")"
printf '%-58s %10.4f %12s\n' "rdx library, $(nproc) threads (best of 5)" "$libn" "$(ratio "$libn")"
printf '%-58s %10.4f %12s\n' "rdx roc CLI, whole analysis, process wall time (best of 3)" "$cli_best" "$(ratio "$cli_best")"

python3 benchmarks/bench_roc_data.py store "$T/f.h5" "$T/outcomes.csv" 500 1000
screen_s=$(best 3 "$RDX" roc --store "$T/f.h5" --outcomes "$T/outcomes.csv" --truth outcome --positive 1 \
  --bootstrap 2000 --seed 1 --json "$T/s.json")
echo
echo "screening: 1000 features x 500 cases x 2000 bootstrap replicates ($(nproc) cores)"
printf '%-58s %10.4f\n' "rdx roc --store (read, DeLong, bootstrap, BH, JSON; best of 3)" "$screen_s"

status=0
echo
if [ "$(echo "$proc_s / $lib_best >= 100" | bc)" = 1 ]; then echo "PASS rdx >= 100 x faster than pROC"
else echo "FAIL rdx < 100 x faster than pROC"; status=1; fi
if [ "$(echo "$screen_s < 5" | bc)" = 1 ]; then echo "PASS screening under 5 s"
else echo "FAIL screening takes 5 s or more"; status=1; fi
exit $status
