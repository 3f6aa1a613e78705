#!/bin/bash
# Worker output through droverd's pipes reaches the log files complete and in order: 10 MB of
# numbered lines on stdout and 2 MB on stderr, both compared byte for byte (checksum) with what
# the worker printed; AUTO paths are log_dir/PROCESS-stdout.log and -stderr.log; a worker that
# prints and exits at once (output still in the pipe at the reap) loses nothing; stdin is
# /dev/null and the worker's stdout is a blocking pipe; the worker does not see NOTIFY_SOCKET.
# timeout: 90
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:big]
command = /bin/sh -c 'seq -f "%%09g" 1 1000000; seq -f "e%%08g" 1 200000 >&2; exec sleep 1000'
startsecs = 0

[program:quick]
command = /bin/sh -c 'seq 1 5000; echo last line'
startsecs = 0
autorestart = false

[program:probe]
command = /bin/sh -c 'echo "notify=\${NOTIFY_SOCKET:-unset} stdin=\$(readlink /proc/self/fd/0)"; /usr/bin/python3 -c "import os; print(\"stdout_blocking=\" + str(os.get_blocking(1)))"; exec sleep 1000'
startsecs = 0
EOF2
NOTIFY_SOCKET=$T/no-such-socket start_daemon

out=$LOG_DIR/big-stdout.log
err=$LOG_DIR/big-stderr.log
size_is() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]; }
t0=$(now_ms)
wait_for 60 size_is "$out" 10000000
wait_for 20 size_is "$err" 2000000
log "10 MB on stdout and 2 MB on stderr logged in $(( $(now_ms) - t0 )) ms"
want=$(seq -f "%09g" 1 1000000 | md5sum)
got=$(md5sum < "$out")
[ "$want" = "$got" ] || { cmp <(seq -f "%09g" 1 1000000) "$out" | head -3; fail "stdout log differs from what the worker printed"; }
want=$(seq -f "e%08g" 1 200000 | md5sum)
got=$(md5sum < "$err")
[ "$want" = "$got" ] || fail "stderr log differs from what the worker printed"

# quick: exits right after printing; nothing of it is lost.
q=$LOG_DIR/quick-stdout.log
wait_for 10 grep -qx "last line" "$q"
[ "$(md5sum < "$q")" = "$( (seq 1 5000; echo last line) | md5sum)" ] || fail "quick's log is incomplete"

p=$LOG_DIR/probe-stdout.log
wait_for 10 grep -q "stdout_blocking=" "$p"
cat "$p"
grep -qx "notify=unset stdin=/dev/null" "$p" || fail "worker sees NOTIFY_SOCKET or its stdin is not /dev/null: $(head -1 "$p")"
grep -qx "stdout_blocking=True" "$p" || fail "the worker's stdout pipe is non-blocking"

# The daemon's read ends are non-blocking, close-on-exec pipes; the worker got none of them
# (only 0-2, and 10: its own scoreboard object).
bigpid=$(pid_of big)
for fd in /proc/"$bigpid"/fd/*; do
	n=${fd##*/}
	[ "$n" = 10 ] && case $(readlink "$fd") in /memfd:drover-scoreboard*) continue ;; esac
	[ "$n" -le 2 ] || fail "worker big holds fd $n -> $(readlink "$fd")"
done
ino=$(readlink /proc/"$bigpid"/fd/1)
case $ino in pipe:*) ;; *) fail "big's stdout is $ino, not a pipe" ;; esac
found=
for fd in /proc/"$DAEMON_PID"/fd/*; do
	[ "$(readlink "$fd")" = "$ino" ] || continue
	found=${fd##*/}
	flags=$(awk '/^flags:/ { print $2 }' /proc/"$DAEMON_PID"/fdinfo/"$found")
	# O_NONBLOCK 04000, O_CLOEXEC 02000000 (octal)
	(( (8#$flags & 8#4000) != 0 )) || fail "droverd's read end fd $found is blocking (flags $flags)"
	(( (8#$flags & 8#2000000) != 0 )) || fail "droverd's read end fd $found is not O_CLOEXEC (flags $flags)"
done
[ -n "$found" ] || fail "droverd holds no read end of big's stdout pipe ($ino)"

stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
pass
