#!/usr/bin/env bash
# rdx roc end to end on aSAH (datasets/roc): JSON fields against pROC's values
# (datasets/roc/README.md), bootstrap reproducibility across runs and thread
# counts, every kind of bad input (exit code and a message naming the problem),
# and feature screening of an HDF5 store written with h5py.
set -u
source "$(dirname "$0")/lib_cli.sh"
CSV=$SRC/datasets/roc/aSAH.csv

# check NAME PYTHON-EXPRESSION: evaluated with d = the JSON document of $T/r.json.
check() {
  if python3 -c "
import json, math, sys
d = json.load(open('$T/r.json'))
rel = lambda a, b, t=1e-9: abs(a - b) <= t * abs(b)
sys.exit(0 if ($2) else 1)
" 2>"$T/pyerr"; then ok; else bad "$1: $(cat "$T/pyerr")"; fi
}

ROC=(roc --csv "$CSV" --truth outcome --positive Poor --score s100b --score ndka --score wfns)

# --- aSAH, three scores, bootstrap
"$RDX" "${ROC[@]}" --bootstrap 500 --seed 7 --prevalence 0.1 --threshold 0.3 --json "$T/r.json" >"$T/table"
[ $? -eq 0 ] && ok || bad "aSAH run exit"
grep -q '^s100b  *0.7314  \[0.6301, 0.8326\]' "$T/table" && ok || bad "stdout table: $(cat "$T/table")"
check "AUC s100b" "rel(d['scores']['s100b']['auc'], 0.7313685636856369)"
check "AUC wfns" "rel(d['scores']['wfns']['auc'], 0.82367886178861793)"
check "DeLong variance ndka" "rel(d['scores']['ndka']['delong']['variance'], 0.0031908105493913)"
check "DeLong CI ndka" "rel(d['scores']['ndka']['delong']['ci'][0], 0.501244999271703) and rel(d['scores']['ndka']['delong']['ci'][1], 0.722670989888189)"
check "paired wfns vs s100b" "[c for c in d['comparisons'] if {c['a'], c['b']} == {'s100b', 'wfns'} and rel(abs(c['delong']['z']), 2.20898359144091) and rel(c['delong']['p'], 0.0271757822291882, 1e-6)]"
check "covariance ndka,s100b" "rel(d['delong_covariance']['matrix'][0][1], -0.000756164938056579)"
check "Youden s100b" "rel(d['scores']['s100b']['thresholds']['youden']['threshold'], 0.205, 1e-12) and d['scores']['s100b']['thresholds']['youden']['table'] == {'tp': 26, 'fn': 15, 'fp': 14, 'tn': 58}"
check "Youden PPV" "rel(d['scores']['s100b']['thresholds']['youden']['metrics']['ppv']['value'], 0.65)"
check "interval methods" "set(d['scores']['s100b']['thresholds']['youden']['metrics']['npv']['ci']) == {'wald', 'wilson', 'clopper_pearson', 'bootstrap_percentile', 'bootstrap_bca'}"
check "fixed threshold" "d['scores']['s100b']['thresholds']['fixed']['threshold'] == 0.3"
check "prevalence" "d['scores']['s100b']['thresholds']['youden']['at_prevalence']['prevalence'] == 0.1"
check "bootstrap AUC CI" "d['scores']['s100b']['bootstrap']['percentile'][0] < 0.7314 < d['scores']['s100b']['bootstrap']['percentile'][1]"
check "settings" "d['settings']['bootstrap'] and d['settings']['bootstrap']['seed'] == 7 and d['settings']['bootstrap']['stratified'] and d['settings']['direction'] == 'higher'"
check "ROC curve ends" "d['scores']['s100b']['roc']['threshold'][0] is None and d['scores']['s100b']['roc']['sensitivity'][0] == 1"

# --- the same seed: identical output on every run and thread count
"$RDX" "${ROC[@]}" --bootstrap 500 --seed 7 --prevalence 0.1 --threshold 0.3 --threads 1 --json "$T/r1.json" >/dev/null
cmp -s "$T/r.json" "$T/r1.json" && ok || bad "1 thread differs from the default"
"$RDX" "${ROC[@]}" --bootstrap 500 --seed 7 --prevalence 0.1 --threshold 0.3 --threads 3 --json "$T/r3.json" >/dev/null
cmp -s "$T/r.json" "$T/r3.json" && ok || bad "3 threads differ"
"$RDX" "${ROC[@]}" --bootstrap 500 --seed 8 --prevalence 0.1 --threshold 0.3 --json "$T/r8.json" >/dev/null
cmp -s "$T/r.json" "$T/r8.json" && bad "seed 8 gives the same output" || ok

# --- direction is never flipped
"$RDX" roc --csv "$CSV" --truth outcome --positive Poor --score s100b --direction lower --json "$T/r.json" >/dev/null
check "direction lower" "rel(d['scores']['s100b']['auc'], 1 - 0.7313685636856369) and d['settings']['direction'] == 'lower'"

# --- usage errors
expect_error "unknown option" 2 "unknown option --bogus" -- roc --bogus 1
expect_error "no score" 2 "--score is required" -- roc --csv "$CSV" --truth outcome --positive Poor
expect_error "bad conf" 2 "conf-level" -- "${ROC[@]}" --conf-level 1.5
expect_error "bad bootstrap" 2 "--bootstrap" -- "${ROC[@]}" --bootstrap x

# --- bad inputs: exit 3, message naming file, line and column
expect_error "missing file" 3 "nonexistent.csv" -- roc --csv "$T/nonexistent.csv" --truth outcome --positive Poor --score s100b
expect_error "missing column" 3 "no column 'nope'" -- roc --csv "$CSV" --truth outcome --positive Poor --score nope
expect_error "missing truth column" 3 "no column 'outc'" -- roc --csv "$CSV" --truth outc --positive Poor --score s100b
expect_error "non-numeric score" 3 "line 2, column 'gender': 'Female' is not a number" -- roc --csv "$CSV" --truth outcome --positive Poor --score gender
sed '5s/,Good,/,Unknown,/' "$CSV" >"$T/third.csv"
expect_error "third truth value" 3 "line 5, column 'outcome': a third outcome value 'Unknown'" -- roc --csv "$T/third.csv" --truth outcome --positive Poor --score s100b
expect_error "value not named" 3 "'Unknown' is neither 'Poor' nor 'Good'" -- roc --csv "$T/third.csv" --truth outcome --positive Poor --negative Good --score s100b
grep -v ',Poor,' "$CSV" >"$T/onlygood.csv"
expect_error "no positive studies" 3 "no studies with outcome = 'Poor'" -- roc --csv "$T/onlygood.csv" --truth outcome --positive Poor --negative Good --score s100b
expect_error "one class" 3 "no studies with outcome = 'Poor'" -- roc --csv "$T/onlygood.csv" --truth outcome --positive Poor --score s100b
expect_error "positive value absent" 3 "a third outcome value 'Poor' (positive 'Bad', negative 'Good'" -- roc --csv "$CSV" --truth outcome --positive Bad --score s100b
sed '7s/,0\.\([0-9]*\),\([0-9.]*\)$/,NA,\2/' "$CSV" >"$T/nan.csv"
expect_error "NaN score" 3 "line 7, column 's100b': missing score (use --drop-nan" -- roc --csv "$T/nan.csv" --truth outcome --positive Poor --score s100b
"$RDX" roc --csv "$T/nan.csv" --truth outcome --positive Poor --score s100b --drop-nan --json "$T/r.json" >"$T/table"
[ $? -eq 0 ] && ok || bad "--drop-nan exit"
check "dropped count" "d['input']['dropped_nan'] == 1 and d['input']['used'] == 112"
grep -q "1 rows with a missing score dropped" "$T/table" && ok || bad "stdout names the dropped rows"
expect_error "unwritable JSON" 4 "cannot write" -- "${ROC[@]}" --json "$T/no/such/dir/r.json"

# --- screening: a store written with h5py (layout of include/rdx/store.h)
python3 - "$CSV" "$T/f.h5" "$T/outcomes.csv" <<'EOF'
import csv, sys
import h5py, numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))
ids = ["case%03d" % i for i in range(len(rows))]
x = np.array([[float(r["s100b"]), float(r["ndka"]), float(r["wfns"]), float(r["age"])] for r in rows])
status = np.zeros(len(rows), dtype=np.int8)
x[3, :] = np.nan; status[3] = 1  # a failed case
s = h5py.string_dtype("utf-8")
with h5py.File(sys.argv[2], "w") as f:
    f["features"] = x
    f["feature_tags"] = np.array(["s100b", "ndka", "wfns", "age"], dtype=s)
    f["case_ids"] = np.array(ids, dtype=s)
    f["status"] = status
    f["error"] = np.array(["" if i != 3 else "boom" for i in range(len(rows))], dtype=s)
    f.attrs["format_version"] = 1
with open(sys.argv[3], "w") as o:
    o.write("case_id,outcome\n")
    for i, r in enumerate(rows):
        if i != 10:  # one case without an outcome
            o.write("%s,%s\n" % (ids[i], r["outcome"]))
EOF
"$RDX" roc --store "$T/f.h5" --outcomes "$T/outcomes.csv" --truth outcome --positive Poor --bootstrap 200 --json "$T/r.json" >"$T/table"
[ $? -eq 0 ] && ok || bad "screening exit: $(cat "$T/table")"
check "screening order" "[f['tag'] for f in d['features']][:2] == ['wfns', 's100b'] and [f['p'] for f in d['features']] == sorted(f['p'] for f in d['features'])"
check "screening counts" "d['input']['cases'] == 111 and d['input']['cases_failed'] == 1 and d['input']['cases_without_outcome'] == 1"
check "screening q" "all(f['q'] >= f['p'] for f in d['features']) and d['features'][-1]['q'] == max(f['q'] for f in d['features'])"
check "screening bootstrap" "all(len(f['bootstrap_percentile']) == 2 for f in d['features'])"
expect_error "store missing" 3 "cannot open" -- roc --store "$T/none.h5" --outcomes "$T/outcomes.csv" --truth outcome --positive Poor
expect_error "store with --score" 2 "does not combine" -- roc --store "$T/f.h5" --outcomes "$T/outcomes.csv" --truth outcome --positive Poor --csv "$CSV" --score s100b

# --- devices: --device is recorded; the emulated CUDA kernels (rdx_emu) give the CPU's JSON
expect_error "bad device" 2 "unknown device 'gpu'" -- "${ROC[@]}" --device gpu
"$RDX" "${ROC[@]}" --device cpu --json "$T/r.json" >/dev/null 2>"$T/err"
grep -q "^rdx roc: device cpu" "$T/err" && ok || bad "stderr names the device: $(cat "$T/err")"
check "device in settings" "d['settings']['device'] == 'cpu'"
# same_json A B: equal documents once settings.device is removed; A ran on cuda, B on the CPU.
same_json() {
  if python3 -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
da, db = a['settings'].pop('device'), b['settings'].pop('device')
sys.exit(0 if da.startswith('cuda') and db.startswith('cpu') and a == b else 1)
" "$1" "$2" 2>"$T/pyerr"; then ok; else bad "$3: JSON differs: $(cat "$T/pyerr")"; fi
}
if [ -n "${RDX_EMU_CLI:-}" ]; then
  "$RDX_EMU_CLI" "${ROC[@]}" --bootstrap 200 --seed 7 --prevalence 0.1 --threshold 0.3 --device cuda \
    --json "$T/emu.json" >/dev/null 2>"$T/err" && ok || bad "rdx_emu --device cuda: $(cat "$T/err")"
  grep -q "^rdx roc: device cuda" "$T/err" && ok || bad "rdx_emu names the device: $(cat "$T/err")"
  "$RDX" "${ROC[@]}" --bootstrap 200 --seed 7 --prevalence 0.1 --threshold 0.3 --device cpu \
    --json "$T/cpu.json" >/dev/null 2>&1
  same_json "$T/emu.json" "$T/cpu.json" "aSAH, emulated CUDA vs CPU"
  "$RDX_EMU_CLI" "${ROC[@]}" --bootstrap 64 --seed 3 --bootstrap-plain --direction lower --device cuda \
    --json "$T/emu.json" >/dev/null 2>&1
  "$RDX" "${ROC[@]}" --bootstrap 64 --seed 3 --bootstrap-plain --direction lower --device cpu \
    --json "$T/cpu.json" >/dev/null 2>&1
  same_json "$T/emu.json" "$T/cpu.json" "aSAH plain bootstrap, lower, emulated CUDA vs CPU"
  SCREEN=(roc --store "$T/f.h5" --outcomes "$T/outcomes.csv" --truth outcome --positive Poor --bootstrap 100)
  "$RDX_EMU_CLI" "${SCREEN[@]}" --device cuda --json "$T/emu.json" >/dev/null 2>&1
  "$RDX" "${SCREEN[@]}" --device cpu --json "$T/cpu.json" >/dev/null 2>&1
  same_json "$T/emu.json" "$T/cpu.json" "screening, emulated CUDA vs CPU"
  # A full device (every allocation refused): auto reruns on the CPU, says so on stderr and in
  # the JSON's device, with the CPU's numbers; cuda fails naming the device error.
  full_device() {
    local name=$1; shift
    SIMT_DEVICE_MEMORY_MB=0 "$RDX_EMU_CLI" "$@" --json "$T/emu.json" >/dev/null 2>"$T/err" \
      && grep -q "out of memory; computing on the CPU" "$T/err" && ok || bad "$name, auto fallback: $(cat "$T/err")"
    "$RDX" "$@" --device cpu --json "$T/cpu.json" >/dev/null 2>&1
    python3 -c "
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
da, db = a['settings'].pop('device'), b['settings'].pop('device')
sys.exit(0 if 'after a CUDA device failure' in da and a == b else 1)
" "$T/emu.json" "$T/cpu.json" && ok || bad "$name: fallback JSON differs from the CPU's"
    SIMT_DEVICE_MEMORY_MB=0 "$RDX_EMU_CLI" "$@" --device cuda >/dev/null 2>"$T/err"
    local rc=$?
    [ $rc -eq 3 ] && grep -q "out of memory" "$T/err" && ok || bad "$name, cuda with a full device: exit $rc"
  }
  full_device "aSAH" "${ROC[@]}" --bootstrap 200 --seed 7
  full_device "screening" "${SCREEN[@]}"
fi

echo "cli_roc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
