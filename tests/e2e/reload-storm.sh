#!/bin/bash
# 10 SIGHUPs in 100 ms while the config alternates between two valid versions: droverd
# converges to the last config, with no zombie and no duplicate process. (RELIABILITY T20/T21.)
# timeout: 60
. "$(dirname "$0")/lib.sh"

# Version 1: x has 2 processes and runs sleep 1001; version 2: x has 3 and runs sleep 2001, y exists.
v1() { write_config <<EOF2
[program:x]
command = /bin/sleep 1001
numprocs = 2
process_name = x_%(process_num)d
startsecs = 0
[program:stay]
command = /bin/sleep 1009
startsecs = 0
EOF2
}
v2() { write_config <<EOF2
[program:x]
command = /bin/sleep 2001
numprocs = 3
process_name = x_%(process_num)d
startsecs = 0
[program:y]
command = /bin/sleep 2002
startsecs = 0
[program:stay]
command = /bin/sleep 1009
startsecs = 0
EOF2
}
v1
start_daemon
wait_for 10 all_in_state RUNNING "" 3
stay=$(pid_of stay)
fd0=$(fd_count "$DAEMON_PID")

for round in 1 2 3; do
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if [ $((i % 2)) = 1 ]; then v2; else v1; fi
		kill -HUP "$DAEMON_PID"
		sleep 0.01   # pacing the storm (10 signals in 100 ms), not a synchronisation
	done
	# The last write was v1: converge to exactly x_0, x_1 running sleep 1001, and stay.
	converged() {
		refresh_status || return 1
		[ "$("$PY" "$LIBPY" names "$STATUS_JSON" | wc -l)" = 3 ] || return 1
		"$PY" "$LIBPY" all "$STATUS_JSON" RUNNING "" 3 || return 1
		local p
		for p in x:x_0 x:x_1; do
			p=$(last_field "$p" pid) || return 1
			tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q 1001 || return 1
		done
	}
	# A last SIGHUP after the writer stopped (T21): the running config equals the file.
	kill -HUP "$DAEMON_PID"
	wait_for 15 converged
	# No duplicates: exactly one live sleep 1001 per x process, no sleep 2001/2002 left.
	wait_for 10 eval '[ "$(pgrep -fc "^/bin/sleep 200[12]$")" = 0 ]'
	[ "$(pgrep -fc '^/bin/sleep 1001$')" -ge 2 ] || fail "x workers missing"
	[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies after round $round"
	[ "$(pid_of stay)" = "$stay" ] || fail "stay was restarted although it never changed"
done
names_pids
fd1=$(fd_count "$DAEMON_PID")
[ "$fd0" = "$fd1" ] || fail "droverd fd count changed: $fd0 -> $fd1"
daemon_alive || fail "droverd died"
pass
