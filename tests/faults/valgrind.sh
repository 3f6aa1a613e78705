#!/bin/bash
# droverd under valgrind memcheck (issue 7 #10, RELIABILITY T36's exit audit) through the chaos
# scenario scaled down: 10 programs dying at random every 0-600 ms (200 crash/restart cycles: slower
# than chaos-compressed.sh, spawning under valgrind is slow), status polled, plus
# ctl stop/start, a SIGHUP reload that changes, adds and removes programs, and SIGUSR1. Then SIGTERM.
# Pass: exit 0 (valgrind --error-exitcode=9), 0 errors, 0 definitely lost bytes, and at exit no
# descriptor open but 0, 1, 2 (and valgrind's own log). The status polls are reported, not judged
# here (crashloop-starvation.sh judges responsiveness under churn). valgrind 3.19 does not know
# pidfd_open (syscall 434): droverd falls back to kill() under it, and valgrind warns in its log. Plain build only (skipped under ASan: the two do not mix).
# timeout: 120
. "$(dirname "$0")/lib.sh"
need_helpers fault-chaos
[ "$DROVER_SANITIZED" = 1 ] && skip "valgrind runs against the plain build only (this tree is ASan/UBSan)"
command -v valgrind > /dev/null || skip "valgrind missing (apt-get install valgrind; mk/deps.sh does not install it yet)"

CYCLES=200
HOLD=$T/hold
touch "$HOLD"
VG_LOG=$ART/valgrind.log
chaos_programs() {
	for i in $(seq 0 $(($1 - 1))); do
		printf '[program:c%d]\ncommand = %s -m 600 -f %s -H %s\nstartsecs = 0\nautorestart = true\nstopwaitsecs = 1\n\n' \
			"$i" "$HELPERS/fault-chaos" "$T/spawn.c$i" "$HOLD"
	done
}
{ chaos_programs 10; printf '[program:steady]\ncommand = /bin/sleep 1000\nstartsecs = 0\nstopwaitsecs = 1\n\n'; } | write_config
start_daemon valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
	--track-fds=yes --log-file="$VG_LOG" --child-silent-after-fork=yes
log "droverd under valgrind: pid $DAEMON_PID"
# Workers held alive (fault-chaos -H) until droverd is up and answering, then released.
wait_for 30 all_in_state RUNNING "" 11
rm -f "$HOLD"

start_poller "$T/poll.log" 0.2
r0=$(total_restarts c)
want=$((r0 + CYCLES))
end=$(($(now_ms) + 90000))
while :; do
	r=$(total_restarts c) || { daemon_alive || fail "droverd died under valgrind"; continue; }
	[ "$r" -ge "$want" ] && break
	[ "$(now_ms)" -lt "$end" ] || fail "only $((r - r0)) of $CYCLES restarts after 90 s under valgrind"
	sleep 0.2   # pacing of the sampling
done
touch "$HOLD"   # churn over: the rest runs against a calm daemon
# Control traffic and a reload that changes c0, removes c9, adds extra.
ctl stop steady > /dev/null || error "stop steady failed"
ctl start steady > /dev/null || error "start steady failed"
{ chaos_programs 9 | sed 's/-m 600 -f/-m 700 -f/'; printf '[program:steady]\ncommand = /bin/sleep 1000\nstartsecs = 0\nstopwaitsecs = 1\n\n[program:extra]\ncommand = /bin/sleep 1001\nstartsecs = 0\nstopwaitsecs = 1\n'; } | write_config
kill -HUP "$DAEMON_PID"
kill -USR1 "$DAEMON_PID"
wait_for 30 eval 'all_in_state RUNNING extra 1 && ! _st get "$STATUS_JSON" c9 state > /dev/null'
stop_poller
polls=$(poller_summary "$T/poll.log")
stop_daemon TERM 60
r=$(grep -c . "$T"/spawn.c* | awk -F: '{ s += $2 } END { print s }')
log "valgrind: droverd exited $DAEMON_STATUS; status polls: $polls"
[ "$DAEMON_STATUS" = 0 ] || error "droverd under valgrind exited $DAEMON_STATUS (9: valgrind found errors)"
[ -s "$VG_LOG" ] || fail "no valgrind log at $VG_LOG"
errors=$(grep -o 'ERROR SUMMARY: [0-9]*' "$VG_LOG" | tail -n 1 | awk '{ print $3 }')
definite=$(grep -o 'definitely lost: [0-9,]* bytes' "$VG_LOG" | tail -n 1 | awk '{ print $3 }' | tr -d ,)
extra_fds=$(grep -o 'Open file descriptor [0-9]*:.*' "$VG_LOG" | grep -vE 'descriptor [012]:' | grep -vF "$VG_LOG" | sed 's/Open file descriptor //')
# -q prints nothing when all is well: no summary line means 0 errors.
errors=${errors:-0} definite=${definite:-0}
[ "$errors" = 0 ] || error "valgrind: $errors errors (see $VG_LOG)"
[ "$definite" = 0 ] || error "valgrind: $definite bytes definitely lost"
[ -z "$extra_fds" ] || error "descriptors open at droverd's exit besides 0, 1, 2: $(echo "$extra_fds" | tr '\n' ';')"
[ "$errors" = 0 ] && [ "$definite" = 0 ] || head -n 60 "$VG_LOG"
measured "under valgrind: $r spawns of chaos workers, reload + ctl traffic, status polls $polls; exit $DAEMON_STATUS, errors $errors, definitely lost $definite bytes, extra fds at exit ${extra_fds:-none}"
pass
