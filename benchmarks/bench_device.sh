#!/usr/bin/env bash
# CPU vs GPU, all in one run on the same machine (issue #5):
#  1. cases/s with the volumes already in memory (bench_extract_mem) on the
#     bundled cases: IBSI CT phantom (125k-voxel ROI), STS_001, STS_002;
#     settings: rdx's equivalents of PyRadiomics' default classes, 3D, bin width 25;
#  1b. STS_002 (17k-voxel ROI) in memory, one case at a time and 16 finished
#     together (rdx_cases_finish, as `rdx extract --pack 16`): cases/s on each
#     device, and kernel launches per case counted by the SIMT emulator
#     (bench_extract_mem_emu, when built; its times say nothing about a GPU);
#  2. a cohort run end to end (`rdx extract --manifest`, 20 copies of each case)
#     with 1, 2 and 4 cases at a time (--jobs): cases/s, and the mean per-case
#     read and case times (reading included) from the progress lines;
#  3. the synthetic 512 x 512 x 300 CT with a 20M-voxel ROI, every family, 64 bins
#     (whole `rdx extract`, wall time);
#  4. ROC bootstrap: 10^6 stratified AUC replicates of a 100-study set
#     (bench_roc_auc): replicates/s.
# Each row runs on the CPU (all cores) and, when a CUDA device is present, on it;
# during the GPU rows nvidia-smi samples the GPU utilisation (mean reported).
# Without a device the script prints 'no GPU available' and the CPU rows.
# Usage: benchmarks/bench_device.sh [build-dir]   (default build; needs bench_extract_mem,
# bench_roc_auc and rdx built there, python3 with numpy and SimpleITK)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for p in rdx bench_extract_mem bench_roc_auc; do
  [ -x "$B/$p" ] || { echo "bench_device: $B/$p missing (build the project first)" >&2; exit 2; }
done
python3 benchmarks/bench_roc_data.py csv "$T/b100.csv" 50 50
devices="cpu"
if "$B/bench_roc_auc" "$T/b100.csv" 10 cuda >/dev/null 2>&1; then
  devices="cpu cuda"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
else
  echo "no GPU available: CPU figures only ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2))"
fi

# util_start / util_stop: mean GPU utilisation (%) over the command in between.
util_start() { [ "$1" = cuda ] && { nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 100 >"$T/util" & echo $! >"$T/util.pid"; } || true; }
util_stop() {
  if [ "$1" = cuda ]; then kill "$(cat "$T/util.pid")" 2>/dev/null || true; wait 2>/dev/null || true
    awk '{ s += $1; n++ } END { printf "%.0f %%", n ? s / n : 0 }' "$T/util"
  else printf -- "-"; fi
}

cat >"$T/f3d.yaml" <<'EOF'
families: [intensity_statistics, intensity_histogram, morphology, glcm, glrlm, glszm, ngtdm, ngldm]
texture: {aggregation: [3D]}
morphology: {autocorrelation: off}
discretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}
EOF
D=datasets
cases="ibsi_ct_phantom:$D/ibsi_ct_phantom/image.nii.gz:$D/ibsi_ct_phantom/mask.nii.gz
STS_001:$D/sts/STS_001_image.nii.gz:$D/sts/STS_001_mask.nii.gz
STS_002:$D/sts/STS_002_image.nii.gz:$D/sts/STS_002_mask.nii.gz"

echo
echo "1. volumes in memory: rdx_extract_case repeated (after one warm-up run)"
printf '%-16s %-6s %10s %8s %12s %10s %8s\n' case device roi_voxels read_s compute_s cases/s gpu_util
for c in $cases; do
  IFS=: read -r name img mask <<<"$c"
  for dev in $devices; do
    util_start "$dev"
    out=$("$B/bench_extract_mem" "$img" "$mask" "$T/f3d.yaml" 20 "$dev")
    u=$(util_stop "$dev")
    set -- $out
    printf '%-16s %-6s %10s %8.3f %12.4f %10s %8s\n' "$name" "$dev" "$8" "$2" "$4" "$6" "$u"
  done
done

echo
echo "1b. STS_002 in memory, cases finished one at a time (pack 1) or 16 together (pack 16)"
printf '%-6s %-5s %12s %10s %18s\n' device pack compute_s cases/s launches_per_case
IFS=: read -r name img mask <<<"$(echo "$cases" | tail -1)"
for dev in $devices; do
  for pack in 1 16; do
    set -- $("$B/bench_extract_mem" "$img" "$mask" "$T/f3d.yaml" 64 "$dev" "$pack")
    launches=-
    if [ "$dev" = cpu ] && [ -x "$B/bench_extract_mem_emu" ]; then
      launches=$("$B/bench_extract_mem_emu" "$img" "$mask" "$T/f3d.yaml" 16 cuda "$pack" | awk '{ print $12 }')
      launches="$launches (emulator)"
    fi
    printf '%-6s %-5s %12.4f %10s %18s\n' "$dev" "$pack" "$4" "$6" "$launches"
  done
done

echo
echo "2. cohort run end to end: rdx extract --manifest, 20 copies of each case (60 cases)"
echo "case_id,image,mask" >"$T/cohort.csv"
for k in $(seq 20); do
  for c in $cases; do IFS=: read -r name img mask <<<"$c"; echo "${name}_$k,$PWD/$img,$PWD/$mask" >>"$T/cohort.csv"; done
done
printf '%-6s %-5s %8s %10s %14s %14s %8s\n' device jobs wall_s cases/s mean_read_s mean_case_s gpu_util
for dev in $devices; do
  for jobs in 1 2 4; do
    util_start "$dev"
    t0=$(date +%s%N)
    "$B/rdx" extract --manifest "$T/cohort.csv" --settings "$T/f3d.yaml" --out "$T/cohort_$dev$jobs.h5" \
      --device "$dev" --jobs "$jobs" 2>"$T/log_$dev"
    t1=$(date +%s%N)
    u=$(util_stop "$dev")
    awk -v wall="$(echo "($t1 - $t0) / 10^9" | bc -l)" -v dev="$dev" -v j="$jobs" -v u="$u" '
      / ok / { n++; for (i = 1; i <= NF; i++) { if ($i == "ok") c += $(i + 1); if ($i == "(read") r += $(i + 1) } }
      END { printf "%-6s %-5s %8.2f %10.2f %14.4f %14.4f %8s\n", dev, j, wall, n / wall, r / n, c / n, u }' "$T/log_$dev"
  done
done

echo
echo "3. synthetic 512 x 512 x 300 CT, 20M-voxel ROI, every family, 64 bins (whole rdx extract)"
# The synthetic case of bench_extract.py (needs numpy and SimpleITK).
python3 -c "import sys; sys.path.insert(0, 'benchmarks'); import bench_extract; bench_extract.synthetic_case(sys.argv[1])" "$T"
printf 'texture: {aggregation: [3D]}\ndiscretisation: {method: fixed_bin_number, bin_number: 64}\n' >"$T/big.yaml"
printf '%-6s %8s %8s\n' device wall_s gpu_util
for dev in $devices; do
  util_start "$dev"
  t0=$(date +%s%N)
  "$B/rdx" extract --image "$T/image.nii.gz" --mask "$T/mask.nii.gz" --settings "$T/big.yaml" --out "$T/big.csv" \
    --device "$dev" -q
  t1=$(date +%s%N)
  u=$(util_stop "$dev")
  printf '%-6s %8.2f %8s\n' "$dev" "$(echo "($t1 - $t0) / 10^9" | bc -l)" "$u"
done

echo
echo "4. ROC bootstrap: 10^6 stratified AUC replicates, 100 studies (50/50)"
printf '%-6s %10s %14s %8s\n' device seconds replicates/s gpu_util
for dev in $devices; do
  util_start "$dev"
  out=$("$B/bench_roc_auc" "$T/b100.csv" 1000000 "$dev")
  u=$(util_stop "$dev")
  s=$(echo "$out" | sed -n 's/.*seconds \([0-9.e+-]*\).*/\1/p')
  printf '%-6s %10.4f %14.3g %8s\n' "$dev" "$s" "$(echo "1000000 / $s" | bc -l)" "$u"
done
