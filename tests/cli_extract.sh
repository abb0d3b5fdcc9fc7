#!/usr/bin/env bash
# rdx extract end to end: outputs (CSV, HDF5 store read back by h5py), resumed
# runs, and every kind of bad input (a real broken file each): one clear line
# naming the file, a non-zero exit, and in a manifest run the other cases complete.
set -u
source "$(dirname "$0")/lib_cli.sh"
D=$SRC/datasets
SET=$D/settings/ibsi_digital_phantom.yaml
IMG=$D/ibsi_digital_phantom/image.nii.gz
MASK=$D/ibsi_digital_phantom/mask.nii.gz

# --- good single case to CSV: the header and a value checked against the IBSI table
"$RDX" extract --image "$IMG" --mask "$MASK" --settings "$SET" --out "$T/dp.csv" -q
[ $? -eq 0 ] && ok || bad "single case exit"
[ "$(head -1 "$T/dp.csv")" = "case_id,tag,value" ] && ok || bad "csv header"
# IBSI digital phantom: stat_mean 2.15, ih_entropy 1.27 (3 significant digits)
awk -F, '$2=="stat_mean" && ($3 < 2.145 || $3 > 2.155) {exit 1} $2=="ih_entropy" && ($3 < 1.265 || $3 > 1.275) {exit 1}' "$T/dp.csv" \
  && ok || bad "csv values"
grep -q '^image.nii.gz,stat_mean,' "$T/dp.csv" && ok || bad "default case id is the image file name"

# --- usage errors
expect_error "no args" 2 "give --settings" -- extract
expect_error "unknown option" 2 "unknown option '--bogus'" -- extract --bogus 1
expect_error "bad label" 2 "non-negative integer" -- extract --image "$IMG" --mask "$MASK" --label x --settings "$SET" --out "$T/x.csv"
"$RDX" extract --help | grep -q "case_id,image,mask" && ok || bad "extract --help"
"$RDX" --help | grep -q "Exit codes" && ok || bad "rdx --help"

# --- bad inputs, single case: exit 3 and a message that names the file
single() { expect_error "$1" 3 "$2" -- extract --image "$3" --mask "${4:-$MASK}" --settings "${5:-$SET}" --out "$T/x.csv"; }
single "missing image" "nonexistent.nii.gz" "$D/bad/nonexistent.nii.gz"
single "truncated nifti" "truncated.nii.gz" "$D/bad/truncated.nii.gz"
single "corrupt gzip" "corrupt.nii.gz" "$D/bad/corrupt.nii.gz"
single "not nifti" "not_nifti.nii" "$D/bad/not_nifti.nii"
single "complex voxels" "complex.nii" "$D/bad/complex.nii"
single "rgb voxels" "rgb.nii" "$D/bad/rgb.nii"
single "NaN voxel" "nan.nii.gz.*NaN" "$D/bad/nan.nii.gz"
single "Inf voxel" "inf.nrrd.*Inf" "$D/bad/inf.nrrd"
single "truncated nrrd" "truncated.nrrd" "$D/bad/truncated.nrrd"
single "grid mismatch" "mismatch_mask.nii.gz.*spacing" "$IMG" "$D/bad/mismatch_mask.nii.gz"
single "empty mask" "empty_mask.nii.gz: the mask is empty" "$IMG" "$D/bad/empty_mask.nii.gz"
expect_error "label absent" 3 "no voxel with label 7" -- extract --image "$IMG" --mask "$MASK" --label 7 --settings "$SET" --out "$T/x.csv"
printf 'resegmentation:\n  range: [100, 200]\n' >"$T/reseg.yaml"
single "empty after re-segmentation" "empty after re-segmentation" "$IMG" "$MASK" "$T/reseg.yaml"
printf 'discretisation:\n  method: fixed_bin_size\n  bin_width: 0.00001\n' >"$T/bins.yaml"
single "too many bins" "grey levels, more than the limit" "$IMG" "$MASK" "$T/bins.yaml"
printf 'resampling:\n  spacing: [2, 2]\n' >"$T/badset.yaml"
expect_error "bad settings" 3 "badset.yaml" -- extract --image "$IMG" --mask "$MASK" --settings "$T/badset.yaml" --out "$T/x.csv"
expect_error "missing settings" 3 "nosuch.yaml" -- extract --image "$IMG" --mask "$MASK" --settings "$T/nosuch.yaml" --out "$T/x.csv"
expect_error "unwritable output" 4 "nodir/out.csv" -- extract --image "$IMG" --mask "$MASK" --settings "$SET" --out "$T/nodir/out.csv"

# --- manifest with good and bad cases: bad ones recorded as failed, the rest complete
cat >"$T/cases.csv" <<CSV
case_id,image,mask,label
good1,$IMG,$MASK,
truncated,$D/bad/truncated.nii.gz,$MASK,
good2,$IMG,$MASK,1
mismatch,$IMG,$D/bad/mismatch_mask.nii.gz,
nan,$D/bad/nan.nii.gz,$MASK,
CSV
"$RDX" extract --manifest "$T/cases.csv" --settings "$SET" --out "$T/store.h5" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && ok || bad "manifest with failures: exit $rc, want 1"
[ "$(grep -c 'failed:' "$T/err")" -eq 3 ] && ok || bad "three failures on stderr: $(cat "$T/err")"
grep -q "case truncated failed: .*truncated.nii.gz" "$T/err" && ok || bad "failure line names case and file"
check_store() {
  python3 - "$T/store.h5" "$1" <<'PY'
import sys, h5py, math
path, want_rows = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    ids = list(f["case_ids"].asstr()[:]); st = list(f["status"][:]); errs = list(f["error"].asstr()[:])
    tags = list(f["feature_tags"].asstr()[:]); x = f["features"][:]
    assert len(ids) == want_rows, (ids, want_rows)
    assert ids[:5] == ["good1", "truncated", "good2", "mismatch", "nan"], ids
    assert st[:5] == [0, 1, 0, 1, 1], st
    assert "truncated.nii.gz" in errs[1] and "spacing" in errs[3] and "NaN" in errs[4], errs
    m = tags.index("stat_mean")
    assert abs(x[0, m] - 2.15) <= 0.005 and abs(x[2, m] - 2.15) <= 0.005, x[:, m]
    assert all(math.isnan(v) for v in x[1]), "failed row must be NaN"
    assert "settings" in f.attrs and "rdx_version" in f.attrs
PY
}
check_store 5 && ok || bad "store contents after the manifest run"
# resumed run: ok cases are skipped, failed ones retried (and fail again), earlier rows untouched
"$RDX" extract --manifest "$T/cases.csv" --settings "$SET" --out "$T/store.h5" 2>"$T/err"
grep -q "2 skipped" "$T/err" && ok || bad "resume skips the ok cases: $(tail -1 "$T/err")"
check_store 8 && ok || bad "store after the resumed run"
# other settings into the same store: refused, store unchanged
sed 's/glcm_distance: 1/glcm_distance: 2/' "$SET" >"$T/other.yaml"
cmp -s "$SET" "$T/other.yaml" && bad "other.yaml should differ from the phantom settings"
expect_error "settings mismatch" 3 "different settings" -- extract --manifest "$T/cases.csv" --settings "$T/other.yaml" --out "$T/store.h5"
expect_error "feature set mismatch" 3 "feature tag" -- extract --manifest "$T/cases.csv" --settings "$D/settings/ibsi_config_A.yaml" --out "$T/store.h5"
check_store 8 && ok || bad "store unchanged after the refused run"
# manifest problems
printf 'case_id,image\nx,y\n' >"$T/nomask.csv"
expect_error "manifest without mask column" 3 "mask" -- extract --manifest "$T/nomask.csv" --settings "$SET" --out "$T/m.h5"
printf 'case_id,image,mask\na,%s,%s\na,%s,%s\n' "$IMG" "$MASK" "$IMG" "$MASK" >"$T/dup.csv"
expect_error "duplicate case id" 3 "appears twice" -- extract --manifest "$T/dup.csv" --settings "$SET" --out "$T/m.h5"
# relative paths resolve against the manifest's folder
mkdir -p "$T/rel" && cp "$IMG" "$MASK" "$T/rel/" && printf 'case_id,image,mask\nrel,image.nii.gz,mask.nii.gz\n' >"$T/rel/cases.csv"
"$RDX" extract --manifest "$T/rel/cases.csv" --settings "$SET" --out "$T/rel.csv" -q && ok || bad "relative manifest paths"

# --shard K/N: the N contiguous blocks partition the manifest, in order (5 cases in 3 shards: 1, 2, 2)
printf 'case_id,image,mask\n' >"$T/five.csv"
for i in 1 2 3 4 5; do printf 'c%s,%s,%s\n' "$i" "$IMG" "$MASK" >>"$T/five.csv"; done
"$RDX" extract --manifest "$T/five.csv" --settings "$SET" --out "$T/five_all.csv" -q || bad "five-case run"
for k in 0 1 2; do "$RDX" extract --manifest "$T/five.csv" --shard $k/3 --settings "$SET" --out "$T/five_$k.csv" -q || bad "shard $k/3"; done
[ "$(cut -d, -f1 "$T/five_0.csv" | sort -u | tr '\n' ' ')" = "c1 case_id " ] && ok || bad "shard 0/3 holds c1 only"
[ "$(cut -d, -f1 "$T/five_2.csv" | sort -u | tr '\n' ' ')" = "c4 c5 case_id " ] && ok || bad "shard 2/3 holds c4 and c5"
{ cat "$T/five_0.csv"; tail -n +2 "$T/five_1.csv"; tail -n +2 "$T/five_2.csv"; } | cmp -s - "$T/five_all.csv" \
  && ok || bad "shards joined in order differ from the whole run"
# Consecutive rows naming the same image read it once: rows 2 and 4 reuse row 1's image, row 3
# fails on its empty mask without losing it; every case equals its own single-case run.
cat >"$T/shared.csv" <<CSV
case_id,image,mask,label
s1,$IMG,$MASK,
s2,$IMG,$MASK,1
s3,$IMG,$D/bad/empty_mask.nii.gz,
s4,$IMG,$MASK,
CSV
"$RDX" extract --manifest "$T/shared.csv" --settings "$SET" --out "$T/shared_out.csv" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q "case s3 failed: .*empty_mask.nii.gz" "$T/err" && ok || bad "shared image: exit $rc, $(cat "$T/err")"
"$RDX" extract --image "$IMG" --mask "$MASK" --settings "$SET" --case-id s --out "$T/one.csv" -q
same_as_one() { grep "^$1," "$2" | sed "s/^$1,/s,/" | cmp -s - <(tail -n +2 "$T/one.csv"); }
for id in s1 s2 s4; do
  same_as_one $id "$T/shared_out.csv" && ok || bad "case $id on a shared image differs from its single run"
done
# --jobs: cases computed side by side give the same output, in manifest order, as one at a time.
for m in shared five; do
  "$RDX" extract --manifest "$T/$m.csv" --settings "$SET" --out "$T/${m}_j1.csv" --jobs 1 -q 2>/dev/null
  "$RDX" extract --manifest "$T/$m.csv" --settings "$SET" --out "$T/${m}_j3.csv" --jobs 3 --threads 1 -q 2>/dev/null
  cmp -s "$T/${m}_j1.csv" "$T/${m}_j3.csv" && ok || bad "$m manifest: --jobs 3 differs from --jobs 1"
done
# An output that fails while cases are in flight: exit 4, nothing claimed as written.
ln -s /dev/full "$T/devfull.csv"
"$RDX" extract --manifest "$T/five.csv" --settings "$SET" --out "$T/devfull.csv" --jobs 2 2>"$T/err"
rc=$?
[ $rc -eq 4 ] && grep -q "0 ok, 0 failed, 0 skipped (already in the store), 5 not written" "$T/err" && ok \
  || bad "output failure mid-run: exit $rc, $(tail -2 "$T/err")"
expect_error "bad shard" 2 "expects K/N" -- extract --manifest "$T/five.csv" --shard 3/3 --settings "$SET" --out "$T/x.csv"
expect_error "shard without manifest" 2 "needs --manifest" -- extract --image "$IMG" --mask "$MASK" --shard 0/2 --settings "$SET" --out "$T/x.csv"

# IBSI configuration E (tricubic spline, range + 3 sigma outliers, FBN 32, IVH FBN 1000) runs on the
# CT phantom. IBSI publishes no values for E; its grid is config C's (2 mm: 100 x 99 x 90 per the
# IBSI config C diagnostics), re-segmentation keeps intensities within [-1000, 400], FBN 32 gives
# grey levels 1..32 and the IVH's FBN 1000 gives intensities 1..1000.
"$RDX" extract --image "$D/ibsi_ct_phantom/image.nii.gz" --mask "$D/ibsi_ct_phantom/mask.nii.gz" \
  --settings "$D/settings/ibsi_config_E.yaml" --out "$T/e.csv" -q && ok || bad "config E run"
awk -F, 'NR > 1 { v[$2] = $3 } END {
  if (v["img_dim_x_interp_img"] != 100 || v["img_dim_y_interp_img"] != 99 || v["img_dim_z_interp_img"] != 90) exit 1
  if (v["int_mask_max_int_reseg_roi"] > 400 || v["int_mask_min_int_reseg_roi"] < -1000) exit 2
  if (v["ih_min"] < 1 || v["ih_max"] != 32) exit 3
  if (v["ivh_i10"] < 1 || v["ivh_i10"] > 1000 || v["ivh_i90"] > v["ivh_i10"]) exit 4
  if (!(v["cm_joint_max_3D_avg"] > 0) || !(v["morph_volume"] > 0)) exit 5
  for (t in v) if (t ~ /_2D|_2_5D/) exit 6
}' "$T/e.csv" && ok || bad "config E values (awk exit $?)"

# Per-direction GLCM/GLRLM values: 13 tags per feature, whose mean is the 3D averaged value.
sed 's/aggregation: \[2D, 3D\]/aggregation: [3D, 3D_directions]/' "$SET" >"$T/dir.yaml"
"$RDX" extract --image "$IMG" --mask "$MASK" --settings "$T/dir.yaml" --out "$T/dir.csv" -q && ok || bad "3D_directions run"
awk -F, '$2 ~ /^cm_contrast_3D_dir/ { s += $3; n++ } $2 == "cm_contrast_3D_avg" { avg = $3 }
  $2 ~ /_2D_/ { two = 1 } END { d = s / 13 - avg; exit !(n == 13 && d < 1e-9 && d > -1e-9 && !two) }' "$T/dir.csv" \
  && ok || bad "per-direction contrast: 13 values averaging to cm_contrast_3D_avg"

# Morphology alone needs no discretisation (CT intensities are not valid grey levels as they are).
# STS_001: 117,145 mask voxels of 0.977 x 0.977 x 3.27 mm (dataset README): voxel volume ~365,600 mm3.
printf 'families: [morphology]\n' >"$T/morph.yaml"
"$RDX" extract --image "$D/sts/STS_001_image.nii.gz" --mask "$D/sts/STS_001_mask.nii.gz" --settings "$T/morph.yaml" \
  --out "$T/morph.csv" -q && ok || bad "morphology-only run"
awk -F, '$2 == "morph_vol_approx" { exit !($3 > 361900 && $3 < 369300) }' "$T/morph.csv" && ok || bad "morph_vol_approx"

# Two long-form CSVs hold the same tags in the same order and values equal to 1e-9 relative.
same_to_1e9() {
  paste -d, "$1" "$2" | awk -F, 'NR > 1 {
      if ($1 != $4 || $2 != $5) { print "row order " $1 " " $2 " " $4 " " $5; bad = 1; next }
      a = $3 + 0; b = $6 + 0; d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a
      if (($3 == "nan") != ($6 == "nan") || d > 1e-9 * (m > 1e-300 ? m : 1e-300)) { print $2, $3, $6; bad = 1 }
      n++ } END { exit bad || n < 100 }'
}
# --device cuda gives the --device cpu results (to 1e-9 relative): run with the
# emulated kernels (rdx_emu) where there is no GPU.
if [ -n "${RDX_EMU_CLI:-}" ]; then
  for c in "ibsi_digital_phantom/image.nii.gz ibsi_digital_phantom/mask.nii.gz ibsi_digital_phantom.yaml" \
           "sts/STS_002_image.nii.gz sts/STS_002_mask.nii.gz ibsi_config_A.yaml"; do
    set -- $c
    "$RDX" extract --device cpu --image "$D/$1" --mask "$D/$2" --settings "$D/settings/$3" --out "$T/cpu.csv" -q
    "$RDX_EMU_CLI" extract --device cuda --image "$D/$1" --mask "$D/$2" --settings "$D/settings/$3" \
      --out "$T/cuda.csv" 2>"$T/err"
    grep -q "device cuda" "$T/err" && ok || bad "rdx_emu says it ran on cuda: $(cat "$T/err")"
    same_to_1e9 "$T/cpu.csv" "$T/cuda.csv" && ok || bad "cpu vs cuda outputs differ for $1"
  done
  # Two jobs on the (emulated) device, three cases in two image groups: the CPU's results.
  cp "$IMG" "$T/img2.nii.gz"
  printf 'case_id,image,mask\nd1,%s,%s\nd2,%s,%s\nd3,%s,%s\n' "$IMG" "$MASK" "$T/img2.nii.gz" "$MASK" "$IMG" "$MASK" \
    >"$T/groups.csv"
  "$RDX" extract --device cpu --jobs 1 --manifest "$T/groups.csv" --settings "$SET" --out "$T/cpu.csv" -q
  "$RDX_EMU_CLI" extract --device cuda --jobs 2 --manifest "$T/groups.csv" --settings "$SET" --out "$T/cuda.csv" -q
  same_to_1e9 "$T/cpu.csv" "$T/cuda.csv" && ok || bad "--jobs 2 on the device differs from the CPU"
  # A full device (the emulator refusing every allocation): with --device auto the case is
  # computed again on the CPU, said on stderr, and gives the CPU's numbers exactly; with
  # --device cuda the case fails naming the device error.
  SIMT_DEVICE_MEMORY_MB=0 "$RDX_EMU_CLI" extract --image "$IMG" --mask "$MASK" --settings "$SET" \
    --out "$T/full.csv" 2>"$T/err" && ok || bad "auto with a full device: exit $?"
  grep -q "out of memory; computing it on the CPU" "$T/err" && ok || bad "auto fallback not reported: $(cat "$T/err")"
  "$RDX" extract --device cpu --image "$IMG" --mask "$MASK" --settings "$SET" --out "$T/cpu.csv" -q
  cmp -s "$T/full.csv" "$T/cpu.csv" && ok || bad "auto fallback differs from the CPU run"
  # Cases finished together (--pack): the CT phantom, a row with a missing mask, STS_002
  # (another image). With --pack 3 --jobs 1 the first and third share their GLCM launches;
  # the second fails alone. The same numbers as one case at a time and as the CPU.
  CT_I=$D/ibsi_ct_phantom/image.nii.gz; CT_M=$D/ibsi_ct_phantom/mask.nii.gz
  printf 'families: [intensity_histogram, glcm]\ntexture: {aggregation: [2D, 3D]}\ndiscretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}\n' >"$T/ct2.yaml"
  printf 'case_id,image,mask\np1,%s,%s\np2,%s,%s\np3,%s,%s\n' "$CT_I" "$CT_M" "$CT_I" "$T/none.nii.gz" \
    "$D/sts/STS_002_image.nii.gz" "$D/sts/STS_002_mask.nii.gz" >"$T/pack.csv"
  "$RDX" extract --device cpu --manifest "$T/pack.csv" --settings "$T/ct2.yaml" --out "$T/pack_cpu.csv" -q 2>/dev/null
  "$RDX_EMU_CLI" extract --device cuda --pack 1 --manifest "$T/pack.csv" --settings "$T/ct2.yaml" \
    --out "$T/pack_1.csv" -q 2>/dev/null
  "$RDX_EMU_CLI" extract --device cuda --pack 3 --jobs 1 --manifest "$T/pack.csv" --settings "$T/ct2.yaml" \
    --out "$T/pack_3.csv" 2>"$T/err"
  rc=$?
  [ $rc -eq 1 ] && grep -q "p2.*none.nii.gz" "$T/err" && ok || bad "--pack 3 with a bad row: exit $rc, $(cat "$T/err")"
  cmp -s "$T/pack_3.csv" "$T/pack_1.csv" && cmp -s "$T/pack_3.csv" "$T/pack_cpu.csv" && ok \
    || bad "--pack 3 differs from --pack 1 or from the CPU"
  # A device budget (3 MiB) that the pair's shared GLCM launch exceeds but each case alone
  # fits: the cases are counted again one by one on the device, none falls back to the CPU
  # and none fails for the other's error.
  "$RDX_EMU_CLI" extract --device-memory 3 --pack 3 --jobs 1 --manifest "$T/pack.csv" --settings "$T/ct2.yaml" \
    --out "$T/pack_mem.csv" 2>"$T/err"
  ! grep -q "computing it on the CPU" "$T/err" && cmp -s "$T/pack_mem.csv" "$T/pack_cpu.csv" && ok \
    || bad "packed launch over the budget: $(cat "$T/err")"
  # The same for the zone families: at 9 MiB the GLDZM pair's shared labelling does not fit
  # but each case's does; at 7 MiB on one thread (families one after the other) a case's own
  # 2D+3D labelling does not fit but its 2D and 3D labellings one after the other do.
  printf 'families: [glszm, gldzm, ngtdm, ngldm]\ntexture: {aggregation: [2D, 3D]}\ndiscretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}\n' >"$T/zn.yaml"
  "$RDX" extract --device cpu --manifest "$T/pack.csv" --settings "$T/zn.yaml" --out "$T/zn_cpu.csv" -q 2>/dev/null
  for run in "9 3 2" "7 1 1"; do
    set -- $run
    "$RDX_EMU_CLI" extract --device-memory "$1" --pack "$2" --threads "$3" --jobs 1 --manifest "$T/pack.csv" \
      --settings "$T/zn.yaml" --out "$T/zn_mem.csv" 2>"$T/err"
    ! grep -q "computing it on the CPU" "$T/err" && cmp -s "$T/zn_mem.csv" "$T/zn_cpu.csv" && ok \
      || bad "zones with $1 MiB, --pack $2, $3 threads: $(cat "$T/err")"
  done
  # Many failing rows between two pending cases of one image (more than the window of
  # results): the pending cases are finished in time, no deadlock.
  { echo case_id,image,mask; echo "g1,$IMG,$MASK"
    for k in $(seq 1 12); do echo "e$k,$IMG,$D/bad/empty_mask.nii.gz"; done; echo "g2,$IMG,$MASK"; } >"$T/holes.csv"
  timeout 120 "$RDX_EMU_CLI" extract --device cuda --pack 2 --jobs 1 --manifest "$T/holes.csv" --settings "$SET" \
    --out "$T/holes.csv.out.csv" -q 2>"$T/err"
  rc=$?
  [ $rc -eq 1 ] && [ "$(grep -c 'empty' "$T/err")" -eq 12 ] && ok || bad "failing rows between pending cases: exit $rc"
  expect_error "bad pack" 2 "number of cases" -- extract --pack 0 --image "$IMG" --mask "$MASK" --settings "$SET" --out "$T/x.csv"
  # A device-memory budget (--device-memory MiB) too small for the CT phantom's box: --device
  # auto computes the case on the CPU (the CPU's numbers exactly), --device cuda fails; a budget
  # large enough runs on the device.
  printf 'families: [intensity_histogram, glcm]\ntexture: {aggregation: [3D]}\ndiscretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}\n' >"$T/ct.yaml"
  "$RDX" extract --device cpu --image "$CT_I" --mask "$CT_M" --settings "$T/ct.yaml" --out "$T/ct_cpu.csv" -q
  "$RDX_EMU_CLI" extract --device-memory 1 --image "$CT_I" --mask "$CT_M" --settings "$T/ct.yaml" \
    --out "$T/ct_budget.csv" 2>"$T/err" && grep -q "out of memory; computing it on the CPU" "$T/err" \
    && cmp -s "$T/ct_budget.csv" "$T/ct_cpu.csv" && ok || bad "1 MiB budget under auto: $(cat "$T/err")"
  "$RDX_EMU_CLI" extract --device cuda --device-memory 1 --image "$CT_I" --mask "$CT_M" --settings "$T/ct.yaml" \
    --out "$T/ct_budget.csv" 2>"$T/err"
  rc=$?
  [ $rc -eq 3 ] && grep -q "out of memory" "$T/err" && ok || bad "1 MiB budget with --device cuda: exit $rc"
  "$RDX_EMU_CLI" extract --device cuda --device-memory 256 --image "$CT_I" --mask "$CT_M" --settings "$T/ct.yaml" \
    --out "$T/ct_budget.csv" 2>"$T/err" && ! grep -q "computing it on the CPU" "$T/err" && ok \
    || bad "256 MiB budget: $(cat "$T/err")"
  expect_error "bad budget" 2 "size in MiB" -- extract --device-memory 0 --image "$IMG" --mask "$MASK" --settings "$SET" --out "$T/x.csv"
  # The same with two cases sharing their image: both fall back, the image kept for the second.
  printf 'case_id,image,mask\nf1,%s,%s\nf2,%s,%s\n' "$IMG" "$MASK" "$IMG" "$MASK" >"$T/full2.csv"
  SIMT_DEVICE_MEMORY_MB=0 "$RDX_EMU_CLI" extract --manifest "$T/full2.csv" --settings "$SET" --out "$T/full2_out.csv" \
    2>"$T/err" && ok || bad "auto with a full device, shared image: exit $?"
  [ "$(grep -c 'computing it on the CPU' "$T/err")" -eq 2 ] && ok || bad "two fallbacks expected: $(cat "$T/err")"
  for id in f1 f2; do same_as_one $id "$T/full2_out.csv" && ok || bad "fallback case $id differs from the CPU run"; done
  SIMT_DEVICE_MEMORY_MB=0 "$RDX_EMU_CLI" extract --device cuda --image "$IMG" --mask "$MASK" --settings "$SET" \
    --out "$T/full.csv" 2>"$T/err"
  rc=$?
  [ $rc -eq 3 ] && grep -q "CUDA.*out of memory" "$T/err" && ok || bad "cuda with a full device: exit $rc, $(cat "$T/err")"
fi

echo "cli_extract: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
