# The nested-KVM harness: runs a script where /dev/kvm works, on any host.
#
#   source tests/nested/harness.sh
#   nested_run OUT_DIR SCRIPT [SECONDS]      # on the host
#
# SCRIPT is a bash script that needs KVM: it runs guests ("L2") with our vmm
# or with qemu-system-x86_64 -accel kvm. Where the script runs ("L1") is
# chosen per host (FWCFG_NESTED=direct|nested overrides):
#
#   direct  the host's KVM is hardware-assisted (kvm_intel, kvm_amd): the
#           script runs on the host itself;
#   nested  no usable /dev/kvm, or kvm_pvm (whose instruction emulator cannot
#           run an unmodified Linux): the script runs inside a Linux guest
#           booted under QEMU's TCG with AMD SVM emulated, where KVM works.
#           That guest (tools/test_guest/l1_init, built by
#           tools/test_guest/build.sh) sees the host's root directory
#           read-only and OUT_DIR read-write, at the same paths, so SCRIPT
#           uses host paths throughout.
#
# SCRIPT runs with NESTED_OUT=OUT_DIR and NESTED_MODE=direct|nested, writes
# its results into OUT_DIR, and may source this file for the helpers below
# (nested_stage, nested_boot). The harness owns every deadline: SCRIPT
# announces each stage with its time limit, the host watches the console and,
# when a stage overruns, prints which stage hung, the last lines of the L1
# console and of every L2 console, and (nested) each L1 vCPU's registers,
# then kills L1. Nothing in it can hang the caller.
#
# nested_run returns SCRIPT's exit status, or
#   124  a stage or the whole run overran its deadline (after the report).
#        When L1's own kernel wedged (every L1 vCPU spinning in the kernel
#        with interrupts off: L1's KVM or TCG's SVM emulation, not a process
#        in L1) the whole run is retried once first, saying so
#        (FWCFG_NESTED_RETRY_WEDGED=0 turns that off)
#   125  the harness failed (L1 did not boot, QEMU missing, ...)
#   77   skip: QEMU's TCG gives no SVM here (the L1 dmesg line says why)
#
# Its own files go to OUT_DIR/nested/: l1.console (the script's output and,
# nested, L1's kernel messages), qemu.stderr, monitor.log.
#
# Knobs: FWCFG_NESTED_CPUS (2), FWCFG_NESTED_MEMORY (2G),
# FWCFG_NESTED_BOOT_SECONDS (180: L1's boot deadline), FWCFG_NESTED_APPEND
# (more L1 kernel parameters, e.g. "loglevel=7" to see L1's warnings whole),
# FWCFG_NESTED_KEEPALIVE=0 (no idle VM held in L1: see kvm_keepalive.cc),
# FWCFG_NESTED_TCG_THREAD=single (QEMU's single-threaded TCG: about ten
# times slower), FWCFG_NESTED_SLACK (30: seconds added to each stage's).

NESTED_HARNESS=$(realpath "${BASH_SOURCE[0]}")
# shellcheck source=tests/nested/kvm_host.sh
source "$(dirname "$NESTED_HARNESS")/kvm_host.sh"
# //tests/nested:kvm_keepalive: beside this file in Bazel's runfiles, in the
# runfiles of the test or binary sourcing it, or built in the source tree.
NESTED_KEEPALIVE=
if [[ "${FWCFG_NESTED_KEEPALIVE:-1}" == 1 ]]; then
  for _candidate in "$(dirname "${BASH_SOURCE[0]}")/kvm_keepalive" \
      "${TEST_SRCDIR:-/nonexistent}/fwcfg_vmm/tests/nested/kvm_keepalive" \
      "${RUNFILES_DIR:-/nonexistent}/fwcfg_vmm/tests/nested/kvm_keepalive" \
      "$PWD/tests/nested/kvm_keepalive" \
      "$(dirname "$NESTED_HARNESS")/../../bazel-bin/tests/nested/kvm_keepalive"; do
    if [[ -x "$_candidate" && -f "$_candidate" ]]; then
      NESTED_KEEPALIVE=$(realpath "$_candidate")
      break
    fi
  done
fi

# ---- host side ------------------------------------------------------------

# Where the test guest and the L1 image are built and cached (with the
# Debian packages they come from). Bazel runs tests with an empty HOME, so
# fall back to the account's home directory.
nested_cache_dir() {
  local home=${HOME:-}
  [[ -n "$home" ]] || home=$(getent passwd "$(id -u)" | cut -d: -f6)
  echo "${FWCFG_CACHE_DIR:-$home/.cache/fwcfg-vmm}"
}

# nested_guest_dir BUILD_SH: builds (or finds up to date) the test guest and
# the L1 image; prints the directory. FWCFG_TEST_GUEST_DIR names a prebuilt
# one instead.
nested_guest_dir() {
  if [[ -n "${FWCFG_TEST_GUEST_DIR:-}" ]]; then
    echo "$FWCFG_TEST_GUEST_DIR"
    return 0
  fi
  local dir
  dir="$(nested_cache_dir)/test-guest"
  bash "$1" "$dir" >&2 || return 1
  echo "$dir"
}

# nested_use_guest BUILD_SH: nested_guest_dir, exported as NESTED_GUEST_DIR
# (which nested_run needs in nested mode, and scripts use for the guest's
# files). Fails, saying so, when the build fails.
nested_use_guest() {
  NESTED_GUEST_DIR=$(nested_guest_dir "$1") || {
    _nested_log "FAIL: building the test guest and the L1 image ($1)"
    return 1
  }
  export NESTED_GUEST_DIR
}

# nested_any_kvm BUILD_SH: for tests whose guests need no more than kvm_pvm
# gives (no unmodified Linux): direct on any usable /dev/kvm, otherwise
# nested_use_guest.
nested_any_kvm() {
  if kvm_device_usable; then
    export FWCFG_NESTED=direct
  else
    nested_use_guest "$1"
  fi
}

# nested_exit_if_skipped STATUS: with nested_run's status 77 (no KVM here,
# and TCG gives no SVM to nest one), says so and ends the test as passed.
nested_exit_if_skipped() {
  if [[ "$1" -eq 77 ]]; then
    echo "SKIPPED: no KVM here, and QEMU's TCG gives no SVM to nest one"
    exit 0
  fi
}

# For a test's checks after its run:
#   nested_test_run OUT_DIR SCRIPT SECONDS   nested_run; ends the test as
#       skipped where no KVM can be had; prints the mode; counts a harness
#       failure as the first failed check
#   fail MESSAGE                              prints it, counts it in `fails`
#   nested_test_end OUT_DIR PASS_MESSAGE      with failures: their count and
#       the runs' last console lines, exit 1; else PASS_MESSAGE
nested_test_run() {
  local run_status=0
  nested_run "$1" "$2" "$3" || run_status=$?
  nested_exit_if_skipped "$run_status"
  fails=0
  [[ $run_status -eq 0 ]] || fail "the harness returned $run_status"
  echo "KVM: $(nested_mode)"
}

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

nested_test_end() {
  if ((fails > 0)); then
    echo "FAILED: $fails checks"
    nested_report_consoles "$1" 40
    exit 1
  fi
  echo "PASS: $2"
}

# direct or nested, as described above.
nested_mode() {
  case "${FWCFG_NESTED:-auto}" in
    direct | nested) echo "$FWCFG_NESTED" ;;
    *)
      case "$(kvm_backend)" in
        kvm_intel | kvm_amd) echo direct ;;
        *) echo nested ;;
      esac
      ;;
  esac
}

_nested_log() { echo "nested: $*" >&2; }

# The last N lines of every console the run wrote, for a failure report.
nested_report_consoles() {
  local out=$1 lines=${2:-25} f
  for f in "$out/nested/l1.console" "$out"/*.console "$out"/*.stderr; do
    [[ -s "$f" ]] || continue
    echo "---- last $lines lines of $f"
    tail -n "$lines" "$f" | tr -d '\r' | cut -c1-300
  done
}

# nested_run OUT_DIR SCRIPT [SECONDS]: see the top of this file.
nested_run() {
  local out=$1 script=$2 seconds=${3:-900}
  [[ "$out" =~ ^/[^[:space:]]*$ && "$script" =~ ^/[^[:space:]]*$ ]] || {
    _nested_log "OUT_DIR and SCRIPT must be absolute paths without spaces"
    return 125
  }
  local attempt status
  for attempt in 1 2; do
    mkdir -p "$out/nested"
    status=0
    (_nested_run "$out" "$script" "$seconds") || status=$?
    [[ $status -eq 123 ]] || return "$status"
    # L1's kernel wedged: every L1 vCPU in the kernel with interrupts off,
    # and no progress. No process inside L1 (our VMM included) can do that;
    # it is L1's KVM or QEMU's emulation of SVM under it (tests/nested/
    # README.md). Such a run is retried once; the report above stays, and
    # the first attempt's files are kept in nested.wedged/.
    rm -rf "$out/nested.wedged"
    mv "$out/nested" "$out/nested.wedged"
    if [[ $attempt -eq 1 && "${FWCFG_NESTED_RETRY_WEDGED:-1}" == 1 ]]; then
      _nested_log "L1's kernel wedged (not our VMM: see above); running the whole script again, once"
    fi
    [[ "${FWCFG_NESTED_RETRY_WEDGED:-1}" == 1 ]] || break
  done
  _nested_log "L1's kernel wedged again"
  return 124
}

# Runs in a subshell of its own: the EXIT trap ends whatever it started.
_nested_run() {
  local out=$1 script=$2 seconds=$3 mode guest
  pid="" cat_pid="" group=""
  trap 'kill -KILL ${pid:+"$pid"} ${cat_pid:+"$cat_pid"} ${group:+"-$group"} 2>/dev/null' EXIT
  local n="$out/nested" console="$out/nested/l1.console"
  : >"$console"
  mode=$(nested_mode)
  _nested_log "mode: $mode (KVM here: $(kvm_backend))"
  [[ "$mode" == direct || -n "$NESTED_KEEPALIVE" ]] ||
    _nested_log "warning: no kvm_keepalive (tools/bazel build //tests/nested:kvm_keepalive):" \
      "L1 may wedge now and then (tests/nested/README.md)"
  if [[ "$mode" == direct ]]; then
    NESTED_MODE=direct NESTED_OUT="$out" NESTED_HARNESS="$NESTED_HARNESS" \
      setsid bash "$script" \
      >"$console" 2>&1 </dev/null &
    pid=$!
    group=$pid  # setsid: the script's own process group, guests included
  else
    command -v qemu-system-x86_64 >/dev/null || {
      _nested_log "qemu-system-x86_64 not found (tools/bazel installs qemu-system-x86)"
      return 125
    }
    guest=${NESTED_GUEST_DIR:?set NESTED_GUEST_DIR (nested_guest_dir)}
    # The monitor, to print L1's vCPU registers if a stage hangs: FIFOs
    # opened read-write here so that neither side blocks on the other.
    rm -f "$n/monitor.in" "$n/monitor.out"
    mkfifo "$n/monitor.in" "$n/monitor.out"
    exec {monitor_in}<>"$n/monitor.in" {monitor_out}<>"$n/monitor.out"
    cat <&"$monitor_out" >"$n/monitor.log" 2>/dev/null &
    cat_pid=$!
    qemu-system-x86_64 -M q35 -accel "tcg,thread=${FWCFG_NESTED_TCG_THREAD:-multi}" -cpu EPYC,+svm \
      -smp "${FWCFG_NESTED_CPUS:-2}" -m "${FWCFG_NESTED_MEMORY:-2G}" \
      -nodefaults -display none -no-reboot \
      -serial "file:$console" -monitor "pipe:$n/monitor" \
      -kernel "$guest/vmlinuz" -initrd "$guest/l1-initramfs.cpio.gz" \
      -append "console=ttyS0 panic=-1 quiet fwcfg_nested.out=$out fwcfg_nested.script=$script fwcfg_nested.harness=$NESTED_HARNESS ${NESTED_KEEPALIVE:+fwcfg_nested.keepalive=$NESTED_KEEPALIVE} ${FWCFG_NESTED_APPEND:-}" \
      -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
      -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
      -fsdev "local,id=out,path=$out,security_model=none,multidevs=remap" \
      -device virtio-9p-pci,fsdev=out,mount_tag=out \
      2>"$n/qemu.stderr" </dev/null &
    pid=$!
  fi

  # Watch the console: each stage marker sets the deadline; overrunning it,
  # or the whole run's, is a hang.
  local start=$SECONDS end=$((SECONDS + seconds)) stage deadline
  local slack=${FWCFG_NESTED_SLACK:-30}
  local marker last="" status="" words
  if [[ "$mode" == direct ]]; then
    stage="script start" deadline=$((SECONDS + 60))
  else
    stage="L1 boot" deadline=$((SECONDS + ${FWCFG_NESTED_BOOT_SECONDS:-180}))
  fi
  while kill -0 "$pid" 2>/dev/null; do
    marker=$(grep -a -o 'NESTED-[A-Z0-9-]*: .*' "$console" | tail -n 1 | tr -d '\r')
    if [[ -n "$marker" && "$marker" != "$last" ]]; then
      last=$marker
      read -r -a words <<<"$marker"
      case "${words[0]}" in
        NESTED-STAGE:)  # NESTED-STAGE: SEQ NAME SECONDS
          stage=${words[2]}
          deadline=$((SECONDS + words[3] + slack)) ;;
        NESTED-STAGE-END:)
          stage="after ${words[2]}" deadline=$((SECONDS + 120)) ;;
        NESTED-L1:)
          case "${words[1]}" in
            ready) stage="script start" deadline=$((SECONDS + 120)) ;;
            exit) status=${words[2]}; stage="L1 power-off" deadline=$((SECONDS + 60)) ;;
            no-kvm)
              _nested_log "SKIP: no KVM inside the TCG guest: ${marker#*no-kvm }"
              wait "$pid"; return 77 ;;
            *) ;;  # an error line; L1 powers off next
          esac ;;
      esac
    fi
    if ((SECONDS > deadline || SECONDS > end)); then
      ((SECONDS > end)) && stage="$stage (the whole run's ${seconds} s)"
      _nested_hang "$out" "$mode" "$stage" "$((SECONDS - start))" "${monitor_in:-}"
      kill -KILL "$pid" ${group:+"-$group"} 2>/dev/null
      wait "$pid" 2>/dev/null
      [[ "$mode" == nested ]] && _nested_l1_wedged "$n/monitor.log" && return 123
      return 124
    fi
    sleep 0.5
  done
  wait "$pid"
  local rc=$?
  if [[ "$mode" == direct ]]; then
    return "$rc"
  fi
  if [[ -z "$status" ]]; then
    marker=$(grep -a -o 'NESTED-L1: exit [0-9]*' "$console" | tail -n 1)
    status=${marker##* }
  fi
  if [[ -z "$status" ]]; then
    _nested_log "FAIL: L1 ended (QEMU status $rc) without running the script to its end"
    nested_report_consoles "$out"
    grep -v "TCG doesn't support" "$n/qemu.stderr" >&2 || true
    return 125
  fi
  return "$status"
}

# Whether every register sample in MONITOR_LOG shows every L1 vCPU in the
# kernel (CPL 0), not halted, with interrupts off (RFL without IF): L1's
# kernel spinning with interrupts disabled, where its own watchdogs cannot
# even report it.
_nested_l1_wedged() {
  tr -d '\r' <"$1" | awk '
    function field(name,   f) {  # the value of NAME= on this line
      for (f = 1; f <= NF; f++) if (index($f, name "=") == 1) return substr($f, length(name) + 2)
      return ""
    }
    function interrupts_on(hex,   v, i) {
      v = 0
      for (i = 1; i <= length(hex); i++)
        v = v * 16 + index("0123456789abcdef", tolower(substr(hex, i, 1))) - 1
      return int(v / 512) % 2
    }
    /^CPU#/ { cpu = $1 }
    /^RIP=/ {
      wedged = field("CPL") == "0" && field("HLT") == "0" && !interrupts_on(field("RFL"))
      # (Evaluated first: assigning to ok[cpu] creates the element.)
      before = (cpu in ok) ? ok[cpu] : 1
      ok[cpu] = before && wedged
    }
    END { n = 0; for (c in ok) { n++; if (!ok[c]) exit 1 } exit n == 0 }'
}

# Reports a hang: the stage, the consoles' last lines, where L1's vCPUs were.
_nested_hang() {
  local out=$1 mode=$2 stage=$3 elapsed=$4 monitor_in=$5
  {
    echo "nested: HANG: stage '$stage' overran its deadline after ${elapsed} s ($mode)"
    if grep -aq 'soft lockup' "$out/nested/l1.console"; then
      echo "nested: L1's kernel reported a soft lockup:"
      grep -a 'soft lockup' "$out/nested/l1.console" | tr -d '\r' | tail -n 3
    fi
    nested_report_consoles "$out"
    if [[ -n "$monitor_in" ]]; then
      # Three samples a second apart: a vCPU whose RIP moves is spinning, one
      # whose RIP stays is stuck (RFL without IF (0x200): interrupts off).
      local sample
      for sample in 1 2 3; do
        echo "---- L1 vCPU registers, sample $sample (QEMU monitor: info registers -a)"
        echo "info registers -a" >&"$monitor_in"
        sleep 1
        grep -aE '^(CPU#|RIP=|RAX=|RSI=|R8 =|R12=|CS =|CR0=|EFER=)' \
          "$out/nested/monitor.log" | tr -d '\r' | tail -n 18 || true
      done
    fi
  } >&2
}

# ---- helpers for SCRIPT (run where KVM is) ---------------------------------

_nested_seq=0

# nested_stage NAME SECONDS: announces the next stage and its time limit.
nested_stage() {
  _nested_seq=$((_nested_seq + 1))
  echo "NESTED-STAGE: $_nested_seq $1 $2"
}

# nested_timestamp START: prefixes each line of stdin with the seconds since
# START (an $EPOCHREALTIME value), "%.6f", and drops carriage returns.
nested_timestamp() {
  local start=${1/./} line now
  while IFS= read -r line || [[ -n "$line" ]]; do
    now=${EPOCHREALTIME/./}
    printf '%d.%06d %s\n' $(((now - start) / 1000000)) $(((now - start) % 1000000)) \
      "${line//$'\r'/}"
  done
}

# nested_boot NAME SECONDS COMMAND...: one guest run as a stage. COMMAND's
# standard output is the guest's serial console (vmm --serial tty, QEMU
# -serial stdio): it goes to $NESTED_OUT/NAME.console, each line stamped with
# the seconds since COMMAND started; its standard error to NAME.stderr; the
# start ($EPOCHREALTIME) to NAME.start. After SECONDS, COMMAND gets SIGTERM
# (our vmm then prints each vCPU's registers) and, 10 s later, SIGKILL.
# Returns COMMAND's status.
nested_boot() {
  local name=$1 seconds=$2 start status
  shift 2
  nested_stage "$name" "$((seconds + 15))"
  start=$EPOCHREALTIME
  echo "$start" >"$NESTED_OUT/$name.start"
  timeout -s TERM -k 10 "$seconds" "$@" </dev/null 2>"$NESTED_OUT/$name.stderr" |
    nested_timestamp "$start" >"$NESTED_OUT/$name.console"
  status=${PIPESTATUS[0]}
  echo "NESTED-STAGE-END: $_nested_seq $name status=$status"
  return "$status"
}
