#!/bin/bash
# The control queue: name squatting and stale queues.
# (a) Another user (nobody, via setpriv) creates /NAME.ctl first, mode 0666 and again 0600:
#     droverd exits 1 with a message naming the owner (uid and user name), and leaves the
#     squatter's queue alone (same owner, same mode, still there).
# (b) Our own stale queue, left by a SIGKILLed droverd, is replaced by the next start, which
#     answers; a droverd started while another one is alive exits 1 and leaves the live one's
#     queue working.
# How long droverd takes to give up, or to answer, is logged, not judged: its start-up reads every
# process's environment (leftovers of an earlier run), which a loaded machine (a fork bomb in a
# test beside this one) stretched to 6 s once; (a)'s deadline only tells a refusal from a hang.
# timeout: 120
. "$(dirname "$0")/lib.sh"

need_helpers ctl-mq worker-mqunlink
MQ=$HELPERS/ctl-mq
command -v setpriv > /dev/null || skip "setpriv missing (util-linux)"
id nobody > /dev/null 2>&1 || skip "no user nobody"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
QUEUE=/$NAME.ctl
write_config <<EOF
[program:s]
command = /bin/sleep 1000
startsecs = 0
EOF

# The helper must be reachable by nobody (the build tree may live under a private home).
cp "$MQ" "$T/ctl-mq" && chmod 0755 "$T" "$T/ctl-mq"
for mode in 0666 0600; do
	log "(a) nobody squats $QUEUE with mode $mode"
	setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups "$T/ctl-mq" create "$QUEUE" "$mode" \
		|| fail "cannot create $QUEUE as nobody"
	[ "$("$MQ" owner "$QUEUE")" = "uid $NOBODY_UID mode $mode" ] || fail "squatted queue: $("$MQ" owner "$QUEUE")"
	touch "$DAEMON_LOG"
	mark=$(wc -l < "$DAEMON_LOG")
	t0=$(now_ms)
	launch_daemon
	wait_for 20 _gone "$DAEMON_PID"
	dt=$(( $(now_ms) - t0 ))
	wait "$DAEMON_PID"; st=$?
	msg=$(tail -n +$((mark + 1)) "$DAEMON_LOG")
	log "droverd exited $st after $dt ms: $(echo "$msg" | grep -v '^===' | head -3)"
	[ "$st" = 1 ] || error "droverd facing a squatted $QUEUE ($mode) exited $st, expected 1"
	echo "$msg" | grep -F "$QUEUE" | grep -q "uid $NOBODY_UID" || error "no message naming $QUEUE and uid $NOBODY_UID: $msg"
	echo "$msg" | grep -F "$QUEUE" | grep -qw nobody || error "no message naming the owner 'nobody': $msg"
	[ "$("$MQ" owner "$QUEUE")" = "uid $NOBODY_UID mode $mode" ] || error "the squatter's queue was touched: $("$MQ" owner "$QUEUE" 2>&1)"
	"$MQ" unlink "$QUEUE"
	no_workers_left || error "droverd spawned workers although it refused to start: $(worker_pids)"
done

log "(b) a stale queue of our own, left by a SIGKILLed droverd"
start_daemon
wait_for 10 all_in_state RUNNING
old=$DAEMON_PID
stop_daemon KILL 5 2>/dev/null
"$MQ" attr "$QUEUE" > /dev/null 2>&1 || fail "SIGKILLed droverd left no queue behind: nothing to test"
"$MQ" owner "$QUEUE"
# Its worker was orphaned: kill it so that the next droverd starts from a clean process table.
pids=$(worker_pids); [ -n "$pids" ] && kill -KILL $pids
wait_for 5 no_workers_left
mark=$(wc -l < "$DAEMON_LOG")
t0=$(now_ms)
start_daemon
dt=$(( $(now_ms) - t0 ))
log "droverd after a stale queue answers after $dt ms"
tail -n +$((mark + 1)) "$DAEMON_LOG" | grep -F "$QUEUE" | head -3
tail -n +$((mark + 1)) "$DAEMON_LOG" | grep -F "$QUEUE" | grep -qi 'left over\|stale' \
	|| error "no log line about replacing the stale queue $QUEUE"
wait_for 10 all_in_state RUNNING
[ "$("$MQ" owner "$QUEUE")" = "uid 0 mode 0600" ] || error "new queue: $("$MQ" owner "$QUEUE") (want uid 0, control_mode 0600)"
ctl status > /dev/null || error "status against the new droverd failed"
[ "$(ctl pid)" = "$DAEMON_PID" ] || error "pid: $(ctl pid), the new droverd is $DAEMON_PID (old $old)"

log "(b2) a second droverd while this one lives"
first=$DAEMON_PID
mark=$(wc -l < "$DAEMON_LOG")
launch_daemon
second=$DAEMON_PID
wait_for 20 _gone "$second"
wait "$second"; st=$?
log "second droverd exited $st: $(tail -n +$((mark + 1)) "$DAEMON_LOG" | grep -v '^===' | head -2)"
[ "$st" = 1 ] || error "second droverd exited $st, expected 1"
DAEMON_PID=$first
ctl status > /dev/null || error "the first droverd no longer answers after a second one was refused"
[ "$(ctl pid)" = "$first" ] || error "pid answered by $(ctl pid), expected $first"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
! "$MQ" attr "$QUEUE" > /dev/null 2>&1 || error "$QUEUE still exists after a clean exit"
pass
