#!/bin/bash
# The event listeners container images use to take supervisord down, unchanged under droverd:
#   1. a supervisor.childutils listener that runs `kill -TERM $(cat pidfile)` when a program goes
#      FATAL;
#   2. the shell one-liner `printf 'READY\n'; while read line; do kill -SIGQUIT $PPID; done` on
#      PROCESS_STATE_EXITED (its parent is the supervisor);
#   3. the same with `kill -QUIT 1`, droverd being PID 1 of a PID namespace (a container).
# Each time droverd shuts down as on SIGTERM: the other workers stopped in order (descending
# priority), the listener last, droverd exits 0 and leaves no worker behind.
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
/usr/bin/python3 -c 'import supervisor.childutils' 2>/dev/null || skip "supervisor.childutils is not importable by /usr/bin/python3"

cat > "$T/fatal-kill.py" <<'PY'
# kill supervisord when a process goes FATAL (the listener of many container images)
import os, sys
from supervisor import childutils
pidfile = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if headers["eventname"] == "PROCESS_STATE_FATAL":
        os.system("kill -TERM $(cat %s)" % pidfile)
    childutils.listener.ok(sys.stdout)
PY

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
# check CASE: droverd went down by itself, in order, status 0, nothing left.
check() {
	wait_for 15 _gone "$DAEMON_PID"
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	log "$1: droverd exited $DAEMON_STATUS"
	[ "$DAEMON_STATUS" = 0 ] || error "$1: droverd exited $DAEMON_STATUS, want 0 (a signal asked for the shutdown)"
	[ "$(grep -c TERM "$T/stops" 2>/dev/null)" = 2 ] || error "$1: the services were not both stopped: $(cat "$T/stops" 2>/dev/null)"
	local order
	order=$(sed -n 's/.*stopping: \([a-z]*\) (pid.*/\1/p' "$DAEMON_LOG" | tail -n 3 | tr '\n' ' ')
	[ "$order" = "b a killer " ] || error "$1: stopped in the order '$order', want 'b a killer '"
	no_workers_left || error "$1: workers left: $(worker_pids)"
	rm -f "$T/stops"
}

# 1. childutils, FATAL, kill -TERM $(cat pidfile)
{ services; cat <<EOF

[drover]
pidfile = $RUN_DIR/droverd.pid

[eventlistener:killer]
command = /usr/bin/python3 $T/fatal-kill.py $RUN_DIR/droverd.pid
events = PROCESS_STATE_FATAL

[program:nginx]
command = /bin/sh -c 'exit 1'
startretries = 1
priority = 30
EOF
} | write_config
launch_daemon
check "FATAL -> kill -TERM \$(cat pidfile)"

# 2. the shell one-liner: SIGQUIT to its parent on any exit
{ services; cat <<EOF

[eventlistener:killer]
command = /bin/bash -c "printf 'READY\\\\n' && while read line; do kill -SIGQUIT \$PPID; done < /dev/stdin"
events = PROCESS_STATE_EXITED

[program:nginx]
command = $WSLEEP -x 0 -a 1500
startsecs = 1
priority = 30
EOF
} | write_config
launch_daemon
check "EXITED -> kill -SIGQUIT \$PPID"

# 3. kill -QUIT 1, droverd as PID 1 of a PID namespace
unshare --pid --fork --mount-proc --kill-child true 2>/dev/null || { pass; exit; }
sed -i 's/kill -SIGQUIT \$PPID/kill -QUIT 1/' "$CONF"
launch_daemon unshare --pid --fork --mount-proc --kill-child
check "EXITED -> kill -QUIT 1 (PID 1)"
pass
