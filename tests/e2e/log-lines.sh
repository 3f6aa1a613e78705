#!/bin/bash
# droverd's lines say why. RUNNING "has stayed up for > than N seconds (startsecs)" only for a
# process that became RUNNING by startsecs; one that reported ready (scoreboard) says so. A worker
# killed for not becoming ready is logged with that reason, never as "terminated by SIGKILL; not
# expected". `restarts` counts the automatic restarts only: a user's start and restart do not count.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

write_config <<EOF
[program:ready]
command = $HELPERS/sb-worker -r
ready = scoreboard
startsecs = 3

[program:timed]
command = /bin/sleep 1000
startsecs = 1

[program:never]
command = $HELPERS/sb-worker -H
ready = scoreboard
startsecs = 1
startretries = 0

[program:crasher]
command = /bin/sh -c 'sleep 0.3; exit 3'
startsecs = 0
autorestart = true
EOF
start_daemon
wait_for 10 eval 'is_state ready RUNNING && is_state timed RUNNING && is_state never FATAL'

grep -q "success: ready entered RUNNING state, ready (ready = scoreboard)" "$DAEMON_LOG" ||
	error "ready: $(grep 'success: ready' "$DAEMON_LOG")"
grep -q "success: ready entered RUNNING state, process has stayed up" "$DAEMON_LOG" &&
	error "ready: the startsecs line for a worker that reported ready"
grep -q "success: timed entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)" "$DAEMON_LOG" ||
	error "timed: $(grep 'success: timed' "$DAEMON_LOG")"

grep -q "never: not ready within startsecs (1 s; ready = scoreboard): start failed, killing pid" "$DAEMON_LOG" ||
	error "never: $(grep 'never' "$DAEMON_LOG")"
grep -q "exited: never (killed: not ready within 1 s (startsecs))" "$DAEMON_LOG" ||
	error "never's exit: $(grep 'exited: never' "$DAEMON_LOG")"
grep "exited: never" "$DAEMON_LOG" | grep -q "SIGKILL; not expected" && error "never's exit logged as an unexpected SIGKILL"
[ "$(field_of never description)" = "not ready within 1 s (startsecs)" ] || error "never: description '$(last_field never description)'"

# restarts: automatic ones only.
ctl restart timed >/dev/null || fail "restart timed"
ctl stop timed >/dev/null; ctl start timed >/dev/null || fail "start timed"
[ "$(field_of timed restarts)" = 0 ] || error "timed: restarts $(last_field timed restarts) after a user's restart and start, want 0"
wait_for 10 eval '[ "$(field_of crasher restarts)" -ge 2 ]'
pass
