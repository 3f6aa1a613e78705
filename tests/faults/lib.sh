# tests/faults/lib.sh — sourced (bash) by every fault-injection test: tests/e2e/lib.sh (instance, temp
# dir, daemon, waits, cleanup: read it first) plus what the fault tests share. The runner skips
# this file (it runs every other tests/faults/*.sh).
#
# A fault test prints one line starting "measured:" with its figures, then PASS or FAIL: reasons.
# Durations are compressed and scaled down under ASan/UBSan (DROVER_SANITIZED=1): see scaled.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

# scaled PLAIN ASAN: the figure for this build tree.
scaled() { if [ "$DROVER_SANITIZED" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# measured TEXT: the one line a fault test prints with what it measured.
measured() { log "measured: $*"; }

# status_py CODE...: run python CODE with `d` = the last status document (a list of objects).
status_py() { "$PY" -c "import json, sys
d = json.load(open(sys.argv[1]))
$1" "$STATUS_JSON" "${@:2}"; }

# total_restarts [PREFIX]: the sum of `restarts` over the processes (whose name starts with PREFIX),
# from a fresh status.
total_restarts() {
	refresh_status >&2 || return 1
	status_py 'p = sys.argv[2] if len(sys.argv) > 2 else ""
print(sum(o.get("restarts") or 0 for o in d if o["name"].startswith(p) or o["name"].split(":")[-1].startswith(p)))' "${1:-}"
}

# zombie_pids PID: the pids of PID's children in state Z, one a line.
zombie_pids() {
	local c s
	for c in $(children_of "$1"); do
		s=$(proc_state "$c") && [ "$s" = Z ] && echo "$c"
	done
	return 0
}

# ZOMBIE_SEEN / check_zombies PID: call repeatedly while a load runs. A zombie of PID is normal for a
# moment (it died, droverd has not run its SIGCHLD handler yet); one still a zombie at the next call
# >= 500 ms later is a leak: it is recorded in ZOMBIE_LEAKS.
ZOMBIE_SEEN=" "
ZOMBIE_SEEN_MS=0
ZOMBIE_LEAKS=
ZOMBIE_SAMPLES=0
check_zombies() {
	local now z
	now=$(now_ms)
	[ $((now - ZOMBIE_SEEN_MS)) -ge 500 ] || return 0
	ZOMBIE_SAMPLES=$((ZOMBIE_SAMPLES + 1))
	for z in $(zombie_pids "$1"); do
		case $ZOMBIE_SEEN in *" $z "*) ZOMBIE_LEAKS="$ZOMBIE_LEAKS $z" ;; esac
	done
	ZOMBIE_SEEN=" $(zombie_pids "$1" | tr '\n' ' ') "
	ZOMBIE_SEEN_MS=$now
}

# fd_names PID: "FD -> TARGET" lines of PID's descriptors.
fd_names() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		echo "${f##*/} -> $(readlink "$f")"
	done
}

# start_poller FILE [INTERVAL]: in the background, `droverctl status` every INTERVAL seconds (0.1),
# appending "ok MS" or "fail RC MS" lines to FILE; stop_poller ends it. (The sleep paces the load.)
POLLER_PID=
start_poller() {
	local out=$1 every=${2:-0.1}
	(
		trap 'exit 0' TERM
		while :; do
			t0=${EPOCHREALTIME/./}
			"${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" --timeout 5 status > /dev/null 2> "$out.err"
			rc=$?
			t1=${EPOCHREALTIME/./}
			if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
				echo "ok $(((t1 - t0) / 1000))"
			elif [ "$rc" = 4 ] && grep -q "Too many open files" "$out.err"; then
				# droverctl could not create its reply queue: root's POSIX queue memory
				# (RLIMIT_MSGQUEUE, shared by every suite on the machine) is used up.
				echo "quota $(((t1 - t0) / 1000))"
			else
				echo "fail $rc $(((t1 - t0) / 1000))"
			fi
			sleep "$every"   # pacing of the polling load
		done
	) >> "$out" 2>&1 &
	POLLER_PID=$!
}
stop_poller() {
	[ -n "$POLLER_PID" ] || return 0
	kill -TERM "$POLLER_PID" 2>/dev/null
	wait "$POLLER_PID" 2>/dev/null
	POLLER_PID=
}
# poller_summary FILE: "N ok, N failed, max MS, p99 MS" (+ ", N quota" when droverctl itself could
# not create its reply queue: that is not droverd failing to answer)
poller_summary() {
	local n f max p99 q
	n=$(grep -c '^ok ' "$1"); f=$(grep -c '^fail ' "$1")
	max=$(awk '$1 == "ok" { print $2 }' "$1" | sort -n | tail -n 1)
	p99=$(awk '$1 == "ok" { print $2 }' "$1" | sort -n | awk -v n="$n" 'NR == int((n - 1) * 0.99) + 1 { print; exit }')
	q=$(grep -c '^quota ' "$1")
	echo "$n ok, $f failed, max ${max:-0} ms, p99 ${p99:-0} ms$([ "$q" = 0 ] || echo ", $q quota")"
}

# shutdown_ms [FROM]: droverd's own time, in ms, from its "received SIG..." line to its "droverd
# stopped" line (its log from line FROM on); nothing when either is missing. A shutdown timed by
# the test from its kill to the exit it polls for also holds the test's polling and, under ASan,
# LeakSanitizer's scan at droverd's exit: seconds on a loaded machine.
shutdown_ms() {
	tail -n "+${1:-1}" "$DAEMON_LOG" | awk '
		function ms(t) {   # 2026-12-03T16:58:58.268+00:00 -> ms of the day
			return ((substr(t, 12, 2) * 60 + substr(t, 15, 2)) * 60 + substr(t, 18, 2)) * 1000 + substr(t, 21, 3)
		}
		$2 != "droverd:" { next }
		t0 == "" && $4 == "received" && $5 ~ /^SIG/ { t0 = ms($1); next }
		t0 != "" && $4 == "droverd" && $5 == "stopped" && NF == 5 { d = ms($1) - t0; if (d < 0) d += 86400000; print d; exit }'
}
# SHUTDOWN_MAX_MS: what that may be with stopwaitsecs = 1: the stop (1 s, then SIGKILL) and 1 s;
# under ASan 2 s more: droverd waits up to 1 s for its spawn helpers to exit (their own
# LeakSanitizer scan), then up to 1 s for its last children in its final reaping loop.
SHUTDOWN_MAX_MS=$(scaled 2000 4000)

# Extra clean-up steps (umount, killing helpers) run before lib.sh's own clean-up.
FAULT_CLEANUP=()
_fault_cleanup() {
	local rc=$? c
	for c in "${FAULT_CLEANUP[@]}"; do eval "$c" 2>/dev/null; done
	stop_poller 2>/dev/null
	(exit "$rc")
	_cleanup
}
trap _fault_cleanup EXIT
