#!/bin/bash
# Builds a small Linux test guest for fw_cfg from Debian packages.
#
#   tools/test_guest/build.sh OUTDIR
#
# Produces OUTDIR/vmlinuz, OUTDIR/vmlinux (the ELF kernel inside vmlinuz),
# OUTDIR/initramfs.cpio.gz (the test guest), OUTDIR/l1-initramfs.cpio.gz (the
# nested KVM host of tests/nested, booted with the same vmlinuz) and
# OUTDIR/manifest.txt. Runs on the same OUTDIR wait for each other, and a run
# whose inputs (packages, these scripts) are unchanged does nothing.
# The .deb files are downloaded with `apt-get download` (works as any user;
# run `apt-get update` once beforehand) into OUTDIR/cache/ and reused on later
# runs; they are unpacked with `dpkg-deb -x`, never installed. Running it
# twice gives byte-identical outputs. See README.md in this directory.
#
# Environment overrides (optional):
#   KERNEL_PACKAGE=linux-image-6.1.0-NN-amd64   instead of resolving linux-image-amd64
#   KERNEL_VERSION=<debian version>             version of KERNEL_PACKAGE (default: candidate)
#   BUSYBOX_VERSION=<debian version>            version of busybox-static (default: candidate)
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

[[ $# -eq 1 ]] || die "usage: $0 OUTDIR"
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE="$OUTDIR/cache"
WORK="$OUTDIR/work"
mkdir -p "$CACHE"
# One build at a time per OUTDIR (tests may start several at once).
exec 9>"$OUTDIR/.lock"
flock 9

export LC_ALL=C
umask 022
# Fixed timestamp for everything in the archive, so rebuilds are identical.
EPOCH=${SOURCE_DATE_EPOCH:-946684800}  # 2000-01-01

for tool in apt-get apt-cache dpkg-deb dpkg gzip xz od sha256sum find sort; do
  command -v "$tool" >/dev/null || die "'$tool' not found (this script expects Debian)"
done
[[ "$(dpkg --print-architecture)" == amd64 ]] ||
  die "the host's dpkg architecture is not amd64; this script fetches amd64 packages"

# candidate_version PKG: the version apt would pick.
candidate_version() {
  local v
  v=$(apt-cache policy "$1" | awk '/^ *Candidate:/ && !n++ {print $2}')
  [[ -n "$v" && "$v" != "(none)" ]] ||
    die "package '$1' has no candidate version (did you run 'apt-get update'?)"
  echo "$v"
}

# fetch_deb PKG VERSION: prints the path of the cached .deb, downloading it if
# it is missing or its SHA256 does not match the archive index.
fetch_deb() {
  local pkg=$1 ver=$2 want f
  want=$(apt-cache show "$pkg=$ver" | awk '/^SHA256:/ && !n++ {print $2}')
  [[ -n "$want" ]] || die "apt-cache has no SHA256 for $pkg=$ver"
  for f in "$CACHE/${pkg}"_*.deb; do
    [[ -e "$f" ]] || continue
    if [[ "$(dpkg-deb -f "$f" Version)" == "$ver" ]] &&
       [[ "$(sha256sum <"$f" | cut -d' ' -f1)" == "$want" ]]; then
      echo "$f"; return 0
    fi
  done
  log "downloading $pkg=$ver"
  # apt-get download writes into the current directory.
  (cd "$CACHE" && apt-get download -q "$pkg=$ver" >&2) ||
    die "apt-get download $pkg=$ver failed"
  for f in "$CACHE/${pkg}"_*.deb; do
    [[ -e "$f" ]] || continue
    if [[ "$(dpkg-deb -f "$f" Version)" == "$ver" ]] &&
       [[ "$(sha256sum <"$f" | cut -d' ' -f1)" == "$want" ]]; then
      echo "$f"; return 0
    fi
  done
  die "downloaded $pkg=$ver but found no matching .deb in $CACHE"
}

# ---- resolve package versions ---------------------------------------------
META_PKG=linux-image-amd64
META_VER=
if [[ -z "${KERNEL_PACKAGE:-}" ]]; then
  META_VER=$(candidate_version "$META_PKG")
  # The meta package depends on exactly one concrete linux-image-<abi>-amd64.
  KERNEL_PACKAGE=$(apt-cache show "$META_PKG=$META_VER" |
    awk -F': ' '/^Depends:/ && !n++ {print $2}' | tr ',' '\n' |
    sed -e 's/^ *//' -e 's/ .*//' | grep -E '^linux-image-[0-9].*-amd64$' | sed -n 1p || true)
  [[ -n "$KERNEL_PACKAGE" ]] || die "could not resolve $META_PKG=$META_VER to a linux-image-<abi>-amd64 package"
fi
KERNEL_VERSION=${KERNEL_VERSION:-$(candidate_version "$KERNEL_PACKAGE")}
BUSYBOX_PACKAGE=busybox-static
BUSYBOX_VERSION=${BUSYBOX_VERSION:-$(candidate_version "$BUSYBOX_PACKAGE")}

log "kernel:  $KERNEL_PACKAGE $KERNEL_VERSION${META_VER:+ (from $META_PKG $META_VER)}"
log "busybox: $BUSYBOX_PACKAGE $BUSYBOX_VERSION"

# Everything the outputs depend on; a matching manifest means they are built.
INPUTS_KEY=$(cat "$0" "$SCRIPT_DIR/init" "$SCRIPT_DIR/l1_init" |
  { sha256sum; echo "$KERNEL_PACKAGE=$KERNEL_VERSION $BUSYBOX_PACKAGE=$BUSYBOX_VERSION"; } |
  sha256sum | cut -d' ' -f1)
if grep -qx "inputs: $INPUTS_KEY" "$OUTDIR/manifest.txt" 2>/dev/null &&
   [[ -f "$OUTDIR/vmlinux" && -f "$OUTDIR/l1-initramfs.cpio.gz" ]]; then
  log "up to date: $OUTDIR"
  exit 0
fi

KERNEL_DEB=$(fetch_deb "$KERNEL_PACKAGE" "$KERNEL_VERSION")
BUSYBOX_DEB=$(fetch_deb "$BUSYBOX_PACKAGE" "$BUSYBOX_VERSION")

# ---- unpack ---------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK/kernel" "$WORK/busybox"
trap 'rm -rf "$WORK"' EXIT
dpkg-deb -x "$KERNEL_DEB" "$WORK/kernel"
dpkg-deb -x "$BUSYBOX_DEB" "$WORK/busybox"

# The kernel release (uname -r) is the single directory under lib/modules.
MODROOT=
for d in "$WORK/kernel/lib/modules"/* "$WORK/kernel/usr/lib/modules"/*; do
  [[ -d "$d/kernel" ]] && { MODROOT=$d; break; }
done
[[ -n "$MODROOT" ]] || die "no lib/modules/<release>/kernel in $KERNEL_DEB"
KREL=$(basename "$MODROOT")
VMLINUZ="$WORK/kernel/boot/vmlinuz-$KREL"
[[ -f "$VMLINUZ" ]] || die "no boot/vmlinuz-$KREL in $KERNEL_DEB"

BUSYBOX="$WORK/busybox/bin/busybox"
[[ -x "$BUSYBOX" ]] || die "no bin/busybox in $BUSYBOX_DEB"

# ---- modules --------------------------------------------------------------
# find_module NAME: path of NAME.ko[.xz|.zst|.gz] under the module tree
# (module names treat '-' and '_' alike).
find_module() {
  local pat=${1//[-_]/[-_]}
  find "$MODROOT/kernel" -type f \( -name "$pat.ko" -o -name "$pat.ko.xz" \
    -o -name "$pat.ko.zst" -o -name "$pat.ko.gz" \) | sort | sed -n 1p
}

# decompress_module SRC DST: write the plain ELF .ko that busybox insmod loads.
decompress_module() {
  case "$1" in
    *.ko) cp "$1" "$2" ;;
    *.ko.xz) command -v xz >/dev/null || die "xz is needed for $1 (apt-get install xz-utils)"
             xz -dc "$1" >"$2" ;;
    *.ko.zst) command -v zstd >/dev/null || die "zstd is needed for $1 (apt-get install zstd)"
              zstd -qdc "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
    *) die "unknown module format: $1" ;;
  esac
}

# module_depends KO: the comma-separated "depends=" field of a plain .ko.
module_depends() {
  if command -v modinfo >/dev/null; then
    modinfo -F depends "$1"
  else
    # No kmod on this host: read the .modinfo section's NUL-separated strings.
    tr '\0' '\n' <"$1" | awk '/^depends=/ && !n++ {sub(/^depends=/, ""); print}'
  fi
}

# add_module STAGE NAME: NAME.ko and, first, every module it depends on,
# into STAGE/lib/modules, appending each to STAGE's load order.
declare -A SEEN=()       # "STAGE:name" -> 1
declare -A LOAD_ORDER=() # STAGE -> "name name ..." (dependencies first)
MODULE_LINES=()          # manifest lines, both images
add_module() {
  local stage=$1 name=${2//-/_} src dst deps dep
  [[ -n "${SEEN[$stage:$name]:-}" ]] && return 0
  SEEN[$stage:$name]=1
  src=$(find_module "$name")
  [[ -n "$src" ]] || die "module $name not found in $KERNEL_PACKAGE (built in? then drop it)"
  mkdir -p "$stage/lib/modules"
  dst="$stage/lib/modules/$name.ko"
  decompress_module "$src" "$dst"
  deps=$(module_depends "$dst")
  for dep in ${deps//,/ }; do
    add_module "$stage" "$dep"
  done
  LOAD_ORDER[$stage]+="$name "
  MODULE_LINES+=("module: $(basename "$stage") $name from ${src#"$WORK/kernel/"} sha256=$(sha256sum <"$dst" | cut -d' ' -f1)")
}

# stage_busybox STAGE INIT: the directory skeleton, busybox with one symlink
# per applet (so /init can call them by name), the modules' load order and
# INIT as /init.
stage_busybox() {
  local stage=$1 applet
  mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" \
    "$stage/root" "$stage/lib/modules"
  cp "$BUSYBOX" "$stage/bin/busybox"
  chmod 0755 "$stage/bin/busybox"
  for applet in $("$stage/bin/busybox" --list); do
    [[ "$applet" == busybox ]] && continue
    ln -sf busybox "$stage/bin/$applet"
  done
  [[ -L "$stage/bin/sh" ]] || die "busybox has no sh applet"
  printf '%s\n' ${LOAD_ORDER[$stage]:-} >"$stage/lib/modules/load-order"
  install -m 0755 "$2" "$stage/init"
  find "$stage" -exec touch -h -d "@$EPOCH" {} +
}

# write_initramfs STAGE OUT: a reproducible gzip-compressed newc archive.
if command -v cpio >/dev/null; then
  CPIO_TOOL="cpio (GNU, $(cpio --version | awk 'NR == 1 {print $NF}'))"
else
  log "cpio not found: install it with 'apt-get install cpio' (package 'cpio');"
  log "falling back to busybox's cpio applet for now"
  CPIO_TOOL="busybox cpio ($BUSYBOX_PACKAGE $BUSYBOX_VERSION)"
fi
write_initramfs() {
  local stage=$1 out=$2
  if command -v cpio >/dev/null; then
    (cd "$stage" && find . -mindepth 1 | sort |
       cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >"$out.tmp"
  else
    (cd "$stage" && find . -mindepth 1 | sort |
       "$BUSYBOX" cpio -o -H newc -R 0:0) | gzip -9n >"$out.tmp"
  fi
  mv -f "$out.tmp" "$out"
}

# The test guest: qemu_fw_cfg (no dependencies in Debian 6.1 kernels).
GUEST="$WORK/guest"
add_module "$GUEST" qemu_fw_cfg
log "guest modules (load order): ${LOAD_ORDER[$GUEST]}"
stage_busybox "$GUEST" "$SCRIPT_DIR/init"
write_initramfs "$GUEST" "$OUTDIR/initramfs.cpio.gz"

# The nested KVM host (tests/nested): KVM for AMD SVM, which QEMU's TCG
# emulates, and 9p over virtio-pci, through which it sees the host's files.
HOST="$WORK/l1"
for m in kvm_amd 9p 9pnet_virtio virtio_pci; do
  add_module "$HOST" "$m"
done
log "nested host modules (load order): ${LOAD_ORDER[$HOST]}"
stage_busybox "$HOST" "$SCRIPT_DIR/l1_init"
write_initramfs "$HOST" "$OUTDIR/l1-initramfs.cpio.gz"
cp -f "$VMLINUZ" "$OUTDIR/vmlinuz.tmp"
mv -f "$OUTDIR/vmlinuz.tmp" "$OUTDIR/vmlinuz"

# The ELF vmlinux inside the bzImage: the setup header's payload_offset
# (0x248, from the protected-mode part) and payload_length (0x24c) delimit
# the compressed kernel. Booting it skips the decompressor, most of a boot
# on a slow KVM.
le32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
setup_sects=$(od -An -t u1 -j 497 -N 1 "$OUTDIR/vmlinuz" | tr -d ' ')
[[ $setup_sects -eq 0 ]] && setup_sects=4
payload_start=$(( (setup_sects + 1) * 512 + $(le32 "$OUTDIR/vmlinuz" 584) ))
payload_length=$(le32 "$OUTDIR/vmlinuz" 588)
payload() {
  dd if="$OUTDIR/vmlinuz" iflag=skip_bytes,count_bytes skip="$payload_start" \
    count="$payload_length" status=none
}
case "$(payload | head -c 6 | od -An -t x1 | tr -d ' ')" in
  fd377a585a00) payload | xz -dc --single-stream >"$OUTDIR/vmlinux.tmp" ;;
  28b52ffd*) payload | zstd -dcq >"$OUTDIR/vmlinux.tmp" ;;
  1f8b*) payload | gzip -dc >"$OUTDIR/vmlinux.tmp" 2>/dev/null || true ;;
  *) die "unknown compression of the kernel payload in $OUTDIR/vmlinuz" ;;
esac
[[ "$(od -An -t x1 -N 4 "$OUTDIR/vmlinux.tmp" | tr -d ' ')" == 7f454c46 ]] ||
  die "the kernel payload did not decompress to an ELF vmlinux"
mv -f "$OUTDIR/vmlinux.tmp" "$OUTDIR/vmlinux"

# ---- manifest -------------------------------------------------------------
deb_sha() { sha256sum <"$1" | cut -d' ' -f1; }
{
  echo "# fw_cfg test guest, built by tools/test_guest/build.sh"
  echo "# Reproduce: apt-get download <package>=<version>; dpkg-deb -x"
  echo "inputs: $INPUTS_KEY"
  [[ -n "$META_VER" ]] && echo "meta-package: $META_PKG $META_VER"
  echo "kernel-package: $KERNEL_PACKAGE $KERNEL_VERSION sha256=$(deb_sha "$KERNEL_DEB")"
  echo "kernel-release: $KREL"
  echo "busybox-package: $BUSYBOX_PACKAGE $BUSYBOX_VERSION sha256=$(deb_sha "$BUSYBOX_DEB")"
  echo "busybox-binary: $("$BUSYBOX" | sed -n 1p)"
  printf '%s\n' "${MODULE_LINES[@]}"
  echo "cpio: $CPIO_TOOL"
  echo "vmlinuz: sha256=$(deb_sha "$OUTDIR/vmlinuz")"
  echo "vmlinux: sha256=$(deb_sha "$OUTDIR/vmlinux") (extracted from vmlinuz)"
  echo "initramfs.cpio.gz: sha256=$(deb_sha "$OUTDIR/initramfs.cpio.gz")"
  echo "l1-initramfs.cpio.gz: sha256=$(deb_sha "$OUTDIR/l1-initramfs.cpio.gz")"
} >"$OUTDIR/manifest.txt"

log "wrote $OUTDIR/vmlinuz, $OUTDIR/vmlinux, $OUTDIR/initramfs.cpio.gz, $OUTDIR/manifest.txt"
