#!/bin/bash
# A reload that drops the dependency a process waits for lets it spawn: app (depends_on = db, slow)
# waits for slow (startsecs = 30); a reload to depends_on = db changes app in place, and nothing
# else would wake it (slow is no longer its dependency when it comes up; db is up already), so
# before the fix app said "waiting for slow" for good.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

conf() {
	write_config <<EOF
[program:db]
command = $WSLEEP
startsecs = 0

[program:slow]
command = $WSLEEP
startsecs = 30

[program:app]
command = $WSLEEP
depends_on = $1
startsecs = 0
EOF
}
conf "db, slow"
start_daemon
_waiting() { [ "$(state_of app)" = STARTING ] && [ "$(last_field slow state)" = STARTING ] &&
	[ "$(last_field db state)" = RUNNING ]; }
wait_for 5 _waiting
log "app: $(last_field app state) ($(last_field app description))"
conf db
ctl reload > "$T/reload.out" 2>&1 || fail "reload: $(cat "$T/reload.out")"
log "reload: $(tr '\n' ' ' < "$T/reload.out")"
try_for 5 is_state app RUNNING ||
	error "after the reload dropped slow from app's depends_on: app is $(last_field app state) ($(last_field app description)), slow $(last_field slow state)"
pass
