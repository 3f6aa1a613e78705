#!/bin/bash
# A worker that waited for a dependency is tracked once it spawns: its exit is seen (and, with
# autorestart, it is restarted), and droverd never signals its pid after that. Inside a PID
# namespace of the test's own (droverd is PID 1 and reaps a steady stream of orphans, which
# rebuilds its pid index while app waits): once app's first pid is dead, the test puts an
# unrelated process of its own (setsid: the leader of a group with that id) at that pid, and
# `stop app` (stopasgroup = true) must not reach it. SIGTERM then ends droverd.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers pid-place
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"
PLACE=$HELPERS/pid-place

write_config <<EOF
[program:orph]
command = /bin/sh -c 'while :; do (setsid sleep 0.2 &); sleep 0.3; done'
startsecs = 0

[program:db]
command = /bin/sleep 1000
autostart = false
startsecs = 2

[program:app]
command = /bin/sh -c 'sleep 3; exit 1'
depends_on = db
autostart = false
autorestart = true
startsecs = 1
stopasgroup = true
stopwaitsecs = 2
EOF
launch_daemon unshare --pid --fork --mount-proc --kill-child
wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
inner=$(children_of "$DAEMON_PID")
DAEMON_PIDS+=("$inner")   # clean-up signals droverd itself: unshare does not pass SIGTERM on
CTL_PREFIX=(nsenter -t "$inner" -p -m)
wait_daemon_ready
in_ns() { nsenter -t "$inner" -p -m "$@"; }
ns_alive() { in_ns sh -c "kill -0 $1 2>/dev/null && ! grep -q '^State:.*Z' /proc/$1/status"; }

wait_for 5 is_state orph RUNNING
ctl start --no-wait app > /dev/null || fail "start app"
wait_for 10 is_state app RUNNING
P=$(last_field app pid)
log "app RUNNING with pid $P (in the namespace)"
wait_for 10 eval '! ns_alive '"$P"
try_for 3 eval '[ "$(pid_of app)" != "$P" ]' ||
	error "app's exit was lost: status still shows $(last_field app state) with pid $P, which is dead"

# An unrelated process of the test's own takes pid P, in a group of its own (id P).
placed=
for i in 1 2 3 4 5; do
	rm -f "$T/squat"
	in_ns "$PLACE" -s -o "$T/squat" "$P" &
	wait_for 5 test -s "$T/squat"
	if grep -q "^placed $P $P\$" "$T/squat"; then placed=1; break; fi
	log "pid $P not taken: $(cat "$T/squat") (retrying)"
done
[ -n "$placed" ] || skip "could not place a process at pid $P"
ctl stop --no-wait app > /dev/null
try_for 3 grep -q "^TERM $P" "$T/squat" &&
	error "stop app (stopasgroup) sent SIGTERM to the unrelated process group $P"

# SIGTERM to droverd: the shutdown completes.
kill -TERM "$inner"
try_for 15 _gone "$DAEMON_PID" || error "droverd did not finish its shutdown within 15 s of SIGTERM"
pass
