#!/bin/bash
# PID-reuse safety: start/stop cycles of 8 workers with droverd under `strace -f` in a PID namespace
# of its own whose pid_max is small (400: pids come round again every few cycles), then
# tests/faults/pidtrace.py checks every signal droverd (or anything it started) sent: kill(P) and
# kill(-P) only while P is a process created in the trace and not reaped yet; signals to threads
# only to the caller's own; the rest goes through pidfds. Some workers have children in their group
# and stopasgroup/killasgroup (kill(-P)); one ignores SIGTERM (SIGKILL after stopwaitsecs).
# DROVER_PIDREUSE_CYCLES sets the number of cycles (default 60, 30 under ASan: every pid comes round
# a few times; a spawn under strace -f costs ~40 ms, so the long form, 10,000, takes about an hour).
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
command -v strace > /dev/null || skip "strace missing (mk/deps.sh tools installs it)"
command -v unshare > /dev/null || skip "unshare missing"
unshare -fp --mount-proc sh -c 'echo 400 > /proc/sys/kernel/pid_max' 2> /dev/null ||
	skip "no PID namespace with a pid_max of its own here (Linux 6.14 or later)"

CYCLES=${DROVER_PIDREUSE_CYCLES:-$(scaled 60 30)}
# The checker first proves it can fail: a kill after the reap, and one to a pid nobody created.
printf '%s\n' '2 clone(child_stack=NULL, flags=CLONE_VM|CLONE_VFORK|SIGCHLD) = 7' \
	'2 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 7' \
	'2 kill(-7, SIGTERM) = 0' '2 kill(9, SIGKILL) = 0' > "$T/bad-trace"
"$PY" "$(dirname "$0")/pidtrace.py" "$T/bad-trace" > "$T/bad.out" && fail "pidtrace.py accepts a kill after the reap"
grep -c VIOLATION "$T/bad.out" | grep -qx 2 || fail "pidtrace.py: $(cat "$T/bad.out")"
TRACE=$T/trace
{
	for i in 1 2 3 4 5; do
		printf '[program:w%d]\ncommand = %s\nstartsecs = 0\nstopwaitsecs = 5\n\n' "$i" "$WSLEEP"
	done
	for i in 6 7; do
		printf '[program:w%d]\ncommand = %s -g 2\nstartsecs = 0\nstopasgroup = true\nkillasgroup = true\n\n' "$i" "$WSLEEP"
	done
	printf '[program:w8]\ncommand = %s -T\nstartsecs = 0\nstopwaitsecs = 1\n\n' "$WSLEEP"
} | write_config
# Only w8's SIGKILL path is slow (1 s per cycle): it takes part in every fifth cycle.

# droverd as pid 2 of its namespace, under strace (pid 1), pid_max 400 there. LeakSanitizer cannot
# run under ptrace: the ASan tree checks everything else.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
launch_daemon unshare -fp --mount-proc --kill-child sh -c 'echo 400 > /proc/sys/kernel/pid_max &&
	exec strace -f --seccomp-bpf -qq -o "$0" \
		-e trace=clone,clone3,fork,vfork,wait4,waitid,kill,tkill,tgkill,rt_sigqueueinfo,rt_tgsigqueueinfo,pidfd_open,pidfd_send_signal \
		-e signal=none "$@"' "$TRACE"
wait_for 5 eval '[ -n "$(children_of "$DAEMON_PID")" ]'
tracer=$(children_of "$DAEMON_PID")
wait_for 5 eval '[ -n "$(children_of "$tracer")" ]'
inner=$(children_of "$tracer")
DAEMON_PIDS+=("$inner")   # clean-up signals droverd itself: unshare does not pass SIGTERM on
# droverctl in droverd's PID namespace: droverd checks a client's pid (its reply queue's name).
CTL_PREFIX=(nsenter -t "$inner" -p -m)
wait_daemon_ready
wait_for 10 all_in_state RUNNING "" 8
t0=$(now_ms)
for c in $(seq 1 "$CYCLES"); do
	if [ $((c % 5)) = 0 ]; then set -- all; else set -- w1 w2 w3 w4 w5 w6 w7; fi
	ctl stop "$@" > "$T/out" 2>&1 || fail "cycle $c: stop $*: $(cat "$T/out")"
	ctl start "$@" > "$T/out" 2>&1 || fail "cycle $c: start $*: $(cat "$T/out")"
done
log "$CYCLES stop/start cycles in $(fmt_ms $(($(now_ms) - t0))) s"
ctl shutdown > /dev/null 2>&1 || fail "shutdown refused"
wait_for 30 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 0 ] || error "droverd (under strace) exited with status $DAEMON_STATUS"
"$PY" "$(dirname "$0")/pidtrace.py" "$TRACE" || error "droverd signalled a pid it had not verified (above)"
pass
