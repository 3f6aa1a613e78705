#!/bin/bash
# Every catchable signal sent to droverd: none ends it without stopping its workers in order.
#   shutdown: TERM INT QUIT XCPU PWR, and ABRT SEGV BUS ILL FPE TRAP SYS sent by another process:
#             droverd exits 0 after stopping the workers with their stopsignal in reverse priority
#             order, stopasgroup reaching the grandchildren (nothing of the instance is left);
#   reopen:   USR1 and USR2 reopen the log files (a renamed log is recreated), workers untouched;
#   reload:   HUP (unchanged config: the same pids);
#   ignored:  PIPE TTIN TTOU XFSZ ALRM VTALRM PROF IO STKFLT URG WINCH CONT and every real-time
#             signal: droverd keeps running and answering, the same worker pids;
#   TSTP:     droverd stops (as a foreground job should); CONT resumes it, workers untouched.
# And the one exception: a wedged event loop (test hook) that gets SIGABRT dies of it within a few
# seconds, as systemd's watchdog expects (a core and a restart, not a wait for SIGKILL).
# timeout: 150
. "$(dirname "$0")/lib.sh"

ulimit -c 0
write_config <<EOF
[program:first]
priority = 1
startsecs = 0
stopasgroup = true
stdout_logfile = $LOG_DIR/first.log
command = /bin/sh -c 'trap "echo first >> \$ORDER; exit 0" TERM; sleep 1000 & echo ready >> \$READY.first; echo up; wait'

[program:second]
priority = 2
startsecs = 0
stopasgroup = true
stopsignal = INT
command = /bin/sh -c 'trap "echo second >> \$ORDER; exit 0" INT; sleep 1000 & echo ready >> \$READY.second; wait'
EOF

# start_round TAG: a fresh droverd whose workers have their traps set.
start_round() {
	export ORDER=$T/order.$1 READY=$T/ready.$1
	rm -f "$ORDER" "$READY".*
	start_daemon
	wait_for 10 test -s "$READY.first"
	wait_for 10 test -s "$READY.second"
}
ready_both() { [ -s "$READY.first" ] && [ -s "$READY.second" ]; }

# --- shutdown class -------------------------------------------------------------------------------
for sig in TERM INT QUIT XCPU PWR ABRT SEGV BUS ILL FPE TRAP SYS; do
	start_round "$sig"
	stop_daemon "$sig" 15
	if [ "$DAEMON_STATUS" != 0 ]; then
		error "SIG$sig: droverd exited with status $DAEMON_STATUS, not 0 after a graceful shutdown"
	fi
	order=$(tr '\n' ' ' < "$ORDER" 2>/dev/null)
	[ "$order" = "second first " ] ||
		error "SIG$sig: workers stopped as '$order', not with their stopsignal in reverse priority order ('second first ')"
	if ! try_for 2 no_workers_left; then
		error "SIG$sig: processes of the instance left behind: $(worker_pids)"
		kill -KILL $(worker_pids) 2>/dev/null
	fi
	grep -q "received SIG$sig" "$DAEMON_LOG" || error "SIG$sig: droverd's log does not say it received it"
done
log "shutdown class: done"

# --- ignored, reload, reopen, stop/continue: one daemon -----------------------------------------
start_round keep
pids0=$(names_pids | sort)
same_workers() { [ "$(names_pids | sort)" = "$pids0" ]; }

ignored="PIPE TTIN TTOU XFSZ ALRM VTALRM PROF IO STKFLT URG WINCH CONT"
rtmin=$(kill -l RTMIN) rtmax=$(kill -l RTMAX)
for ((n = rtmin; n <= rtmax; n++)); do ignored="$ignored $n"; done
for sig in $ignored; do
	kill -s "$sig" "$DAEMON_PID" 2>/dev/null || kill -"$sig" "$DAEMON_PID" || error "cannot send $sig"
	# The signal is handled (or ignored) before the next request is answered: the loop checks
	# signals first, and libev wakes it for either.
	_ctl_answers || { sleep 0.2; _ctl_answers; } || error "droverd does not answer after signal $sig"
	daemon_alive || { wait "$DAEMON_PID"; fail "signal $sig ended droverd (status $?)"; }
done
same_workers || error "the workers changed under ignored signals: $(names_pids)"
log "ignored class: droverd alive, workers untouched"

kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "received SIGHUP" "$DAEMON_LOG"
wait_for 5 _ctl_answers
same_workers || error "SIGHUP with an unchanged config changed the workers: $(names_pids)"

for sig in USR1 USR2; do
	mv "$LOG_DIR/first.log" "$LOG_DIR/first.log.$sig"
	kill -s "$sig" "$DAEMON_PID"
	wait_for 5 grep -q "received SIG$sig: reopening" "$DAEMON_LOG"
	wait_for 5 test -e "$LOG_DIR/first.log"
	daemon_alive || fail "SIG$sig ended droverd"
done
same_workers || error "reopening the logs changed the workers: $(names_pids)"
log "HUP, USR1, USR2: droverd alive, logs reopened"

kill -TSTP "$DAEMON_PID"
stopped() { [ "$(proc_state "$DAEMON_PID")" = T ]; }
wait_for 5 stopped
kill -CONT "$DAEMON_PID"
wait_for 5 _ctl_answers
same_workers || error "TSTP/CONT changed the workers: $(names_pids)"
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after the ignored signals and SIGTERM"

# --- a wedged loop still dies of SIGABRT (systemd's watchdog) -------------------------------------
export DROVER_TEST_HANG_ON_SIGUSR2=1
start_round wedged
kill -USR2 "$DAEMON_PID"
wait_for 5 grep -q "hanging the event loop" "$DAEMON_LOG"
t0=$(now_ms)
kill -ABRT "$DAEMON_PID"
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; st=$?
log "wedged droverd died $(( $(now_ms) - t0 )) ms after SIGABRT, status $st"
[ "$st" = 134 ] || error "a wedged droverd exited with status $st after SIGABRT, not by the signal (134)"
unset DROVER_TEST_HANG_ON_SIGUSR2
pass
