#!/bin/bash
# Builds examples/custom_vmm, a workspace of its own that uses this checkout
# as @fwcfg_vmm, with a Bazel of its own, runs the VMM and checks what its
# guest read through the bus: the signature, the RAM size key, the file
# directory, and the user item's bytes, which must be the host file's.
#
#   custom_vmm_test.sh CHECK_SH FILE...
#
# FILE... are the example's files (runfiles: symlinks into the checkout,
# which its WORKSPACE leads to). The copy's WORKSPACE points at the
# checkout. The nested Bazel gets its own output user root, a clean
# environment, and proxies that refuse every connection: it must fetch
# nothing from the network (fwcfg_vmm_dependencies() takes everything from
# Debian). Its server is shut down at the end, whatever happens.
#
# The copy and the output user root stay in ~/.cache/fwcfg-vmm/custom_vmm/
# (FWCFG_CACHE_DIR replaces ~/.cache/fwcfg-vmm), one copy per checkout, so a
# rerun recompiles only what changed (45 to 75 s cold on 2 cores, 15 to 30 s
# warm); runs for one checkout take turns. Where that cannot be written,
# everything goes to the test's temporary directory.
set -euo pipefail
export LC_ALL=C

source "$1"
shift
checkout=$(readlink -f examples/custom_vmm/WORKSPACE)
checkout=${checkout%/examples/custom_vmm/WORKSPACE}
T=${TEST_TMPDIR:-$(mktemp -d)}
T=$(realpath "$T")

fail() {
  echo "FAIL: $*"
  exit 1
}

[[ -f "$checkout/WORKSPACE" && -f "$checkout/bazel/repositories.bzl" ]] ||
  fail "$checkout (from the runfile examples/custom_vmm/WORKSPACE) is not a fwcfg-vmm checkout"
bazel=$(command -v bazel || true)
[[ -n "$bazel" ]] || fail "no bazel on PATH (tools/bazel installs bazel-bootstrap)"

# Bazel runs tests with HOME unset or temporary: the account's home it is.
home=${HOME:-}
[[ -n "$home" && "$home" != "$T"* ]] || home=$(getent passwd "$(id -u)" | cut -d: -f6)
cache=${FWCFG_CACHE_DIR:-$home/.cache/fwcfg-vmm}/custom_vmm
if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w "$cache" ]]; then
  cache=$T/cache
  mkdir -p "$cache"
fi
dir=$cache/$(printf '%s' "$checkout" | md5sum | cut -c1-16)
mkdir -p "$dir"
exec 9>"$dir/lock"
flock -w 600 9 || fail "another run of this test holds $dir/lock"

# The example, as a user would have it, but pointing at this checkout.
ws=$dir/workspace
rm -rf "$ws"
mkdir -p "$ws"
for file in "$@"; do
  cp "$file" "$ws/${file#examples/custom_vmm/}"
done
chmod -R u+w "$ws"
sed -i "s|^    path = \"../..\",\$|    path = \"$checkout\",|" "$ws/WORKSPACE"
grep -qF "path = \"$checkout\"," "$ws/WORKSPACE" ||
  fail "examples/custom_vmm/WORKSPACE no longer has the line '    path = \"../..\",' this test rewrites"

mkdir -p "$T/home"
nested_bazel() {
  (cd "$ws" && env -i PATH="$PATH" HOME="$T/home" TMPDIR="$T" \
    http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    "$bazel" --output_user_root="$cache/root" --nohome_rc --max_idle_secs=300 \
    "$@")
}
trap 'nested_bazel shutdown >/dev/null 2>&1 || true' EXIT

start=$SECONDS
if ! nested_bazel build --color=no --curses=no --noshow_progress \
    --symlink_prefix=/ //... >"$T/build.log" 2>&1; then
  cat "$T/build.log"
  fail "bazel build //... in the example workspace"
fi
echo "the example workspace built in $((SECONDS - start)) s ($ws)"
vmm=$(nested_bazel info --color=no bazel-bin 2>/dev/null)/custom_vmm
[[ -x "$vmm" ]] || fail "no $vmm"

# More than 64 KiB, so the device reads it with pread as the guest asks.
head -c 100003 /dev/urandom >"$T/blob"
status=0
output=$("$vmm" "items=[name=opt/org.example/blob,file=\"$T/blob\":name=opt/org.example/hello,string=hi]" \
  opt/org.example/blob "$T/copy" 2>&1) || status=$?
echo "$output"
((status == 0)) || fail "custom_vmm exited $status"
check "signature" "signature: QEMU" "$(grep '^signature:' <<<"$output")"
check "RAM size key" "RAM: 64 MiB" "$(grep '^RAM:' <<<"$output")"
check "directory" "file 0x0020     100003 opt/org.example/blob
file 0x0021          2 opt/org.example/hello" "$(grep '^file ' <<<"$output")"
check "the item read back" "read opt/org.example/blob by DMA: 100003 bytes" \
  "$(grep '^read ' <<<"$output")"
check "its bytes are the host file's" same \
  "$(cmp "$T/blob" "$T/copy" >&2 && echo same)"

status=0
output=$("$vmm" "items=[name=opt/org.example/gone,file=$T/missing]" \
  opt/org.example/gone "$T/copy2" 2>&1) || status=$?
check "a missing host file: exit status" 1 "$status"
check "... and the error names the item" yes \
  "$([[ "$output" == *opt/org.example/gone* ]] && echo yes)"

if nested_bazel shutdown >/dev/null 2>&1; then
  check "nested Bazel server shut down" 0 0
else
  check "nested Bazel server shut down" 0 1
fi
trap - EXIT
check_done
