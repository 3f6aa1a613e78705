#!/bin/bash
# SIGTERM to droverd with workers (some with grandchildren, some ignoring SIGTERM) running: every worker
# and grandchild is gone, droverd exits 0, its IPC objects are gone; a second start with the same
# instance name works.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF2
[program:parent]
command = $WSLEEP -g 3 -p $T/grandchildren
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0
priority = 10

[program:plain]
command = /bin/sleep 1000
startsecs = 0
priority = 20

[program:stubborn]
command = $WSLEEP -T
startsecs = 0
stopwaitsecs = 1
priority = 30
EOF2

run_once() {
	local pids gc p
	start_daemon
	wait_for 10 all_in_state RUNNING "" 5
	wait_for 5 eval '[ "$(wc -l 2>/dev/null < "$T/grandchildren")" = 9 ]'
	pids=$(names_pids | awk '{ print $2 }')
	gc=$(cat "$T/grandchildren")
	log "workers: $(echo $pids); grandchildren: $(echo $gc)"
	[ "$(worker_pids | wc -l)" = 14 ] || fail "expected 14 processes of the instance, found $(worker_pids | wc -l)"
	stop_daemon TERM 10
	[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited with status $DAEMON_STATUS after SIGTERM, want 0"
	for p in $pids $gc; do
		[ -e "/proc/$p" ] && fail "pid $p (state $(proc_state "$p")) survived droverd's shutdown"
	done
	no_workers_left || fail "processes of the instance still alive: $(worker_pids)"
	left=$(ipc_objects "$NAME" | grep -v "/dev/shm/$NAME.lock\$")
	[ -z "$left" ] || fail "IPC objects left after a clean shutdown: $left"
	ctl version > /dev/null 2>&1 && fail "droverctl still reaches a daemon"
	rm -f "$T/grandchildren"
}

run_once
log "second start with the same name"
run_once
grep -i "already running" "$DAEMON_LOG" && fail "second start saw a stale instance"
# A clean shutdown has nothing to report as an error (the spawn helpers' exits were reaped twice,
# and the second waitid logged "No child processes" at every shutdown).
grep -E "droverd: (error|critical):" "$DAEMON_LOG" && fail "errors logged by a clean start and shutdown"
pass
