#!/usr/bin/env bash
# rdx merge end to end: the demo cohort extracted as two shards and merged
# equals the cohort extracted in one run (case ids and their order, statuses,
# settings, feature values bit for bit); merging again adds nothing; failed
# cases are copied as failed; stores that differ, missing files and usage
# errors are refused with the output left unchanged.
set -u
source "$(dirname "$0")/lib_cli.sh"
D=$(cd "$SRC/datasets" && pwd) # absolute: the manifests live in a temporary folder

# Quick settings: three families, fixed bin size 25.
printf 'families: [intensity_statistics, intensity_histogram, glcm]\ndiscretisation: {method: fixed_bin_size, bin_width: 25}\n' \
  >"$T/fast.yaml"
sed 's/bin_width: 25/bin_width: 10/' "$T/fast.yaml" >"$T/other.yaml"

# The demo manifest (3 cases) with absolute paths, split by hand: the first case; the last two.
awk -F, -v d="$D" 'NR == 1 { print; next } { print $1 "," d "/" $2 "," d "/" $3 }' "$D/demo_manifest.csv" >"$T/all.csv"
head -n 2 "$T/all.csv" >"$T/part0.csv"
{ head -n 1 "$T/all.csv"; tail -n 2 "$T/all.csv"; } >"$T/part1.csv"
[ "$(wc -l <"$T/all.csv")" -eq 4 ] && ok || bad "demo manifest has 3 cases"

extract() { "$RDX" extract --manifest "$1" --settings "$2" --out "$3" -q; }
extract "$T/all.csv" "$T/fast.yaml" "$T/one.h5" && ok || bad "extract in one run"
extract "$T/part0.csv" "$T/fast.yaml" "$T/p0.h5" && ok || bad "extract shard 0"
extract "$T/part1.csv" "$T/fast.yaml" "$T/p1.h5" && ok || bad "extract shard 1"

# same_store A B: equal ids, statuses, errors, tags, settings and bit-identical values.
same_store() {
  python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    ids = list(a["case_ids"].asstr()[:])
    assert ids == ["ibsi_ct_phantom", "STS_001", "STS_002"], ids
    assert ids == list(b["case_ids"].asstr()[:]), (ids, list(b["case_ids"].asstr()[:]))
    assert list(a["status"][:]) == [0, 0, 0] == list(b["status"][:])
    assert list(a["error"].asstr()[:]) == [""] * 3 == list(b["error"].asstr()[:])
    assert list(a["feature_tags"].asstr()[:]) == list(b["feature_tags"].asstr()[:])
    x, y = a["features"][:], b["features"][:]
    assert x.shape == y.shape and x.shape[0] == 3 and x.shape[1] > 100, (x.shape, y.shape)
    assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), "feature values differ"
    for k in ("settings", "rdx_version", "format_version"):
        assert a.attrs[k] == b.attrs[k], k
PY
}

# --- two shards merged = one run
"$RDX" merge --out "$T/merged.h5" "$T/p0.h5" "$T/p1.h5" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok || bad "merge exit $rc: $(cat "$T/err")"
grep -q "2 inputs: 3 rows, 3 appended (0 failed cases), 0 skipped" "$T/err" && ok || bad "merge summary: $(cat "$T/err")"
same_store "$T/merged.h5" "$T/one.h5" && ok || bad "merged store differs from the one-run store"

# --- merging again adds nothing
"$RDX" merge --out "$T/merged.h5" "$T/p0.h5" "$T/p1.h5" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok || bad "second merge exit $rc"
grep -q "3 rows, 0 appended (0 failed cases), 3 skipped" "$T/err" && ok || bad "second merge skips all: $(cat "$T/err")"
same_store "$T/merged.h5" "$T/one.h5" && ok || bad "store after the second merge"

# --- refused inputs: exit 3 naming the file, OUT unchanged (and not created when new)
cp "$T/merged.h5" "$T/before.h5"
extract "$T/part0.csv" "$T/other.yaml" "$T/other.h5" && ok || bad "extract with other settings"
expect_error "other settings" 3 "other.h5: store was written with different settings.*bin_width: 10.*bin_width: 25' in .*p0.h5" \
  -- merge --out "$T/merged.h5" "$T/p0.h5" "$T/other.h5"
cmp -s "$T/merged.h5" "$T/before.h5" && ok || bad "refused merge changed the store"
expect_error "other settings than OUT" 3 "merged.h5: store was written with different settings" \
  -- merge --out "$T/merged.h5" "$T/other.h5"
cmp -s "$T/merged.h5" "$T/before.h5" && ok || bad "merge refused by OUT changed the store"
expect_error "other settings, new OUT" 3 "different settings" -- merge --out "$T/new.h5" "$T/p0.h5" "$T/other.h5"
[ ! -e "$T/new.h5" ] && ok || bad "refused merge created its output"
printf 'families: [intensity_statistics]\n' >"$T/stats.yaml"
extract "$T/part1.csv" "$T/stats.yaml" "$T/stats.h5" && ok || bad "extract with fewer families"
expect_error "other features" 3 "stats.h5: store has [0-9]* feature tags" -- merge --out "$T/merged.h5" "$T/p0.h5" "$T/stats.h5"
expect_error "missing input" 3 "nosuch.h5" -- merge --out "$T/merged.h5" "$T/p0.h5" "$T/nosuch.h5"
echo "case_id,value" >"$T/text.h5"
expect_error "not a store" 3 "text.h5: not an rdx feature store" -- merge --out "$T/merged.h5" "$T/text.h5"
cmp -s "$T/merged.h5" "$T/before.h5" && ok || bad "refused merges changed the store"

# --- usage
expect_error "no args" 2 "give --out" -- merge
expect_error "no inputs" 2 "give --out" -- merge --out "$T/x.h5"
expect_error "unknown option" 2 "unknown option '--bogus'" -- merge --bogus --out "$T/x.h5" "$T/p0.h5"
expect_error "output as input" 2 "merged.h5 is the output file" -- merge --out "$T/merged.h5" "$T/p0.h5" "$T/merged.h5"
expect_error "unwritable output" 4 "nodir/x.h5" -- merge --out "$T/nodir/x.h5" "$T/p0.h5"
"$RDX" merge --help | grep -q "rdx merge --out cohort.h5 part_0.h5" && ok || bad "merge --help"
"$RDX" --help | grep -q "^  merge " && ok || bad "rdx --help lists merge"

# --- a failed case is copied as failed, with its error text and NaN values
printf 'case_id,image,mask\nbroken,%s,%s\n' "$D/bad/truncated.nii.gz" "$D/ibsi_ct_phantom/mask.nii.gz" >"$T/part2.csv"
extract "$T/part2.csv" "$T/fast.yaml" "$T/p2.h5" 2>/dev/null
[ $? -eq 1 ] && ok || bad "shard with a failing case exits 1"
"$RDX" merge --out "$T/withfail.h5" "$T/p0.h5" "$T/p2.h5" "$T/p1.h5" 2>"$T/err" && ok || bad "merge with a failed row"
grep -q "4 rows, 4 appended (1 failed cases), 0 skipped" "$T/err" && ok || bad "summary counts the failed row: $(cat "$T/err")"
python3 - "$T/withfail.h5" <<'PY' && ok || bad "failed row copied as failed"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    assert list(f["case_ids"].asstr()[:]) == ["ibsi_ct_phantom", "broken", "STS_001", "STS_002"]
    assert list(f["status"][:]) == [0, 1, 0, 0], list(f["status"][:])
    errs = list(f["error"].asstr()[:])
    assert "truncated.nii.gz" in errs[1] and errs[0] == errs[2] == errs[3] == "", errs
    x = f["features"][:]
    assert np.isnan(x[1]).all() and not np.isnan(x[0]).all()
PY

echo "cli_merge: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
