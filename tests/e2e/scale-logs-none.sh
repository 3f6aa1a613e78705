#!/bin/bash
# Logs NONE costs no pipe, unless somebody reads the stream all the same:
# (1) a worker with stdout_logfile = stderr_logfile = NONE gets /dev/null on 1 and 2 (droverd holds
#     no pipe for it);
# (2) an event listener with stdout_logfile = NONE still speaks the protocol (its stdout is read):
#     it gets the events it asked for;
# (3) a program with stdout_logfile = NONE and stdout_events_enabled = true has its output read:
#     the listener gets its PROCESS_LOG_STDOUT event.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
EVL=$E2E_DIR/evlistener.py

write_config <<EOF
[eventlistener:rec]
command = $PY $EVL $T/rec.jsonl
events = PROCESS_STATE_RUNNING,PROCESS_LOG_STDOUT
stdout_logfile = NONE
stderr_logfile = NONE

[program:quiet]
command = $WSLEEP
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE

[program:talker]
command = /bin/sh -c 'echo said-by-talker; exec sleep 300'
startsecs = 0
autostart = false
stdout_logfile = NONE
stdout_events_enabled = true
EOF
start_daemon
wait_for 10 is_state quiet RUNNING
wait_for 10 is_state rec RUNNING

# (1)
q=$(pid_of quiet)
for n in 1 2; do
	t=$(readlink "/proc/$q/fd/$n")
	[ "$t" = /dev/null ] || fail "quiet's fd $n is $t, want /dev/null"
done

# (2) the listener hears quiet's RUNNING, and talker's once started
ctl start talker > /dev/null || fail "start talker failed"
wait_for 10 eval 'grep -q "PROCESS_STATE_RUNNING" "$T/rec.jsonl" 2>/dev/null'
wait_for 10 eval 'grep -q "processname:talker" "$T/rec.jsonl"'
log "the listener with stdout_logfile = NONE got its events"

# (3)
wait_for 10 eval 'grep -q "PROCESS_LOG_STDOUT" "$T/rec.jsonl" && grep -q "said-by-talker" "$T/rec.jsonl"'
log "talker's output (stdout_logfile = NONE, stdout_events_enabled) reached the listener"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
pass
