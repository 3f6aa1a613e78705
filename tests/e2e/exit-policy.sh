#!/bin/bash
# Exit policies for containers: a program's shutdown_on (exit, unexpected, fatal) and [drover]
# shutdown_when_all_exited take droverd down, stopping every other process in order (descending
# priority), and droverd exits with the status of the process that decided it (its code, 128+N
# for a signal N, 1 for a FATAL whose last exit was 0). What is not a reason: an expected exit
# under `unexpected`, a stop by droverctl, a SIGTERM from outside (exit 0).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

# run_until_exit SECONDS: start droverd, wait for it to exit on its own; DAEMON_STATUS is its status.
# (No wait for droverctl's first answer: a loaded machine may see droverd done before that.)
run_until_exit() {
	local tries=0
	rm -f "$T/stops"
	while :; do
		launch_daemon
		wait_for "$1" _gone "$DAEMON_PID"
		wait "$DAEMON_PID"; DAEMON_STATUS=$?
		# the uid's message queue budget, shared with every test running now, was exhausted: again
		[ "$DAEMON_STATUS" = 1 ] && tail -n 1 "$DAEMON_LOG" | grep -q "control queue" && [ $((tries += 1)) -lt 20 ] ||
			break
		sleep 0.2
	done
	no_workers_left || error "workers left after droverd exited: $(worker_pids)"
}
# The two services, stopped in order (b priority 20 before a priority 10), each logs its SIGTERM.
services() {
	cat <<EOF
[program:a]
command = $WSLEEP -E -l $T/stops
priority = 10
startsecs = 0

[program:b]
command = $WSLEEP -E -l $T/stops
priority = 20
startsecs = 0
EOF
}
stopped_in_order() { # CASE
	local a b
	a=$(awk 'NR == 1 { print $1 }' "$T/stops" 2>/dev/null); b=$(awk 'NR == 2 { print $1 }' "$T/stops" 2>/dev/null)
	[ -n "$a" ] && [ -n "$b" ] || { error "$1: the services were not stopped ($(cat "$T/stops" 2>/dev/null))"; return; }
	[ "$(grep -c TERM "$T/stops")" = 2 ] || error "$1: $(grep -c TERM "$T/stops") SIGTERMs, want 2"
	grep -q "stopping: b .*" "$DAEMON_LOG" || error "$1: b not stopped"
	[ "$(sed -n 's/.*stopping: \([ab]\) .*/\1/p' "$DAEMON_LOG" | tail -n 2 | tr -d '\n')" = "ba" ] ||
		error "$1: not stopped in order b, a: $(grep 'stopping: [ab] ' "$DAEMON_LOG" | tail -n 2)"
}
expect_status() { # CASE WANT
	[ "$DAEMON_STATUS" = "$2" ] || error "$1: droverd exited $DAEMON_STATUS, want $2"
	log "$1: droverd exited $DAEMON_STATUS"
}

# 1. exit: the job's own exit, whatever its code, ends droverd with it; no respawn
{ services; cat <<EOF

[program:job]
command = $WSLEEP -x 7 -a 300 -f $T/job.spawns
startsecs = 0
autorestart = true
shutdown_on = exit
EOF
} | write_config
rm -f "$T/job.spawns"
run_until_exit 10
expect_status exit 7
stopped_in_order exit
[ "$(wc -l < "$T/job.spawns")" = 1 ] || error "exit: job was spawned $(wc -l < "$T/job.spawns") times"
grep -q "job ended on its own (exit status 7; shutdown_on = exit): shutting down; droverd exits with status 7" "$DAEMON_LOG" ||
	error "exit: no log line saying why"

# 2. unexpected: an expected exit (2 is in exitcodes) restarts as usual; the kill by SIGKILL that
#    follows decides: 128 + 9
{ services; cat <<EOF

[program:job]
command = /bin/sh -c 'if [ -e $T/ran ]; then kill -KILL \$\$; fi; touch $T/ran; sleep 0.3; exit 2'
startsecs = 0
autorestart = true
exitcodes = 0,2
shutdown_on = unexpected
EOF
} | write_config
rm -f "$T/ran"
run_until_exit 10
expect_status unexpected 137
stopped_in_order unexpected
grep -q "exited: job (exit status 2; expected)" "$DAEMON_LOG" || error "unexpected: the expected exit did not happen first"

# 3. fatal: gives up after its retries; the status of its last exit (5)
{ services; cat <<EOF

[program:job]
command = /bin/sh -c 'exit 5'
startsecs = 1
startretries = 1
shutdown_on = fatal
EOF
} | write_config
run_until_exit 15
expect_status fatal 5
stopped_in_order fatal
grep -q "job entered FATAL (shutdown_on): shutting down; droverd exits with status 5" "$DAEMON_LOG" || error "fatal: no log line"

# 4. fatal of a program whose tries exited 0 (too quickly): a FATAL is a failure: 1
sed -i "s|/bin/sh -c 'exit 5'|/bin/true|" "$CONF"
run_until_exit 15
expect_status "fatal, exit 0" 1

# 5. shutdown_when_all_exited: the jobs end (a listener and a program that is not autostarted do
#    not count); all as expected: 0
write_config <<EOF
[drover]
shutdown_when_all_exited = true

[program:one]
command = $WSLEEP -x 0 -a 200
startsecs = 0
autorestart = false

[program:two]
command = $WSLEEP -x 0 -a 600
startsecs = 0
autorestart = false

[program:manual]
command = $WSLEEP
autostart = false

[eventlistener:ear]
command = $PY $E2E_DIR/evlistener.py $T/ear.jsonl
events = PROCESS_STATE
startsecs = 0
EOF
run_until_exit 10
expect_status "all exited" 0
grep -q "every program has exited as expected (shutdown_when_all_exited)" "$DAEMON_LOG" || error "all exited: no log line"

# 6. ... the first failure's status: two fails with 4 first, one with 3 after it
sed -i "s|$WSLEEP -x 0 -a 200|$WSLEEP -x 3 -a 700|; s|$WSLEEP -x 0 -a 600|$WSLEEP -x 4 -a 200|" "$CONF"
run_until_exit 10
expect_status "all exited, failures" 4
grep -q "two failed first" "$DAEMON_LOG" || error "all exited, failures: no log line naming two"

# 7. what is no reason: droverctl stop of a shutdown_on = exit program; SIGTERM from outside: 0
{ services; cat <<EOF

[program:job]
command = $WSLEEP
startsecs = 0
shutdown_on = exit
EOF
} | write_config
rm -f "$T/stops"
start_daemon
wait_for 5 all_in_state RUNNING "" 3
ctl stop job >/dev/null || error "stop job failed"
hold_for 0.5 daemon_alive
stop_daemon TERM
expect_status "stop, then SIGTERM" 0
pass
