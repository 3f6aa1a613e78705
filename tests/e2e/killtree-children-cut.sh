#!/bin/bash
# killtree reads /proc/PID/task/TID/children whole, however long, and signals only pids it has
# verified. Inside a PID namespace of the test's own (droverd is its PID 1), pids are placed on
# purpose (tests/helpers/pid-place writes ns_last_pid):
#  (1) a worker with 683 children of 5 digits (11618..12300, 4098 bytes of list): a read cut at
#      4 KiB ends with "123", the first digits of the last child. Pid 123 is an unrelated
#      process the test made (a session of its own): `stop` of the worker must not signal it.
#  (2) 700 workers of 5-digit pids, then a worker that leaves a setsid'd orphan and exits: the
#      orphan, re-parented to droverd after them (past 4 KiB of droverd's own children list),
#      is still found and stopped.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers pid-place
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || skip "unshare --pid --fork --mount-proc does not work here"
PLACE=$HELPERS/pid-place

write_config <<EOF
[program:fanout]
command = $PLACE -T -n 683 -o $T/fanout 11618
autostart = false
startsecs = 0
stopwaitsecs = 1

[program:orphaner]
command = $PLACE -s -x -o $T/orphan 25000
autostart = false
autorestart = false
startsecs = 0
stopwaitsecs = 1
EOF
cp "$CONF" "$T/base.ini"

launch_daemon unshare --pid --fork --mount-proc --kill-child
wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
inner=$(children_of "$DAEMON_PID")
DAEMON_PIDS+=("$inner")   # clean-up signals droverd itself: unshare does not pass SIGTERM on
# droverctl inside the namespace (droverd checks the pid in a reply queue's name).
CTL_PREFIX=(nsenter -t "$inner" -p -m)
wait_daemon_ready
in_ns() { nsenter -t "$inner" -p -m "$@"; }

# (1) The victim: pid 123 of the namespace, a session of its own, not related to any worker.
in_ns "$PLACE" -s -o "$T/victim" 123 &
wait_for 5 test -s "$T/victim"
grep -q '^placed 123 123$' "$T/victim" || skip "could not place the victim at pid 123: $(cat "$T/victim")"
ctl start fanout > /dev/null || fail "start fanout failed"
wait_for 10 test -s "$T/fanout"
grep -q '^placed 11618 12300$' "$T/fanout" || skip "children not placed (something else forked): $(head -n 1 "$T/fanout")"
ctl stop fanout > /dev/null || fail "stop fanout failed"
# The stop signal to an escaped descendant is sent within the stop request (and SIGKILL after
# stopwaitsecs = 1): watch a moment longer than that.
try_for 1.5 grep -q "^TERM 123" "$T/victim" &&
	error "the unrelated process 123 got SIGTERM from droverd's stop of fanout"
grep -q "descendant 123 " "$DAEMON_LOG" &&
	error "droverd signalled pid 123, a pid cut out of a longer one: $(grep 'descendant 123 ' "$DAEMON_LOG" | head -n 2)"

# (2) 700 workers with 5-digit pids (20000...), added by a reload (no 700-line reply), then the
# orphaner, whose orphan is re-parented to droverd after them.
in_ns "$PLACE" -n 0 20000 || fail "cannot set ns_last_pid"
{ cat "$T/base.ini"; printf '\n[program:sleepers]\ncommand = /bin/sleep 1000\nnumprocs = 700\n'
  printf 'process_name = %%(program_name)s_%%(process_num)d\nstartsecs = 0\nstopwaitsecs = 1\n'
  printf 'stdout_logfile = NONE\nstderr_logfile = NONE\n'; } > "$CONF"
kill -HUP "$inner"
wait_for 30 all_in_state RUNNING sleepers 700
ctl start orphaner > /dev/null || fail "start orphaner failed"
wait_for 5 test -s "$T/orphan"
grep -q '^placed 25000 25000$' "$T/orphan" || skip "orphan not placed: $(cat "$T/orphan")"
wait_for 5 is_state orphaner EXITED
log "orphan 25000 left; droverd's children list: $(in_ns cat /proc/1/task/1/children | wc -c) bytes"
try_for 5 grep -q "^TERM 25000" "$T/orphan" ||
	error "the setsid'd orphan 25000 of orphaner was not stopped after its exit (droverd's children list is past 4 KiB)"
# SIGTERM to droverd itself: every process of the namespace goes with it.
kill -TERM "$inner"
wait_for 20 _gone "$DAEMON_PID"
pass
