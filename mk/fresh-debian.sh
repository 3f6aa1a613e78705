#!/bin/bash
# mk/fresh-debian.sh [run] [check] — for maintainers (not part of make check): prove that `make run` and
# `make check` work as the very first command on a clean Debian 12 machine.
#
# A Debian 12 root with nothing but minbase + make + git + ca-certificates (debootstrap from the host's
# Debian mirror, cached under $DROVER_FRESH_CACHE, default /var/tmp/drover-fresh) is copied afresh for each
# scenario; a clean clone of the current branch goes into /src; the scenario runs in a container
# (systemd-nspawn: own PID, IPC and mount namespaces, the host's network for the mirror):
#   run:    `make run` is the first command; once droverctl shows the demo's workers RUNNING, the script
#           prints `droverctl status`, sends droverd SIGTERM and requires make to exit 0;
#   check:  `make check` is the first command; its last line must say "N passed, 0 failed".
# Both scenarios: `run` then `check` (the default). Needs root and the Debian mirror. The result lines
# (RESULT: ...) and the logs (under the cache directory) are what to record.
#
# Env: DROVER_FRESH_CACHE (/var/tmp/drover-fresh), BRANCH (the current branch), MIRROR (the host's),
#      DROVER_FRESH_TIMEOUT (3600 s per scenario), KEEP=1 keeps the scenario roots for a look inside.
set -euo pipefail

CACHE=${DROVER_FRESH_CACHE:-/var/tmp/drover-fresh}
REPO=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
BRANCH=${BRANCH:-$(git -C "$REPO" rev-parse --abbrev-ref HEAD)}
TIMEOUT=${DROVER_FRESH_TIMEOUT:-3600}
SUITE=bookworm
PKGS=make,git,ca-certificates

log() { printf '[fresh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, systemd-nspawn)"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(run check)
for s in "${scenarios[@]}"; do
	case $s in run|check) ;; *) die "unknown scenario '$s' (run, check)" ;; esac
done

need=()
command -v debootstrap > /dev/null || need+=(debootstrap)
command -v systemd-nspawn > /dev/null || need+=(systemd-container)
if [ ${#need[@]} -gt 0 ]; then
	log "installing host tools: ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" > /dev/null
fi

# The mirror the host's apt uses (never hard-coded): deb822 sources first, then one-line sources.
mirror() {
	if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
	local m
	m=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources \
		2> /dev/null | grep -v -- -security | head -n 1 || true)
	[ -n "$m" ] || m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file|ftp):/) { print $i; break } }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2> /dev/null | grep -v -- -security | head -n 1 || true)
	[ -n "$m" ] || die "no Debian mirror in /etc/apt/sources.list(.d); set MIRROR="
	echo "$m"
}

umount_below() {
	findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1' | sort -r |
		while read -r t; do umount -l "$t" || true; done
}

# --- the base root: built once, reused while its package set is the same ----------------------------
mkdir -p "$CACHE"
exec 8> "$CACHE/.lock"
flock 8
base=$CACHE/rootfs
want="$SUITE minbase $PKGS"
if [ "$(cat "$base/.fresh-ok" 2> /dev/null)" != "$want" ]; then
	part=$base.partial
	umount_below "$part"
	rm -rf --one-file-system "$part"
	log "debootstrap $SUITE (minbase + $PKGS) from $(mirror) -> $base"
	debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$part" "$(mirror)" > "$CACHE/debootstrap.log" 2>&1 ||
		{ umount_below "$part"; tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
	umount_below "$part"
	# The machine's package sources, as the host has them (debootstrap wrote only the one mirror).
	if ls /etc/apt/sources.list.d/*.sources > /dev/null 2>&1; then
		rm -f "$part/etc/apt/sources.list"
		cp /etc/apt/sources.list.d/*.sources "$part/etc/apt/sources.list.d/"
	fi
	rm -rf "$part"/var/cache/apt/archives/*.deb
	echo fresh > "$part/etc/hostname"
	rm -rf --one-file-system "$base"
	mv -T "$part" "$base"
	echo "$want" > "$base/.fresh-ok"
fi
flock -u 8

# --- one scenario --------------------------------------------------------------------------------------
scenario_run='
cd /src
echo "+ make run  (the first command)"
make run > /tmp/make-run.log 2>&1 &
mk=$!
end=$((SECONDS + 1800))
until [ -x build/droverctl ] && [ "$(build/droverctl -n drover-demo status 2> /dev/null | grep -cE "^(counter:counter_[01]|ticker) +RUNNING")" = 3 ]; do
	kill -0 $mk 2> /dev/null || { cat /tmp/make-run.log; echo "RESULT: make run exited before the demo came up"; exit 1; }
	[ $SECONDS -lt $end ] || { tail -n 30 /tmp/make-run.log; echo "RESULT: the demo did not come up"; exit 1; }
	sleep 1
done
grep -m 1 "^installing:" /tmp/make-run.log || true
echo "+ build/droverctl -n drover-demo status"
build/droverctl -n drover-demo status
d=$(build/droverctl -n drover-demo pid)
echo "+ kill -TERM $d  (droverd)"
kill -TERM "$d"
wait $mk; rc=$?
tail -n 5 /tmp/make-run.log
[ $rc = 0 ] || { echo "RESULT: make run exited $rc after SIGTERM"; exit 1; }
echo "RESULT: make run: installed the build deps, built, ran the demo, stopped cleanly (exit 0)"
'
scenario_check='
cd /src
echo "+ make check  (the first command)"
start=$SECONDS
make check 2>&1 | tee /tmp/make-check.log
grep -m 1 "^installing:" /tmp/make-check.log || true
last=$(grep -E "^[0-9]+ passed, [0-9]+ failed" /tmp/make-check.log | tail -n 1)
grep -E "^\[(plain|asan)\].* (FAIL|SKIP) " /tmp/make-check.log
echo "RESULT: make check in $((SECONDS - start)) s: ${last:-no summary line}"
case $last in *" passed, 0 failed"*) exit 0 ;; *) exit 1 ;; esac
'

run_scenario() {
	local s=$1 root=$CACHE/$1/root rc
	log "scenario $s: fresh root, clean clone of $BRANCH"
	umount_below "$CACHE/$s"
	rm -rf --one-file-system "$CACHE/$s"
	mkdir -p "$CACHE/$s"
	cp -a "$base" "$root"
	git clone -q --branch "$BRANCH" "file://$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir)" "$root/src"
	git -C "$root/src" log --oneline -1 >&2
	if [ "$s" = run ]; then printf '%s' "$scenario_run" > "$root/scenario.sh"; else printf '%s' "$scenario_check" > "$root/scenario.sh"; fi
	rc=0
	timeout -k 30 "$TIMEOUT" systemd-nspawn -q -D "$root" -M "drover-fresh-$s" --register=no --keep-unit \
		--as-pid2 --capability=all --resolv-conf=copy-host \
		--setenv=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --setenv=LANG=C.UTF-8 \
		/bin/bash /scenario.sh < /dev/null 2>&1 | tee "$CACHE/$s.log" || rc=$?
	grep '^RESULT:' "$CACHE/$s.log" | tail -n 1 | sed "s/^/[$s] /" >> "$CACHE/results"
	[ "${KEEP:-0}" = 1 ] || rm -rf --one-file-system "$CACHE/$s"
	# nspawn leaves its propagation directory when /run is not a tmpfs
	rm -rf --one-file-system "/run/systemd/nspawn/propagate/drover-fresh-$s" 2> /dev/null || true
	return $rc
}

: > "$CACHE/results"
fails=0
for s in "${scenarios[@]}"; do
	run_scenario "$s" || fails=$((fails + 1))
done
log "results (logs: $CACHE/*.log):"
cat "$CACHE/results" >&2
[ "$fails" = 0 ]
