#!/bin/bash
# restart_with_dependency: when db leaves RUNNING (its worker crashed: autorestart brings it back),
# app (depends_on = db, restart_with_dependency = true) is restarted once, and after db is RUNNING
# again; cron (depends_on = db, without it) and solo (no dependency) keep their workers.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:db]
command = /bin/sleep 1000
startsecs = 1
autorestart = true
[program:app]
command = /bin/sleep 1001
startsecs = 0
depends_on = db
restart_with_dependency = true
[program:cron]
command = /bin/sleep 1002
startsecs = 0
depends_on = db
[program:solo]
command = /bin/sleep 1003
startsecs = 0
EOF2
start_daemon
wait_for 15 all_in_state RUNNING "" 4
app=$(last_field app pid) cron=$(last_field cron pid) solo=$(last_field solo pid)
db=$(last_field db pid)

kill -KILL "$db"
wait_for 10 eval '[ "$(state_of db)" = RUNNING ] && [ "$(last_field db pid)" != "$db" ]'
wait_for 10 eval '[ "$(state_of app)" = RUNNING ] && [ "$(last_field app pid)" != "$app" ]'
[ "$(last_field app restarts)" = 1 ] || fail "app restarted $(last_field app restarts) times, want 1"
# app's new worker was spawned only once db was RUNNING again (startsecs = 1 after db's respawn).
[ "$(last_field cron pid)" = "$cron" ] || fail "cron was restarted (it has no restart_with_dependency)"
[ "$(last_field solo pid)" = "$solo" ] || fail "solo was restarted"
grep -q "app: waiting for db" "$DAEMON_LOG" || fail "app did not wait for db to come back"
daemon_alive || fail "droverd died"
pass
