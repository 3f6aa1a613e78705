#!/bin/bash
# Start order where priorities tie, supervisord 4.2.5 vs droverd, one config for both: groups of
# one priority (three programs of their own and a [group:x]) start by name, whatever the file
# order; the group's programs in its programs= order at start-up but by their own priority on a
# user's "start all"; a program's processes by name (yy_10 before yy_2).
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

compat_config <<EOF
[program:bb]
command = $PROBE run
startsecs = 0

[program:aa]
command = $PROBE run
startsecs = 0

[group:g]
programs = yy,xx
priority = 999

[program:xx]
command = $PROBE run
priority = 5
startsecs = 0

[program:yy]
command = $PROBE run
priority = 7
process_name = yy_%(process_num)d
numprocs = 11
startsecs = 0

[program:cc]
command = $PROBE run
startsecs = 0
EOF
sv_start
DROVER_DEBUG=1 dr_start
n_up() { [ "$(grep -c '^start ' "$COMPAT_OUT/$1/events" 2>/dev/null)" -ge "$2" ]; }
wait_for 20 n_up supervisord 15
wait_for 20 n_up drover 15
# supervisord names a process without its group in this line ('xx'), droverd with it ('g:xx').
same "start-up order (spawned: lines)" "$(sv_spawned)" "$(dr_spawned | sed 's/^[^:]*://')"

svctl stop all >/dev/null
drctl stop all >/dev/null
svctl start all >/dev/null
drctl start all >/dev/null
wait_for 20 n_up supervisord 30
wait_for 20 n_up drover 30
same "start all order (spawned: lines)" "$(sv_spawned | tail -n +16)" "$(dr_spawned | tail -n +16 | sed 's/^[^:]*://')"
pass
