#!/bin/bash
# A user's start of a process waiting for a dependency the user stopped starts that dependency:
# `stop db` restarts app (restart_with_dependency), which then waits for db; `start app` answers
# "already started" (as supervisord does for STARTING) but must lift the user's stop of db, or app
# waits for good. A user's start of a dependant that is down already did so; one that waits did not.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF
[program:db]
command = $WSLEEP
startsecs = 0

[program:app]
command = $WSLEEP
depends_on = db
restart_with_dependency = true
startsecs = 0
EOF
start_daemon
wait_for 5 all_in_state RUNNING "" 2
ctl stop db > "$T/stop.out" 2>&1 || fail "stop db: $(cat "$T/stop.out")"
_waiting() { [ "$(state_of app)" = STARTING ] && [ "$(last_field db state)" = STOPPED ]; }
wait_for 5 _waiting
log "after stop db: app $(last_field app state) ($(last_field app description)), db $(last_field db state)"
ctl start app > "$T/start.out" 2>&1
log "start app: $(cat "$T/start.out")"
try_for 8 all_in_state RUNNING "" 2 ||
	error "after the user's start of app: app is $(last_field app state) ($(last_field app description)), db is $(last_field db state)"
pass
