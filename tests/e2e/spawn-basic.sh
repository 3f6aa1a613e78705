#!/bin/bash
# Three programs (one with numprocs=4) all reach RUNNING; a SIGKILLed worker is replaced (new pid)
# while every other worker keeps its pid.
# timeout: 60
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep
W=$WSLEEP
write_config <<EOF2
[program:a]
command = $W
startsecs = 1

[program:b]
command = /bin/sleep 1000
startsecs = 0

[program:c]
command = $W -f $T/c.spawns
numprocs = 4
process_name = %(program_name)s_%(process_num)02d
startsecs = 0
EOF2
start_daemon

wait_for 10 all_in_state RUNNING "" 6
names_pids > "$T/before"
cat "$T/before"
for p in a b c:c_00 c:c_01 c:c_02 c:c_03; do
	grep -q "^$p [0-9]* RUNNING$" "$T/before" || fail "process $p missing or not RUNNING in status"
done
[ "$(wc -l < "$T/before")" = 6 ] || fail "expected 6 processes, got $(wc -l < "$T/before")"
# Each pid is a live process running the configured command, with the instance in its environment.
while read -r n pid st; do
	proc_alive "$pid" || fail "$n: pid $pid is not alive"
	tr '\0' '\n' < "/proc/$pid/environ" | grep -qx "DROVER_NAME=$NAME" || fail "$n: pid $pid lacks DROVER_NAME=$NAME"
done < "$T/before"

victim=$(awk '$1 == "c:c_02" { print $2 }' "$T/before")
log "SIGKILL c:c_02 (pid $victim)"
kill -KILL "$victim"
replaced() {
	local p
	p=$(pid_of c:c_02) || return 1
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$victim" ] && [ "$(last_field c:c_02 state)" = RUNNING ]
}
wait_for 10 replaced
wait_for 5 _gone "$victim"
names_pids > "$T/after"
cat "$T/after"
newpid=$(awk '$1 == "c:c_02" { print $2 }' "$T/after")
proc_alive "$newpid" || fail "replacement pid $newpid is not alive"
[ "$(last_field c:c_02 restarts)" -ge 1 ] 2>/dev/null || log "note: restarts counter of c:c_02 is $(last_field c:c_02 restarts)"
for p in a b c:c_00 c:c_01 c:c_03; do
	old=$(awk -v p="$p" '$1 == p { print $2 }' "$T/before")
	new=$(awk -v p="$p" '$1 == p { print $2 }' "$T/after")
	[ "$old" = "$new" ] || fail "$p changed pid $old -> $new although only c:c_02 was killed"
	grep -q "^$p [0-9]* RUNNING$" "$T/after" || fail "$p is no longer RUNNING"
done
# Exactly one new spawn of c (4 initial + 1 replacement).
[ "$(wc -l < "$T/c.spawns")" = 5 ] || fail "expected 5 spawns of c, got $(wc -l < "$T/c.spawns")"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
pass
