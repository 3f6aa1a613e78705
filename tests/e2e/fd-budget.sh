#!/bin/bash
# A config droverd could not hold within its descriptor limit is refused whole when it is read, saying
# how many of its processes fit, instead of failing spawn after spawn with EMFILE: at start-up droverd
# exits 1 having created nothing (no instance lock, no queue, no worker); a reload to such a config is
# refused and the running processes are untouched. At the same limit a config whose workers are not
# logged (NONE: one descriptor each) starts whole. droverd raises its soft RLIMIT_NOFILE to the hard
# limit first (the check counts with the hard limit), and its workers get the soft limit it was given.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

# Hard limit 300 for droverd (and everything this test starts): 128 are droverd's own, 172 for
# workers. Soft limit 200: droverd raises its own to 300.
ulimit -n 300 && ulimit -Sn 200 || skip "cannot lower RLIMIT_NOFILE"

# 100 logged processes: a pidfd, two pipes and two log files each = 500 > 172; 34 fit.
logged() {
	write_config <<EOF2
[program:many]
command = $WSLEEP
numprocs = 100
process_name = %(program_name)s_%(process_num)03d
startsecs = 0
EOF2
}
logged
launch_daemon
wait_for 10 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 1 ] || fail "droverd exited $DAEMON_STATUS with a config that cannot fit, want 1"
grep -q "need 500 descriptors" "$DAEMON_LOG" && grep -q "limit is 300" "$DAEMON_LOG" && grep -q "34 of them fit" "$DAEMON_LOG" ||
	{ tail -n 5 "$DAEMON_LOG"; fail "droverd's error does not say what is needed and how many fit"; }
[ -z "$(ipc_objects "$NAME")" ] || fail "a refused start left IPC objects: $(ipc_objects "$NAME")"
no_workers_left || fail "a refused start left workers: $(worker_pids)"
[ -z "$(ls "$LOG_DIR")" ] || fail "a refused start created log files: $(ls "$LOG_DIR" | head -n 3)"

# 150 unlogged processes need 150: they fit, all start.
write_config <<EOF2
[program:many]
command = $WSLEEP
numprocs = 150
process_name = %(program_name)s_%(process_num)03d
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE
EOF2
start_daemon
wait_for 30 all_in_state RUNNING many 150
before=$(names_pids many | sort)
nofile() { awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"; }
[ "$(nofile "$DAEMON_PID")" = "300 300" ] || fail "droverd's RLIMIT_NOFILE (soft hard) is $(nofile "$DAEMON_PID"), want 300 300"
w=$(pid_of many_000)
[ "$(nofile "$w")" = "200 300" ] || fail "a worker's RLIMIT_NOFILE is $(nofile "$w"), want droverd's original 200 300"
fds=$(fd_count "$DAEMON_PID")
[ "$fds" -le $((150 + 64)) ] || fail "droverd holds $fds descriptors for 150 unlogged workers"

# A reload to the logged config is refused like a broken one; nothing changes.
logged
ctl reload > "$T/reload.out" 2>&1 && fail "reload to a config that cannot fit succeeded: $(cat "$T/reload.out")"
grep -q "of them fit" "$T/reload.out" || fail "reload refusal does not say how many fit: $(cat "$T/reload.out")"
[ "$(names_pids many | sort)" = "$before" ] || fail "the refused reload changed the running processes"
grep -q "reload.*of them fit" "$DAEMON_LOG" || fail "droverd's log does not have the refusal"
daemon_alive || fail "droverd died"
pass
