#!/bin/bash
# An exit policy with droverd as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`,
# the way a container starts it): the job's exit takes droverd down with every worker stopped and
# every orphan reaped, and the parent sees the job's status as droverd's (what `docker run` or a
# Kubernetes pod report). Then the runtime's stop: SIGTERM to PID 1, exit 0.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"

# inner_pid: droverd's pid as seen from here (the child of unshare).
inner_pid() { children_of "$DAEMON_PID"; }

launch_pid1() {
	CTL_PREFIX=()
	launch_daemon unshare --pid --fork --mount-proc --kill-child
	wait_for 5 eval '[ -n "$(inner_pid)" ]'
	INNER=$(inner_pid)
	CTL_PREFIX=(nsenter -t "$INNER" -p -m)
	wait_daemon_ready
	[ "$(awk '/^NSpid:/ { print $3 }' "/proc/$INNER/status")" = 1 ] || fail "droverd is not PID 1 in its namespace"
}

write_config <<EOF
[program:web]
command = $WSLEEP -o 100 -p $T/orphans -E -l $T/stops
priority = 20
startsecs = 0

[program:migrate]
command = /bin/sh -c 'while ! [ -e $T/go ]; do sleep 0.05; done; exit 42'
startsecs = 0
shutdown_on = exit
EOF
launch_pid1
wait_for 5 eval '[ "$(grep -c "^exited" "$T/orphans" 2>/dev/null)" = 1 ]'
touch "$T/go"   # the job ends now
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
log "unshare (droverd as PID 1) exited $DAEMON_STATUS"
[ "$DAEMON_STATUS" = 42 ] || error "the namespace's PID 1 exited $DAEMON_STATUS, want the job's 42"
grep -q TERM "$T/stops" || error "web was not stopped by droverd (SIGTERM)"
no_workers_left || error "workers left: $(worker_pids)"
grep -q "droverd stopped: exit status 42" "$DAEMON_LOG" || error "droverd did not stop cleanly"

# the runtime's stop: SIGTERM to PID 1 (no policy decided anything): 0
rm -f "$T/stops" "$T/go"
launch_pid1
wait_for 5 all_in_state RUNNING "" 2
kill -TERM "$INNER"
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 0 ] || error "PID 1 exited $DAEMON_STATUS after SIGTERM, want 0"
no_workers_left || error "workers left after SIGTERM: $(worker_pids)"
pass
