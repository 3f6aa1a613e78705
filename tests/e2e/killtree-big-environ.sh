#!/bin/bash
# Processes are recognised by the DROVER_* marks of their environment however large it is
# (droverd appends the marks last): with a 300 KiB environment (environment_file),
# (1) a worker leaves a setsid'd orphan and exits: the orphan is stopped;
# (2) droverd is SIGKILLed while a worker's setsid'd descendant lives: the worker dies with
#     droverd, the descendant does not, and the next start of the instance kills it as a
#     leftover of the earlier run.
# timeout: 60
. "$(dirname "$0")/lib.sh"

# Three values of 100 KiB (one string may not exceed 128 KiB at exec).
for k in A B C; do printf 'BIG_%s=%s\n' "$k" "$(head -c 102400 /dev/zero | tr '\0' "$k")"; done > "$T/big.env"
write_config <<EOF
[program:leaver]
command = /bin/sh -c 'setsid sh -c "echo \\\$\\\$ > $T/orphan; exec sleep 1000" & while [ ! -s $T/orphan ]; do sleep 0.01; done; exit 0'
environment_file = $T/big.env
autorestart = false
startsecs = 0
stopwaitsecs = 2

[program:holder]
command = /bin/sh -c 'setsid sh -c "echo \\\$\\\$ > $T/escapee; exec sleep 1001" & exec sleep 1002'
environment_file = $T/big.env
startsecs = 0
EOF
start_daemon
wait_for 5 test -s "$T/orphan"
wait_for 5 is_state leaver EXITED
o1=$(cat "$T/orphan")
env_kib=$(( $(wc -c < "/proc/$(pid_of holder)/environ") / 1024 ))
log "orphan $o1, environment $env_kib KiB"
try_for 4 eval '! proc_alive '"$o1" || error "the orphan $o1 (environment ${env_kib} KiB) survived its worker's exit"
proc_alive "$o1" && kill -KILL "$o1"

# (2) a leftover of a SIGKILLed droverd, found by the next start.
wait_for 5 test -s "$T/escapee"
o2=$(cat "$T/escapee")
proc_alive "$o2" || fail "holder's setsid'd descendant is not alive"
stop_daemon KILL 5
proc_alive "$o2" || fail "holder's setsid'd descendant died with droverd: nothing to test"
start_daemon
try_for 4 eval '! proc_alive '"$o2" || error "the leftover $o2 (environment ${env_kib} KiB) of the SIGKILLed droverd was not killed at the next start"
grep -q "killed pid $o2 " "$DAEMON_LOG" || error "no 'killed pid $o2' line in droverd's log"
proc_alive "$o2" && kill -KILL "$o2"
pass
