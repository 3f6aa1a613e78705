#!/bin/bash
# Workers are made by droverd's spawn helper, and are droverd's own children all the same:
# (1) each worker's parent is droverd (its spawn thread: droverd's main thread has no children; orphans
#     would be its only ones);
# (2) a helper killed (SIGKILL) is replaced: the next spawns work, no zombie is left;
# (3) a helper that stops answering (SIGSTOP) is given up after the deadline: the start it held
#     fails with a spawn error, the process retries through a new helper and runs; the stopped
#     helper is killed and reaped;
# (4) DROVER_SPAWN_HELPER=0: droverd spawns in itself (one thread, no helper), and it says so.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

helpers_of() { local p; for p in $(ps -o pid= --ppid "$1"); do tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- '--spawn-helper' && echo "$p"; done; }

write_config <<EOF2
[program:w]
command = $WSLEEP
numprocs = 4
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:late]
command = $WSLEEP
autostart = false
startsecs = 0
startretries = 5
EOF2
start_daemon
wait_for 10 all_in_state RUNNING w 4

# (1)
for n in 0 1 2 3; do
	p=$(pid_of "w_$n")
	[ "$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$p/stat")" = "$DAEMON_PID" ] || fail "w_$n (pid $p): parent is not droverd"
done
[ -z "$(cat "/proc/$DAEMON_PID/task/$DAEMON_PID/children")" ] || fail "droverd's main thread has children: $(cat "/proc/$DAEMON_PID/task/$DAEMON_PID/children")"
h=$(helpers_of "$DAEMON_PID")
[ -n "$h" ] || fail "no spawn helper among droverd's children"
log "spawn helpers: $(echo $h)"

# (2)
kill -KILL $h
old=$(pid_of w_0)
kill -KILL "$old"
wait_for 10 eval '[ "$(pid_of w_0)" != "$old" ] && is_state w_0 RUNNING'
wait_for 5 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'
for p in $h; do proc_alive "$p" && fail "killed helper $p is still there"; done
h=$(helpers_of "$DAEMON_PID")
[ -n "$h" ] || fail "no new spawn helper after the old ones were killed"
log "replaced by $(echo $h)"

# (3) every helper stopped: the start of late waits for an answer that does not come
kill -STOP $h
ctl start --no-wait late > /dev/null || fail "start --no-wait late failed"
wait_for 20 eval 'grep -q "late: spawn error: no answer within 10 s" "$DAEMON_LOG"'
wait_for 10 is_state late RUNNING
for p in $h; do wait_for 5 eval '! proc_alive '"$p"; done
log "late runs after its first start was given up; stopped helpers $(echo $h) gone"
wait_for 5 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'
[ "$(threads_of "$DAEMON_PID")" = 2 ] || fail "droverd has $(threads_of "$DAEMON_PID") threads, want 2"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
no_workers_left || fail "workers left: $(worker_pids)"

# (4)
DROVER_SPAWN_HELPER=0 start_daemon
wait_for 10 all_in_state RUNNING w 4
grep -q "spawning in droverd itself (DROVER_SPAWN_HELPER=0)" "$DAEMON_LOG" || fail "droverd does not say it spawns in itself"
[ -z "$(helpers_of "$DAEMON_PID")" ] || fail "a spawn helper with DROVER_SPAWN_HELPER=0"
[ "$(threads_of "$DAEMON_PID")" = 1 ] || fail "droverd has $(threads_of "$DAEMON_PID") threads without a helper, want 1"
old=$(pid_of w_1)
kill -KILL "$old"
wait_for 10 eval '[ "$(pid_of w_1)" != "$old" ] && is_state w_1 RUNNING'
[ -n "$(cat "/proc/$DAEMON_PID/task/$DAEMON_PID/children")" ] || fail "in-process workers are not the main thread's children"
pass
