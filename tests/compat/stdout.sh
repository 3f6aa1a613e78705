#!/bin/bash
# stdout_logfile = /dev/stdout and stderr_logfile = /dev/stderr with *_maxbytes = 0 (the container
# pattern), supervisord 4.2.5 vs droverd, each daemon's stdout and stderr (one description) going to
# a FIFO read by cat, then to a file opened with O_APPEND: the program's 200 stdout and 200 stderr
# lines all arrive, intact and once, in the daemon's output under both. (A socket, or a file opened
# without O_APPEND, loses lines under supervisord, which re-opens /dev/stdout: e2e/logs-own-stdout
# covers droverd there.)
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

compat_config <<EOF
[program:talker]
startsecs = 0
autorestart = false
stdout_logfile = /dev/stdout
stdout_logfile_maxbytes = 0
stderr_logfile = /dev/stderr
stderr_logfile_maxbytes = 0
command = /bin/sh -c 'i=0; while [ \$i -lt 200 ]; do i=\$((i + 1)); echo "talker out \$i"; echo "talker err \$i" >&2; done; exec sleep 1000'
EOF
# lines FILE: how many of the 400 lines are there exactly once ("400" when all are).
lines() {
	awk '/^talker (out|err) [0-9]+$/ { seen[$0]++ }
		END { for (k in seen) if (seen[k] == 1) n++; print n + 0 }' "$1"
}
for mode in fifo append; do
	for d in sv dr; do
		out=$T/$d.$mode.out
		: > "$out"
		if [ "$mode" = fifo ]; then
			mkfifo "$T/$d.fifo"
			cat "$T/$d.fifo" > "$out" &
			wrap=(sh -c 'exec "$@" > "$0" 2>&1' "$T/$d.fifo")
		else
			wrap=(sh -c 'exec "$@" >> "$0" 2>&1' "$out")
		fi
		if [ "$d" = dr ]; then
			launch_daemon "${wrap[@]}"
		else
			"${wrap[@]}" supervisord -c "$CONF" < /dev/null &
			SV_PID=$!
		fi
	done
	wait_daemon_ready
	until _sv_answers; do proc_alive "$SV_PID" || fail "supervisord exited"; sleep 0.05; done
	try_for 15 eval '[ "$(lines "$T/sv.$mode.out")" = 400 ] && [ "$(lines "$T/dr.$mode.out")" = 400 ]'
	same "$mode: complete lines of the program in the daemon's output" "$(lines "$T/sv.$mode.out")" "$(lines "$T/dr.$mode.out")"
	[ "$(lines "$T/dr.$mode.out")" = 400 ] || error "$mode: droverd's output has $(lines "$T/dr.$mode.out") of the 400 lines"
	sv_stop TERM
	dr_stop TERM
	rm -f "$T"/*.fifo
done
pass
