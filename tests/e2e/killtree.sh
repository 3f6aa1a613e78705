#!/bin/bash
# Whole-tree stop: (1) a master whose main process is SIGKILLed while its children live on: the
# children are gone before the replacement starts; (2) a worker with a setsid'd child and a
# double-forked daemon: after `stop` nothing of its tree is alive; (3) with killtree = false the
# setsid'd one survives (and the test cleans it up). (issue 8 tests 6-7, RELIABILITY T07.)
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:master]
command = /bin/sh -c 'echo \$\$ >> $T/master.pids; for i in 1 2 3; do sleep 1000 & echo \$! >> $T/master.kids; done; wait'
startsecs = 0
autorestart = true

[program:escaper]
command = /bin/sh -c 'setsid sleep 1001 & echo \$! > $T/escaper.setsid; (setsid sh -c "sleep 1002 & echo \\\$! > $T/escaper.daemon" &); exec sleep 1003'
startsecs = 0
stopwaitsecs = 2

[program:loose]
command = /bin/sh -c 'setsid sleep 1004 & echo \$! > $T/loose.setsid; exec sleep 1005'
startsecs = 0
killtree = false
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 3
wait_for 5 eval '[ "$(wc -l < "$T/master.kids" 2>/dev/null)" = 3 ]'
wait_for 5 test -s "$T/escaper.setsid"
wait_for 5 test -s "$T/escaper.daemon"
wait_for 5 test -s "$T/loose.setsid"

# (1) SIGKILL the master: its children die before the replacement is spawned.
master=$(pid_of master)
kids=$(cat "$T/master.kids")
kill -KILL "$master"
wait_for 5 eval '[ "$(wc -l < "$T/master.pids")" = 2 ]'
# The replacement's first action appended to master.pids; by then the old children must be gone.
for k in $kids; do proc_alive "$k" && fail "child $k of the killed master survived into the replacement"; done

# (2) stop escaper: its setsid'd child and its double-forked daemon go too.
s1=$(cat "$T/escaper.setsid"); d1=$(cat "$T/escaper.daemon")
proc_alive "$s1" && proc_alive "$d1" || fail "escaper's descendants did not start"
ctl stop escaper > /dev/null || fail "stop escaper failed"
wait_for 4 eval '! proc_alive '"$s1"' && ! proc_alive '"$d1"
# (3) killtree = false: the setsid'd child of loose survives its stop.
s2=$(cat "$T/loose.setsid")
ctl stop loose > /dev/null || fail "stop loose failed"
proc_alive "$s2" || fail "killtree = false: the setsid'd child was killed"
kill -KILL "$s2"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || wait_for 2 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'
pass
