#!/bin/bash
# A worker that closes its stdout and stderr costs droverd nothing afterwards (no POLLHUP busy
# loop, supervisord #589): droverd closes its read ends within a second and its CPU time stays
# flat over the next 3 s. Pipes outlive the worker: a grandchild that keeps the worker's stdout
# open after the worker exits is still logged, and the pipe is closed once it exits too.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:closer]
command = /bin/sh -c 'echo before-close; echo err-before-close >&2; while [ ! -e $T/go ]; do sleep 0.02; done; exec >&- 2>&-; exec sleep 1000'
startsecs = 0

[program:parent]
command = /bin/sh -c '(while [ ! -e $T/go2 ]; do sleep 0.02; done; echo from-grandchild) & echo parent-exits'
startsecs = 0
autorestart = false
killtree = false
EOF2
NOTIFY_SOCKET= start_daemon
wait_for 10 all_in_state RUNNING closer
wait_for 5 grep -qx before-close "$LOG_DIR/closer-stdout.log"
wait_for 5 grep -qx err-before-close "$LOG_DIR/closer-stderr.log"

pid=$(pid_of closer)
out=$(readlink "/proc/$pid/fd/1")
err=$(readlink "/proc/$pid/fd/2")
log "closer pid $pid: stdout $out, stderr $err"
daemon_has() { local fd; for fd in /proc/"$DAEMON_PID"/fd/*; do [ "$(readlink "$fd")" = "$1" ] && return 0; done; return 1; }
daemon_has "$out" || fail "droverd does not hold the read end of $out"
daemon_has "$err" || fail "droverd does not hold the read end of $err"
fds0=$(fd_count "$DAEMON_PID")

touch "$T/go"
_closed() { ! daemon_has "$out" && ! daemon_has "$err"; }
t0=$(now_ms)
wait_for 1 _closed
log "droverd closed both read ends $(( $(now_ms) - t0 )) ms after the worker closed its stdout/stderr"
proc_alive "$pid" || fail "the worker died"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
c0=$(cpu_ticks "$DAEMON_PID")
# An observation window: droverd must stay idle (a POLLHUP spin would burn ~300 ticks).
hold_for 3 proc_alive "$pid"
c1=$(cpu_ticks "$DAEMON_PID")
log "droverd CPU over 3 s after the close: $((c1 - c0)) ticks of 10 ms"
[ $((c1 - c0)) -le 5 ] || error "droverd used $((c1 - c0)) ticks of CPU in 3 s with an idle closed worker"
# Both read ends and both log files (nothing more can come to them) are closed.
[ "$(fd_count "$DAEMON_PID")" -eq $((fds0 - 4)) ] || error "droverd fd count $(fd_count "$DAEMON_PID"), expected $((fds0 - 4)) (2 pipes and 2 log files fewer)"
ctl status closer > /dev/null || error "status of closer is not RUNNING"

# The grandchild holds parent's stdout after parent has exited: its line still reaches the log.
wait_for 10 is_state parent EXITED
wait_for 5 grep -qx parent-exits "$LOG_DIR/parent-stdout.log"
touch "$T/go2"
wait_for 5 grep -qx from-grandchild "$LOG_DIR/parent-stdout.log"
pass
