#!/bin/sh
# Install the Debian packages whose pkg-config modules (or headers) are missing.
# As root: apt-get installs them. Otherwise: print the exact command and fail.
set -u
missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_file() { [ -e "$1" ] || missing="$missing $2"; }
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
need_pc inih libinih-dev
need_pc libsystemd libsystemd-dev
need_file /usr/include/ev.h libev-dev
for extra in "$@"; do
	case "$extra" in
	cmocka) need_pc cmocka libcmocka-dev ;;
	clang) command -v clang >/dev/null 2>&1 || missing="$missing clang"
	       ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
	           || missing="$missing libclang-rt-dev" ;;
	tools) for t in strace:strace setpriv:util-linux ps:procps man:man-db python3:python3 valgrind:valgrind unshare:util-linux prlimit:util-linux systemd-analyze:systemd; do
	           command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
	       done ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing build dependencies; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q $missing >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing; }
