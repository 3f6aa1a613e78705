#!/bin/bash
# Grandchild reaping (issue 7 #6, RELIABILITY T02): a worker double-forks 100 grandchildren that
# exit after 0-2 s. With subreaper on (the default), each is adopted by droverd (getppid() at its
# exit = droverd), 3 s after the last exit no zombie has PPID = droverd, droverd logged 100
# "reaped unknown pid" (DROVER_DEBUG=1), and the worker itself is untouched (same pid, RUNNING, 0
# restarts). `stopasgroup = true` (killtree off) takes 10 long-lived grandchildren down at stop; with
# both off they survive (control). Negative control: the same run with `subreaper = false` shows
# the grandchildren adopted by someone else (proves the first part can fail).
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers fault-grandkids

GK=$HELPERS/fault-grandkids
FOREVER=100000000
write_config <<EOF2
[program:gk]
command = $GK -n 100 -a 0 -m 2000 -p $T/gk.log
startsecs = 0

[program:bystander]
command = /bin/sleep 1000
startsecs = 0

[program:grp]
command = $GK -n 10 -a $FOREVER -m $FOREVER -p $T/grp.log
startsecs = 0
stopasgroup = true
killtree = false
stopwaitsecs = 2

[program:nogrp]
command = $GK -n 10 -a $FOREVER -m $FOREVER -p $T/nogrp.log
startsecs = 0
stopasgroup = false
killtree = false
stopwaitsecs = 2
EOF2
cp "$CONF" "$T/on.ini"
export DROVER_DEBUG=1
start_daemon
unset DROVER_DEBUG
wait_for 10 all_in_state RUNNING "" 4
gkpid=$(pid_of gk)
exits() { grep -c '^exit' "$1" 2>/dev/null || echo 0; }
wait_for 20 eval '[ "$(exits "$T/gk.log")" = 100 ]'
t_last=$(now_ms)
no_zombies() { [ "$(count_zombies_of "$DAEMON_PID")" = 0 ]; }
wait_for 10 no_zombies
reap_ms=$(($(now_ms) - t_last))
adopted=$(awk -v d="$DAEMON_PID" '$1 == "exit" && $3 == d' "$T/gk.log" | wc -l)
[ "$adopted" = 100 ] || error "$adopted of 100 grandchildren were adopted by droverd (ppids: $(awk '$1 == "exit" { print $3 }' "$T/gk.log" | sort | uniq -c | tr '\n' ' '))"
wait_for 10 eval '[ "$(grep -c "reaped unknown pid" "$DAEMON_LOG")" -ge 100 ]'
unknown=$(grep -c "reaped unknown pid" "$DAEMON_LOG")
[ "$unknown" = 100 ] || error "droverd logged $unknown 'reaped unknown pid' lines, want 100"
[ "$(pid_of gk)" = "$gkpid" ] && [ "$(last_field gk state)" = RUNNING ] && [ "$(last_field gk restarts)" = 0 ] ||
	error "the worker changed: pid $(last_field gk pid) (was $gkpid), $(last_field gk state), restarts $(last_field gk restarts)"
kids=$(children_of "$DAEMON_PID" | wc -l)

# stopasgroup gets the grandchildren at stop; without it (and without killtree) they survive.
wait_for 5 eval '[ "$(grep -c ^start "$T/grp.log")" = 10 ] && [ "$(grep -c ^start "$T/nogrp.log")" = 10 ]'
grp=$(awk '$1 == "start" { print $2 }' "$T/grp.log")
nogrp=$(awk '$1 == "start" { print $2 }' "$T/nogrp.log")
ctl stop grp nogrp > /dev/null || error "droverctl stop grp nogrp failed"
all_dead() { local p; for p in $grp; do proc_alive "$p" && return 1; done; return 0; }
try_for 10 all_dead || error "stopasgroup: $(for p in $grp; do proc_alive "$p" && echo "$p"; done | wc -l) of 10 grandchildren alive 10 s after stop"
alive_nogrp=0
for p in $nogrp; do proc_alive "$p" && alive_nogrp=$((alive_nogrp + 1)); done
[ "$alive_nogrp" = 10 ] || error "control: with stopasgroup and killtree off, only $alive_nogrp of 10 grandchildren survived the stop (something else kills them?)"
kill -KILL $nogrp 2>/dev/null
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"

# Negative control: subreaper = false.
sed -i 's/^\[drover\]$/[drover]\nsubreaper = false/' "$CONF"
rm -f "$T/gk.log"
start_daemon
wait_for 10 all_in_state RUNNING "" 4
wait_for 20 eval '[ "$(exits "$T/gk.log")" = 100 ]'
adopted_off=$(awk -v d="$DAEMON_PID" '$1 == "exit" && $3 == d' "$T/gk.log" | wc -l)
[ "$adopted_off" = 0 ] || error "subreaper = false: $adopted_off grandchildren still adopted by droverd"
others=$(awk '$1 == "exit" { print $3 }' "$T/gk.log" | sort -u | tr '\n' ' ')
kill -KILL $(awk '$1 == "start" { print $2 }' "$T/grp.log" "$T/nogrp.log" 2>/dev/null) 2>/dev/null
stop_daemon TERM 15
measured "subreaper on: $adopted/100 adopted by droverd, 0 zombies ${reap_ms} ms after the last exit, $unknown 'reaped unknown pid', worker unchanged, droverd children $kids; stopasgroup killed 10/10 at stop, control survivors $alive_nogrp/10; subreaper off: $adopted_off adopted (ppids $others)"
pass
