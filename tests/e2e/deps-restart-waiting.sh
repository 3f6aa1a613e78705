#!/bin/bash
# A restart of a process that waits for a dependency (STARTING, no pid yet) does not lose it:
# (1) `restart --no-wait app` while app waits for db: once db is RUNNING, app is RUNNING too;
# (2) a waited `restart app` in the same situation succeeds;
# (3) a reload that changes app while it waits: app still starts, with the new command.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:db]
command = /bin/sleep 1000
autostart = false
startsecs = 2

[program:app]
command = /bin/sleep 1001
depends_on = db
autostart = false
startsecs = 0
EOF
app_waits() { [ "$(state_of app)" = STARTING ] && { [ -z "$(last_field app pid)" ] || [ "$(last_field app pid)" = 0 ]; }; }
start_daemon

# (1)
ctl start --no-wait app > /dev/null || fail "start app"
wait_for 2 app_waits
ctl restart --no-wait app > /dev/null || error "restart --no-wait of a waiting app failed"
wait_for 5 is_state db RUNNING
try_for 3 is_state app RUNNING || error "(1) after restart of a waiting app: app is $(state_of app) ($(last_field app description)) although db is RUNNING"

# (2)
ctl stop app db > /dev/null
ctl start --no-wait app > /dev/null || fail "start app"
wait_for 2 app_waits
timeout 20 "${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" restart --timeout 8 app > "$T/restart.out" 2>&1 || error "(2) waited restart of a waiting app failed: $(cat "$T/restart.out")"
try_for 3 is_state app RUNNING || error "(2) app is $(state_of app) after a waited restart"

# (3)
ctl stop app db > /dev/null
ctl start --no-wait app > /dev/null || fail "start app"
wait_for 2 app_waits
sed -i 's|/bin/sleep 1001|/bin/sleep 1002|' "$CONF"
ctl reload > "$T/reload.out" 2>&1 || fail "reload failed: $(cat "$T/reload.out")"
wait_for 5 is_state db RUNNING
try_for 3 is_state app RUNNING || error "(3) after a reload that changed a waiting app: app is $(state_of app) ($(last_field app description))"
pid=$(pid_of app)
[ -n "$pid" ] && [ "$pid" != 0 ] && ! tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'sleep 1002' &&
	error "(3) app runs $(tr '\0' ' ' < "/proc/$pid/cmdline"), not the reloaded command"
pass
