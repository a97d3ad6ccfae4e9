# shellcheck shell=bash
# Sourced by the qtest benchmarks (many_items_bench.sh, dma_bench.sh): one
# child process at a time, our vmm or QEMU in qtest mode, driven over a pair
# of FIFOs, with a deadline on every reply and on its exit.
#
# The sourcing script defines die() and sets REPLY_TIMEOUT_S and
# EXIT_TIMEOUT_S.
#   child_workdir NAME        makes T (see below) and the FIFOs in it
#   bench_args RUNS WHAT "$@" the command line VMM [--runs R] [WHAT...]; sets
#                             VMM, RUNS (default RUNS) and ARGS (the WHATs)
#   child_start CMD...        starts CMD; sets CHILD_PID, TO (its stdin), FROM
#   qtest LABEL COMMAND       one command; sets REPLY to the reply line
#   child_stop LABEL [TERM]   closes its input (and sends SIGTERM: QEMU keeps
#                             running at the end of its input), waits; it
#                             must exit 0
#   now_us                    sets NOW to microseconds since the epoch,
#                             without a fork (a $(...) inside a timed
#                             interval would add milliseconds)

CHILD_PID=

# child_workdir NAME: T, a new directory under $TMPDIR (default /tmp) that
# holds the FIFOs and goes, with any child still running, when the script
# exits. Its path must need no quoting in either program's item syntax.
child_workdir() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'child_kill; rm -rf "$T"' EXIT
  mkfifo "$T/to.fifo" "$T/from.fifo"
  [[ "$T" =~ ^[A-Za-z0-9/._+~-]+$ ]] ||
    die "the temporary directory $T has characters the item options would need quoted; set TMPDIR"
}

bench_args() {
  local default_runs=$1 what=$2
  shift 2
  [[ $# -ge 1 ]] || die "usage: $0 VMM [--runs R] [$what...]"
  VMM=$(realpath "$1")
  shift
  [[ -x "$VMM" ]] || die "$VMM is not an executable"
  RUNS=$default_runs
  if [[ "${1:-}" == --runs ]]; then
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive number"
    RUNS=$2
    shift 2
  fi
  ARGS=("$@")
}

# Kills a child still running (child_workdir's EXIT trap).
child_kill() {
  if [[ -n "$CHILD_PID" ]]; then kill -KILL "$CHILD_PID" 2>/dev/null || true; fi
}

now_us() {
  local t=$EPOCHREALTIME
  NOW=$((10#${t%.*} * 1000000 + 10#${t#*.}))
}

child_start() {
  (
    trap - PIPE
    exec "$@"
  ) <"$T/to.fifo" >"$T/from.fifo" 2>"$T/stderr" &
  CHILD_PID=$!
  exec {TO}>"$T/to.fifo" {FROM}<"$T/from.fifo"
}

# What the child printed on stderr, for error messages.
child_stderr() {
  [[ -s "$T/stderr" ]] && printf ' (stderr: %s)' "$(tail -c 2000 "$T/stderr" | tr '\n' ' ')"
  return 0
}

qtest() {
  { printf '%s\n' "$2" >&"$TO"; } 2>/dev/null ||
    die "$1: cannot send '$2': the process has gone$(child_stderr)"
  IFS= read -r -t "$REPLY_TIMEOUT_S" REPLY <&"$FROM" ||
    die "$1: no reply to '$2' within ${REPLY_TIMEOUT_S}s$(child_stderr)"
}

child_stop() {
  local label=$1 signal=${2:-} deadline code=0
  exec {TO}>&-
  if [[ -n "$signal" ]]; then kill "-$signal" "$CHILD_PID" 2>/dev/null || true; fi
  now_us
  deadline=$((NOW + EXIT_TIMEOUT_S * 1000000))
  while kill -0 "$CHILD_PID" 2>/dev/null && now_us && ((NOW < deadline)); do sleep 0.01; done
  if kill -0 "$CHILD_PID" 2>/dev/null; then
    kill -KILL "$CHILD_PID" 2>/dev/null || true
    die "$label: still running ${EXIT_TIMEOUT_S}s after its end was asked for; killed"
  fi
  wait "$CHILD_PID" || code=$?
  exec {FROM}<&-
  CHILD_PID=
  ((code == 0)) || die "$label: exited with status $code$(child_stderr)"
}
