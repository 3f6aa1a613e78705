#!/bin/bash
# A user's `stop db` sticks: app depends on db with restart_with_dependency = true; stopping db
# restarts app, and app's start must not start db again behind the user's back (app takes a
# second to stop, so db is STOPPED by the time app starts again).
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

write_config <<EOF
[program:db]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 2

[program:app]
command = $WSLEEP -T
depends_on = db
restart_with_dependency = true
startsecs = 0
stopwaitsecs = 1
EOF
start_daemon
wait_for 5 all_in_state RUNNING "" 2
ctl stop db > "$T/stop.out" 2>&1 || fail "stop db: $(cat "$T/stop.out")"
log "stop db: $(cat "$T/stop.out")"
try_for 5 eval '[ "$(state_of db)" != STOPPED ]' &&
	error "db is $(last_field db state) again after the user's stop (app: $(last_field app state))"
log "db $(state_of db), app $(state_of app) ($(last_field app description))"
pass
