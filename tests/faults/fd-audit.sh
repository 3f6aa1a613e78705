#!/bin/bash
# fd leak audit (RELIABILITY T36): about 200 spawns — start, 6 reloads that restart one program
# (10 processes each), 6 `droverctl restart all` (20 each) — with `droverctl status` traffic every
# 50 ms throughout. Every worker has exactly the fds {0, 1, 2, 10} (no queue, lock, config,
# epoll/eventfd/signalfd/pidfd or pipe of droverd; 10 is its own scoreboard object, a memfd no other
# worker has), 0 is /dev/null; droverd's own fd count is the same after every round (±0 once
# settled). (valgrind.sh audits droverd's fds at exit.)
# timeout: 180
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

v() { # VARIANT: b's command differs between 1 and 2, so a reload restarts exactly b's 10 processes
	write_config <<EOF2
[program:a]
command = /bin/sleep 1000
numprocs = 10
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1

[program:b]
command = $WSLEEP -a $1
numprocs = 10
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1
redirect_stderr = true

[program:quiet]
command = /bin/sleep 1001
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE
EOF2
}
v 1
start_daemon
wait_for 10 all_in_state RUNNING "" 21
start_poller "$T/poll.log" 0.05

SEEN=" "
OBJECTS=" "
BAD=0
INSPECTED=0
audit() { # ROUND: check the fds of every worker not yet inspected
	local name pid state fds f
	refresh_status || fail "no status in round $1"
	while read -r name pid state; do
		case $SEEN in *" $pid "*) continue ;; esac
		SEEN="$SEEN$pid "
		INSPECTED=$((INSPECTED + 1))
		fds=$(ls "/proc/$pid/fd" 2>/dev/null | sort -n | tr '\n' ' ')
		if [ "$fds" != "0 1 2 10 " ]; then
			BAD=$((BAD + 1))
			error "round $1: $name (pid $pid) has fds [$fds]: $(fd_names "$pid" | grep -vE '^[012] ' | tr '\n' ';')"
		fi
		f=$(readlink "/proc/$pid/fd/10")
		case $f in */memfd:drover-scoreboard*) ;; *) BAD=$((BAD + 1)); error "round $1: $name (pid $pid) has fd 10 $f" ;; esac
		f=$(stat -L -c %i "/proc/$pid/fd/10" 2>/dev/null)
		case $OBJECTS in *" $f "*) BAD=$((BAD + 1)); error "round $1: $name (pid $pid) shares scoreboard object $f" ;; esac
		OBJECTS="$OBJECTS$f "
		f=$(readlink "/proc/$pid/fd/0")
		[ "$f" = /dev/null ] || { BAD=$((BAD + 1)); error "round $1: $name (pid $pid) has stdin $f"; }
	done < <(_st names "$STATUS_JSON")
}
audit 0
fd0=$(fd_count "$DAEMON_PID")
fd_names "$DAEMON_PID" > "$T/fds.0"
variant=1
for round in $(seq 1 12); do
	if [ $((round % 2)) = 1 ]; then
		variant=$((3 - variant)); v "$variant"
		ctl reload > /dev/null || error "round $round: reload failed"
	else
		ctl restart all > /dev/null || error "round $round: restart all failed"
	fi
	wait_for 15 all_in_state RUNNING "" 21
	audit "$round"
	f=$(fd_count "$DAEMON_PID")
	if [ "$f" != "$fd0" ]; then
		# Settling: a reply queue of the poller may be open right now; look again.
		try_for 2 eval '[ "$(fd_count "$DAEMON_PID")" = "$fd0" ]' || {
			fd_names "$DAEMON_PID" > "$T/fds.$round"
			diff "$T/fds.0" "$T/fds.$round"
			error "round $round: droverd has $(fd_count "$DAEMON_PID") fds, had $fd0"
		}
	fi
	[ ${#ERRORS[@]} -le 10 ] || break
done
stop_poller
polls=$(poller_summary "$T/poll.log")
[ "$INSPECTED" -ge 180 ] || error "only $INSPECTED workers inspected"
case $polls in *" 0 failed"*) ;; *) error "status polls failed: $polls" ;; esac
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
measured "$INSPECTED workers inspected over 12 rounds of reload/restart with status every 50 ms ($polls): $BAD with fds other than {0,1,2,10}; droverd fds $fd0 constant"
pass
