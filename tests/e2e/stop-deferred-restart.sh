#!/bin/bash
# `stop` during a deferred respawn: a restart whose old worker left a descendant that ignores
# SIGTERM (it dies only at stopwaitsecs) waits for it before spawning again; a `stop` in that
# window is accepted and sticks: the process stays STOPPED, it does not start once the
# descendant is gone.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:x]
command = /bin/sh -c '(trap "" TERM; exec setsid sleep 1000) & exec sleep 1001'
startsecs = 0
stopwaitsecs = 3
EOF
start_daemon
wait_for 5 is_state x RUNNING
wait_for 5 eval '[ -n "$(pgrep -f "^sleep 1000$")" ]'
ctl restart --no-wait x > /dev/null || fail "restart --no-wait x"
# The old worker is gone; its escaped child still lives (ignores SIGTERM): the respawn waits.
wait_for 3 eval '[ "$(state_of x)" != RUNNING ] || [ "$(last_field x pid)" = 0 ]'
log "x during the deferred respawn: $(state_of x) pid '$(last_field x pid)'"
ctl stop x > "$T/stop.out" 2>&1 || error "stop during a deferred respawn refused: $(cat "$T/stop.out")"
hold_for 5 eval '[ "$(state_of x)" = STOPPED ]'
pass
