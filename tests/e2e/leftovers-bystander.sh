#!/bin/bash
# Start-up kills what an earlier run of the instance left behind (processes with a worker's
# environment: DROVER_NAME, DROVER_PROCESS, DROVER_SLOT, DROVER_GENERATION), but never a process
# that merely has DROVER_NAME set (a user's shell that exports it for droverctl).
# timeout: 30
. "$(dirname "$0")/lib.sh"

DROVER_NAME=$NAME sleep 1000 &
bystander=$!
env DROVER_NAME="$NAME" DROVER_PROCESS=x DROVER_SLOT=0 DROVER_GENERATION=1 sleep 1001 &
leftover=$!
write_config <<EOF2
[program:w]
command = /bin/sleep 1002
startsecs = 0
EOF2
start_daemon
wait_for 5 is_state w RUNNING
wait_for 3 _gone "$leftover"
proc_alive "$bystander" || fail "a process with only DROVER_NAME set was killed"
grep -q "left behind by an earlier run" "$DAEMON_LOG" || fail "the leftover's kill was not logged"
kill "$bystander"
pass
