#!/bin/bash
# killtree stops an orphan's whole process group, not only the orphan: a worker leaves a setsid'd
# leader with two children in the leader's group, then exits. The leader and both members are
# stopped (they carry the worker's marks; the members are no escapees of the leader's group),
# and nothing of the tree outlives droverd's clean shutdown.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:spawner]
command = /bin/sh -c 'setsid sh -c "echo \\\$\\\$ > $T/leader; sleep 1000 & echo \\\$! >> $T/members; sleep 1001 & echo \\\$! >> $T/members; wait" & while [ "\$(cat $T/members 2>/dev/null | wc -l)" -lt 2 ]; do sleep 0.01; done; exit 0'
autorestart = false
startsecs = 0
stopwaitsecs = 2
EOF
start_daemon
wait_for 5 eval '[ "$(cat "$T/members" 2>/dev/null | wc -l)" = 2 ]'
wait_for 5 is_state spawner EXITED
leader=$(cat "$T/leader")
members=$(cat "$T/members")
log "leader $leader, members $(echo $members)"
for m in $members; do   # (a check of the test's setup, while they live)
	g=$(ps -o pgid= -p "$m" | tr -d ' ')
	[ -z "$g" ] || [ "$g" = "$leader" ] || fail "member $m is in group $g, not in the leader's group: test setup"
done
gone_all() { local x; for x in "$leader" $members; do proc_alive "$x" && return 1; done; return 0; }
try_for 4 gone_all || error "after spawner exited: still alive: $(for x in "$leader" $members; do proc_alive "$x" && echo -n "$x "; done)(leader $leader)"
stop_daemon TERM 10
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
for x in "$leader" $members; do
	proc_alive "$x" && { error "$x of the orphan's group outlived droverd"; kill -KILL "$x"; }
done
pass
