#!/bin/bash
# A signal that comes while droverd is exiting does not change how it ends. SIGTERM, then SIGHUP
# after SIGHUP without pause until droverd is gone (one of them lands after droverd has put its
# signal handling away, on its way out): every round ends with exit status 0. Seen failing as
# exit status 129, droverd killed by a SIGHUP's default action in that last moment (under ASan,
# whose leak scan at exit makes the moment long, in faults/hup-after-term).
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:w]
command = /bin/sleep 1000
startsecs = 0
stopwaitsecs = 1
EOF
ROUNDS=5
bad=0
for i in $(seq 1 "$ROUNDS"); do
	start_daemon
	wait_for 10 all_in_state RUNNING "" 1
	kill -TERM "$DAEMON_PID"
	n=0
	while proc_alive "$DAEMON_PID"; do
		kill -HUP "$DAEMON_PID" 2>/dev/null
		n=$((n + 1))
	done
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	log "round $i: $n SIGHUPs after SIGTERM; exit status $DAEMON_STATUS"
	[ "$DAEMON_STATUS" = 0 ] || { bad=$((bad + 1)); error "round $i: droverd exited with status $DAEMON_STATUS after SIGTERM (a SIGHUP during its exit)"; }
	no_workers_left || error "round $i: workers left: $(worker_pids | tr '\n' ' ')"
done
pass
