#!/bin/bash
# Reload applies probe settings in place: a changed health check keeps the worker's pid at the
# reload (updated, not restarted) and the new check is the one that runs from then on (it fails
# and restarts the worker); a move to ready = notify restarts the worker (its environment changes).
# timeout: 40
. "$(dirname "$0")/lib.sh"
read -r PORT <<< "$(free_ports 1)"
conf() {   # HEALTH READY
	write_config <<EOF
[program:w]
command = $PY -m http.server $PORT --bind 127.0.0.1 --directory $T
ready = $2
ready_interval = 0.1
startsecs = 10
health = $1
health_interval = 0.2
health_failures = 1
EOF
}
conf "tcp:127.0.0.1:$PORT" "tcp:127.0.0.1:$PORT"
start_daemon
wait_for 10 is_state w RUNNING
ok() { refresh_status && [ "$("$PY" -c 'import json,sys; print([o for o in json.load(open(sys.argv[1])) if o["name"]=="w"][0]["health"]["result"])' "$STATUS_JSON")" = ok ]; }
wait_for 5 ok
pid=$(last_field w pid)

conf "exec:exit 3" "tcp:127.0.0.1:$PORT"
ctl reload > "$T/reload.out"
grep -qx "updated: w.*" "$T/reload.out" || error "reload did not update w in place: $(cat "$T/reload.out")"
restarted() { refresh_status && [ "$(last_field w pid)" != "$pid" ] && [ "$(last_field w pid)" != 0 ]; }
wait_for 10 restarted
grep -q "health = exec:exit 3: exit status 3" "$DAEMON_LOG" || error "the new check did not run"
grep -q "stopping: w (pid $pid)" "$DAEMON_LOG" || error "w was not stopped by its failing check"

# back to a passing check, then ready = notify: restarted by the reload itself
conf "tcp:127.0.0.1:$PORT" "tcp:127.0.0.1:$PORT"
ctl reload > /dev/null
wait_for 10 is_state w RUNNING
wait_for 5 ok
pid=$(last_field w pid)
conf "tcp:127.0.0.1:$PORT" notify
ctl reload > "$T/reload.out"
grep -qx "changed: w.*" "$T/reload.out" || error "a move to ready = notify did not restart w: $(cat "$T/reload.out")"
wait_for 10 eval '[ "$(pid_of w)" != "$pid" ]'
stop_daemon
pass
