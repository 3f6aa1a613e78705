#!/bin/bash
# A timer armed late in a long step of the loop counts from when it is armed, not from when the
# loop iteration began. The long step is made on purpose: droverd's stderr is a pipe whose reader
# the test pauses, so droverd's next log line blocks it in the middle of a request for 3 s (what a
# slow journald does, or a start of a thousand processes).
# (1) `stop x` blocks on its "stopping" line, then sends SIGTERM (x ignores it) and arms
#     stopwaitsecs = 4: SIGKILL must come 4 s after the SIGTERM, not 1 s.
# (2) `start a y` blocks on a's "spawned" line, then spawns y and arms its startsecs = 4: y must
#     be RUNNING 4 s after its spawn, not 1 s.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
BLOCK_S=3

write_config <<EOF
[program:x]
command = $WSLEEP -T -l $T/x.sig
startsecs = 0
stopwaitsecs = 4

[program:a]
command = /bin/sleep 1000
autostart = false
startsecs = 0

[program:y]
command = $WSLEEP -f $T/y.spawn
autostart = false
startsecs = 4
EOF

# droverd's stderr: a FIFO that cat copies to the daemon log; stopping cat lets the pipe fill.
mkfifo "$T/err"
cat "$T/err" >> "$DAEMON_LOG" &
READER=$!
trap '_rc=$?; kill -CONT $READER 2>/dev/null; (exit $_rc); _cleanup' EXIT
"$DROVERD" -c "$CONF" < /dev/null >> "$DAEMON_LOG" 2> "$T/err" &
DAEMON_PID=$!
DAEMON_PIDS+=("$DAEMON_PID")
wait_daemon_ready
wait_for 5 is_state x RUNNING
X=$(pid_of x)

mono() { "$PY" -c 'import time; print("%.3f" % time.monotonic())'; }
# fill_stderr: pause the reader and fill the pipe, so that droverd's next write blocks.
fill_stderr() {
	kill -STOP "$READER"
	"$PY" - "$T/err" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"-" * 4095 + b"\n")
except BlockingIOError:
    pass
os.close(fd)
PYEOF
}
blocked_in_write() { case $(cat "/proc/$DAEMON_PID/wchan" 2>/dev/null) in *pipe_write) return 0;; esac; return 1; }
# block_then_release CTL-ARGS...: droverd blocks in the request for BLOCK_S s, then goes on.
block_then_release() {
	fill_stderr
	"$DROVERCTL" -n "$NAME" --timeout 30 "$@" > "$T/req.out" 2>&1 &
	local req=$!
	wait_for 5 blocked_in_write
	log "droverd blocked writing its log during '$*'; holding it ${BLOCK_S}s"
	sleep "$BLOCK_S"   # the long step itself, not a synchronisation
	kill -CONT "$READER"
	wait "$req" || error "droverctl $*: $(cat "$T/req.out")"
}

# (1)
block_then_release stop --no-wait x
wait_for 5 test -s "$T/x.sig"
t_term=$(awk '$2 == "TERM" { print $3; exit }' "$T/x.sig")
wait_for 10 eval '! proc_alive '"$X"
t_dead=$(mono)
dt=$("$PY" -c "print(round($t_dead - $t_term, 2))")
log "x: SIGTERM at $t_term, dead at $t_dead: ${dt}s later (stopwaitsecs 4)"
"$PY" -c "import sys; sys.exit(0 if $t_dead - $t_term >= 3.7 else 1)" ||
	error "(1) x was killed ${dt}s after its SIGTERM, with stopwaitsecs = 4 (the timer counted from before the blocked step)"

# (2)
block_then_release start --no-wait a y
wait_for 5 test -s "$T/y.spawn"
t_spawn=$(awk 'NR == 1 { print $3 }' "$T/y.spawn")
wait_for 10 is_state y RUNNING
t_run=$(mono)
dt=$("$PY" -c "print(round($t_run - $t_spawn, 2))")
log "y: spawned at $t_spawn, RUNNING at $t_run: ${dt}s later (startsecs 4)"
"$PY" -c "import sys; sys.exit(0 if $t_run - $t_spawn >= 3.7 else 1)" ||
	error "(2) y was RUNNING ${dt}s after its spawn, with startsecs = 4 (the timer counted from before the blocked step)"
pass
