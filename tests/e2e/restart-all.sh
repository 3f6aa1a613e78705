#!/bin/bash
# Regression: `droverctl restart all` sometimes printed "NAME: ERROR (stopped)" for every process and
# exited 1, although each one was stopped and started again. 30 restarts of 20 workers: each exits 0,
# reports every process started, and every pid changes.
# timeout: 120
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:w]
command = /bin/sleep 1000
numprocs = 20
process_name = %(program_name)s_%(process_num)02d
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 20

names_pids > "$T/before"
for i in $(seq 1 30); do
	ctl restart all > "$T/out" 2>&1; rc=$?
	if [ "$rc" != 0 ] || grep -q ERROR "$T/out"; then
		head -n 5 "$T/out"
		error "restart $i: droverctl restart all exited $rc, $(grep -c ERROR "$T/out") ERROR lines (first: $(grep -m1 ERROR "$T/out"))"
	fi
	wait_for 5 all_in_state RUNNING "" 20
	names_pids > "$T/after"
	join "$T/before" "$T/after" | awk '$2 == $4 { print "restart '"$i"': " $1 " kept pid " $2; bad = 1 } END { exit bad }' ||
		error "restart $i: some pids did not change"
	mv "$T/after" "$T/before"
done
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
pass
