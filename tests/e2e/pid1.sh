#!/bin/bash
# droverd as PID 1 of a PID namespace (`unshare --pid --fork --mount-proc`), as in a container:
# orphans double-forked by workers are reaped (no zombie), SIGTERM is honoured (all workers gone,
# exit 0 within stopwaitsecs + 1 s), and in a second run SIGINT is honoured the same way.
# (PID 1 only receives the signals it has installed handlers for.)
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"

write_config <<EOF2
[program:orphaner]
command = $WSLEEP -o 200 -p $T/orphans.%(process_num)d
numprocs = 5
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 2

[program:plain]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 2
EOF2

run_as_pid1() { # SIGNAL
	local sig=$1 inner ms t0 z
	rm -f "$T"/orphans.*
	CTL_PREFIX=()
	launch_daemon unshare --pid --fork --mount-proc --kill-child
	wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
	inner=$(children_of "$DAEMON_PID")
	# droverctl runs inside the namespace, as `docker exec` would: droverd checks that the pid in a
	# reply queue's name exists, which a pid from outside its namespace does not.
	CTL_PREFIX=(nsenter -t "$inner" -p -m)
	wait_daemon_ready
	log "unshare pid $DAEMON_PID, droverd pid $inner (PID $(awk '/^NSpid:/ { print $3 }' "/proc/$inner/status") in its namespace)"
	[ "$(awk '/^NSpid:/ { print $3 }' "/proc/$inner/status")" = 1 ] || fail "droverd is not PID 1 in its namespace"
	wait_for 10 all_in_state RUNNING "" 6
	# Each orphaner double-forked an orphan that exits after 200 ms: all of them are reaped.
	wait_for 5 eval '[ "$(cat "$T"/orphans.* 2>/dev/null | grep -c "^exited")" = 5 ]'
	wait_for 3 eval '[ "$(children_of "$inner" | wc -l)" = 6 ] && [ "$(count_zombies_of "$inner")" = 0 ]'
	log "5 orphans reaped by droverd as PID 1"
	t0=$(now_ms)
	kill -s "$sig" "$inner"
	wait_for 3 _gone "$DAEMON_PID"
	ms=$(($(now_ms) - t0))
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	log "SIG$sig: droverd (PID 1) exited with status $DAEMON_STATUS after $(fmt_ms $ms)s"
	[ "$DAEMON_STATUS" = 0 ] || fail "droverd as PID 1 exited $DAEMON_STATUS after SIG$sig, want 0"
	no_workers_left || fail "workers left after SIG$sig: $(worker_pids)"
}

run_as_pid1 TERM
run_as_pid1 INT
pass
