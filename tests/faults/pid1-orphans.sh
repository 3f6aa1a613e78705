#!/bin/bash
# droverd as PID 1 of a PID namespace (issue 7 #7, RELIABILITY T03), under load: 3 workers each
# double-fork 30 orphans that exit after 0-1.5 s, and one worker ignores SIGTERM. All 90 orphans are
# adopted by droverd (PID 1) and reaped (0 zombies 2 s after the last exit); SIGTERM is honoured:
# every worker gone (the stubborn one by SIGKILL after stopwaitsecs = 1) and exit 0, droverd's
# shutdown by its own log times within stopwaitsecs + 1 s (under ASan 2 s more: its spawn helpers'
# exit); then in a second run the same for SIGINT. (e2e/pid1.sh covers the plain case.)
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep fault-grandkids
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"

write_config <<EOF2
[program:orphaner]
command = $HELPERS/fault-grandkids -n 30 -a 0 -m 1500 -p $T/orphans.%(process_num)d
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1

[program:stubborn]
command = $WSLEEP -T
startsecs = 0
stopwaitsecs = 1

[program:plain]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 1
EOF2

RESULTS=
run_as_pid1() { # SIGNAL
	local sig=$1 inner ms t_last reaped_ms adopted from
	rm -f "$T"/orphans.*
	from=$(($(wc -l < "$DAEMON_LOG" 2>/dev/null || echo 0) + 1))
	CTL_PREFIX=()
	launch_daemon unshare --pid --fork --mount-proc --kill-child
	wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
	inner=$(children_of "$DAEMON_PID")
	CTL_PREFIX=(nsenter -t "$inner" -p -m)
	wait_daemon_ready
	[ "$(awk '/^NSpid:/ { print $3 }' "/proc/$inner/status")" = 1 ] || fail "droverd is not PID 1 in its namespace"
	wait_for 10 all_in_state RUNNING "" 5
	wait_for 10 eval '[ "$(cat "$T"/orphans.* 2>/dev/null | grep -c "^exit")" = 90 ]'
	t_last=$(now_ms)
	wait_for 10 eval '[ "$(count_zombies_of "$inner")" = 0 ] && [ "$(children_of "$inner" | wc -l)" = 5 ]'
	reaped_ms=$(($(now_ms) - t_last))
	adopted=$(cat "$T"/orphans.* | awk '$1 == "exit" && $3 == 1' | wc -l)
	[ "$adopted" = 90 ] || error "SIG$sig run: $adopted of 90 orphans adopted by PID 1"
	t0=$(now_ms)
	kill -s "$sig" "$inner"
	try_for 15 _gone "$DAEMON_PID" || fail "droverd (PID 1) still running 15 s after SIG$sig"
	ms=$(($(now_ms) - t0))
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	own=$(shutdown_ms "$from")
	log "SIG$sig: droverd (PID 1) exited with status $DAEMON_STATUS after $(fmt_ms $ms)s (its own shutdown ${own:-?} ms)"
	[ "$DAEMON_STATUS" = 0 ] || error "droverd as PID 1 exited $DAEMON_STATUS after SIG$sig, want 0"
	[ -n "$own" ] && [ "$own" -le "$SHUTDOWN_MAX_MS" ] ||
		error "SIG$sig: droverd's shutdown took ${own:-?} ms by its log, want <= $SHUTDOWN_MAX_MS ms (stopwaitsecs + 1 s)"
	tail -n "+$from" "$DAEMON_LOG" | grep -q "killing: stubborn.*SIGKILL" || error "SIG$sig: the stubborn worker was not escalated to SIGKILL"
	no_workers_left || error "workers left after SIG$sig: $(worker_pids | tr '\n' ' ')"
	RESULTS="$RESULTS SIG$sig: 90/90 orphans reaped ${reaped_ms} ms after the last exit, exit $DAEMON_STATUS in $ms ms;"
}

run_as_pid1 TERM
run_as_pid1 INT
measured "$RESULTS"
pass
