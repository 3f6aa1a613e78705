#!/bin/sh
# bench/install-peers.sh — install Debian's supervisor, runit, s6 and daemontools for `make bench`, WITHOUT
# starting any of their system services, and gnuplot (gnuplot-nox: no X) for the cost curve's plot.
#
# A policy-rc.d that exits 101 is in place for the duration of apt-get (a pre-existing one is put back
# afterwards, byte for byte); --no-install-recommends keeps runit-run (the package that hooks runsvdir into the
# system init) out.  After the install we check that no process of theirs runs outside the benchmark; if one
# was started anyway (it should not be), only the pids of that package's daemon are stopped.
#
# Not root and something missing: print the command and go on with what is installed.
set -u

want=""
command -v supervisord >/dev/null 2>&1 || want="$want supervisor"
command -v runsvdir >/dev/null 2>&1 || want="$want runit"
command -v s6-svscan >/dev/null 2>&1 || want="$want s6"
command -v svscan >/dev/null 2>&1 || want="$want daemontools"
command -v gnuplot >/dev/null 2>&1 || want="$want gnuplot-nox"
[ -z "$want" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: peers missing:$want; to compare with them run as root: apt-get install --no-install-recommends$want" >&2
	exit 0
fi

# Pids of peer daemons that run before the install: never touched by us.
peer_pids() { pgrep -x 'supervisord|runsvdir|runsv|s6-svscan|s6-supervise|svscan|supervise|svscanboot' 2>/dev/null | sort; }
# supervisord is a python script: its process name is python3.
sup_pids() { pgrep -f '(^|/)supervisord( |$)' 2>/dev/null | sort; }
before=$( { peer_pids; sup_pids; } | sort -u)

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ] || [ -L "$policy" ]; then
	backup=$(mktemp /usr/sbin/.policy-rc.d.bench.XXXXXX)
	cp -p "$policy" "$backup"
fi
restore() {
	if [ -n "$backup" ]; then
		mv -f "$backup" "$policy"
	else
		rm -f "$policy"
	fi
}
trap 'restore; exit 1' INT TERM HUP
printf '#!/bin/sh\n# written by drover bench/install-peers.sh: start no service during the install\nexit 101\n' > "$policy"
chmod 0755 "$policy"

echo "bench: installing$want (services not started)" >&2
export DEBIAN_FRONTEND=noninteractive
rc=0
# One package at a time so that one that is unavailable does not stop the others (daemontools is optional).
for p in $want; do
	apt-get install -y -q --no-install-recommends "$p" >/dev/null 2>&1 || {
		apt-get update -q >/dev/null 2>&1
		apt-get install -y -q --no-install-recommends "$p" >/dev/null 2>&1 || { echo "bench: could not install $p" >&2; rc=1; }
	}
done
restore
trap - INT TERM HUP

# No system service of theirs may run now.  Anything new is a service the package started despite policy-rc.d:
# stop exactly those pids (the package's own daemon), nothing else.
after=$( { peer_pids; sup_pids; } | sort -u)
tmpb=$(mktemp); printf '%s\n' "$before" | sed '/^$/d' | sort > "$tmpb"
new=$(printf '%s\n' "$after" | sed '/^$/d' | sort | comm -13 "$tmpb" -)
rm -f "$tmpb"
# Only daemons (parent = init) count: a peer some other test started by hand is not a system service.
daemons=""
for p in $new; do
	[ "$(awk '{print $4}' /proc/$p/stat 2>/dev/null)" = 1 ] && daemons="$daemons $p"
done
new=$daemons
if [ -n "$new" ]; then
	echo "bench: a peer's system service started during the install; stopping it: $(echo $new)" >&2
	for p in $new; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	for p in $new; do kill -KILL "$p" 2>/dev/null; done
fi
exit $rc
