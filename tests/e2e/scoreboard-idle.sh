#!/bin/bash
# An idle droverd stays asleep while other processes create and remove objects in /dev/shm: the
# scoreboard has no name there and droverd watches nothing in it. 200 idle workers (no timers
# armed), then another process creates and unlinks 10,000 objects in /dev/shm: droverd's context
# switch counters do not move.
# timeout: 60
. "$(dirname "$0")/lib.sh"
N=200

write_config <<EOF
[program:w]
command = /bin/sleep 1000
numprocs = $N
process_name = w%(process_num)d
startsecs = 0
EOF
start_daemon
wait_for 30 all_in_state RUNNING "" $N
switches() { awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n }' "/proc/$DAEMON_PID/status"; }
# Settle: nothing happens for a while once everything is up (the last status request answered).
quiet() { local a; a=$(switches); sleep 0.3; [ "$(switches)" = "$a" ]; }
wait_for 10 quiet
before=$(switches)
"$PY" - "$NAME" <<'EOF'
import os, sys
for i in range(10000):
    path = "/dev/shm/foreign-%d-%d" % (os.getpid(), i)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.ftruncate(fd, 4096)
    os.close(fd)
    os.unlink(path)
EOF
after=$(switches)
log "droverd context switches: $before before, $after after 10,000 foreign /dev/shm objects"
[ "$after" = "$before" ] || error "droverd woke up $((after - before)) times for other processes' /dev/shm objects"
daemon_alive || fail "droverd died"
pass
