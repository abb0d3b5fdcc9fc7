# Sourced by the end-to-end tests tests/cli_*.sh: the rdx command under test,
# a temporary folder $T removed at exit, pass/fail counters and expect_error.
RDX=${RDX_CLI:-build/rdx}
SRC=${RDX_SOURCE_DIR:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_error NAME EXIT PATTERN -- rdx args...: exit code and a stderr line naming the problem.
expect_error() {
  local name=$1 code=$2 pattern=$3; shift 4
  "$RDX" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$name: exit $rc, want $code ($(head -c 300 "$T/err"))"; return; fi
  if grep -q -- "$pattern" "$T/err"; then ok; else bad "$name: stderr lacks '$pattern': $(cat "$T/err")"; fi
}
