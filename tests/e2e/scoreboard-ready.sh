#!/bin/bash
# Issue 4, test 2: ready = scoreboard. A worker is RUNNING only after it reports ready (never
# before: it logs the moment it reports); a worker that never reports fails each start after
# startsecs (SIGKILL, "not ready within startsecs") and goes BACKOFF, then FATAL.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

write_config <<EOF
[program:late]
command = $HELPERS/sb-worker -r -R 1500 -f $T/late.events
ready = scoreboard
startsecs = 10

[program:never]
command = $HELPERS/sb-worker -H
ready = scoreboard
startsecs = 1
startretries = 1
EOF
start_daemon
# BACKOFF lasts a second: droverd's own waiter sees it even when this loaded machine's polls do not.
ctl wait BACKOFF never --timeout 20 > "$T/wait-backoff.out" 2>&1 &
waiter=$!

# Until it reports, 'late' stays STARTING.
saw_backoff=0
late_ok() {
	local st
	refresh_status || return 1
	st=$(last_field late state)
	[ "$(last_field never state)" = BACKOFF ] && saw_backoff=1
	if [ ! -s "$T/late.events" ]; then
		[ "$st" = STARTING ] || fail "late is $st before it reported ready"
		return 1
	fi
	[ "$st" = RUNNING ]
}
wait_for 10 late_ok
log "late: RUNNING after its report ($(cat "$T/late.events"))"

never_fatal() {
	refresh_status || return 1
	[ "$(last_field never state)" = BACKOFF ] && saw_backoff=1
	[ "$(last_field never state)" = FATAL ]
}
wait_for 15 never_fatal
wait "$waiter" && saw_backoff=1
log "polls and droverctl wait BACKOFF: $saw_backoff ($(cat "$T/wait-backoff.out"))"
[ "$saw_backoff" = 1 ] || error "never: BACKOFF was not seen before FATAL ($(cat "$T/wait-backoff.out"))"
grep -q "never: not ready within startsecs" "$DAEMON_LOG" || error "no 'not ready within startsecs' in the log"
[ "$(last_field never restarts)" -ge 1 ] || error "never: restarts $(last_field never restarts)"
log "$(ctl status)"
# Once FATAL, no more attempts; 'late' untouched.
pid=$(pid_of late)
hold_for 2 eval '[ "$(state_of never)" = FATAL ] && [ "$(last_field late pid)" = "$pid" ]'
daemon_alive || fail "droverd died"
pass
