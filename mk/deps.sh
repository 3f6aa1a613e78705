#!/bin/sh
# mk/deps.sh [cmocka] [clang] [tools] [supervisor] [daemons]: install the Debian packages whose pkg-config modules,
# headers or commands are missing (the build's own, plus the extras named). As root: apt-get installs
# them (after an apt-get update when the first try fails). Otherwise: print the exact command and fail.
# Packages wanted for one command only (prometheus for promtool) come without their recommends (a
# node exporter, its collectors and dbus are not what a test of the metrics text needs).
# No service starts during the install: a policy-rc.d that refuses is in place for its duration (an
# existing one is put back byte for byte), so installing supervisor does not start supervisord.
set -u
missing=""
norec=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_file() { [ -e "$1" ] || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_cmd pkg-config pkg-config
need_cmd cc gcc
need_pc inih libinih-dev
need_pc libsystemd libsystemd-dev
need_file /usr/include/ev.h libev-dev
for extra in "$@"; do
	case "$extra" in
	cmocka) need_pc cmocka libcmocka-dev ;;
	clang) need_cmd clang clang
	       ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
	           || missing="$missing libclang-rt-dev" ;;
	tools) for t in strace:strace setpriv:util-linux ps:procps man:man-db python3:python3 valgrind:valgrind unshare:util-linux prlimit:util-linux systemd-analyze:systemd faketime:faketime curl:curl; do
	           need_cmd "${t%%:*}" "${t#*:}"
	       done
	       # promtool checks droverctl metrics (e2e/metrics-promtool); the server is never started.
	       command -v promtool >/dev/null 2>&1 || norec="$norec prometheus" ;;
	# The reference for tests/compat: Debian's supervisor 4.2.5 (supervisord, supervisorctl).
	supervisor) need_cmd supervisord supervisor
	            need_cmd supervisorctl supervisor ;;
	# Real daemons the readiness and health tests supervise (never run as system services).
	daemons) need_file /usr/bin/redis-server redis-server
	         need_file /usr/bin/redis-cli redis-tools
	         need_file /usr/sbin/nginx nginx ;;
	*) echo "mk/deps.sh: unknown extra '$extra'" >&2; exit 2 ;;
	esac
done
[ -z "$missing$norec" ] && exit 0
missing=$(printf '%s\n' $missing | awk '!seen[$0]++' | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
	echo "missing build dependencies; run as root:" >&2
	[ -n "${missing% }" ] && echo "  apt-get install -y $missing" >&2
	[ -n "$norec" ] && echo "  apt-get install -y --no-install-recommends$norec" >&2
	exit 1
fi

# Daemons of the packages installed here that run before the install: never touched.
service_pids() {
	for p in $(pgrep -x 'redis-server|nginx|supervisord|prometheus' 2>/dev/null; pgrep -f '(^|/)supervisord( |$)' 2>/dev/null); do
		[ "$(awk '{print $4}' /proc/$p/stat 2>/dev/null)" = 1 ] && echo "$p"
	done | sort -u
}
before=$(service_pids)

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ] || [ -L "$policy" ]; then
	backup=$(mktemp /usr/sbin/.policy-rc.d.deps.XXXXXX) || exit 1
	cp -p "$policy" "$backup" || exit 1
fi
restore() {
	if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
}
trap 'restore; exit 1' INT TERM HUP
printf '#!/bin/sh\n# written by drover mk/deps.sh: start no service during the install\nexit 101\n' > "$policy"
chmod 0755 "$policy"

echo "installing: $missing$norec" >&2
export DEBIAN_FRONTEND=noninteractive
# apt_install [OPTION...] PACKAGE...: once, then again after an apt-get update.
apt_install() {
	# shellcheck disable=SC2068
	apt-get install -y -q $@ >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $@; }
}
rc=0
# shellcheck disable=SC2086
[ -n "${missing% }" ] && { apt_install $missing || rc=$?; }
# shellcheck disable=SC2086
[ -n "$norec" ] && { apt_install --no-install-recommends $norec || rc=$?; }
restore
trap - INT TERM HUP
# No system service of theirs may run now (policy-rc.d should have kept them down): one that started
# anyway (a daemon whose parent is init, new since the install began) is stopped, nothing else.
new=$(service_pids | grep -vxF "$(printf '%s\n' $before)" 2>/dev/null)
if [ -n "$new" ]; then
	echo "mk/deps.sh: a system service started during the install; stopping it:" $new >&2
	kill -TERM $new 2>/dev/null
	sleep 1
	kill -KILL $new 2>/dev/null
fi
[ "$rc" -eq 0 ] || echo "mk/deps.sh: apt-get install failed (exit $rc)" >&2
exit "$rc"
