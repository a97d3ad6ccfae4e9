# The assertions of the project's shell tests.
#
#   source tests/shell/check.sh
#   check "what is checked" EXPECTED ACTUAL
#   ...
#   check_done    # "N passed, M failed"; exits 1 if any failed

check_passes=0
check_failures=0

check() {  # description, expected, actual
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
    check_passes=$((check_passes + 1))
  else
    echo "FAILED: $1: expected [$2], got [$3]"
    check_failures=$((check_failures + 1))
  fi
}

check_done() {
  echo "$check_passes passed, $check_failures failed"
  exit $((check_failures > 0))
}
