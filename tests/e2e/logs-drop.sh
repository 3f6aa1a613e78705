#!/bin/bash
# A log "file" that cannot take the output never blocks droverd: what cannot be written is
# dropped, counted, and said once (not once per write), then again with the exact count when
# writing works again. (1) stdout_logfile = /dev/full: every write fails with ENOSPC. (2) a FIFO
# nobody reads (a slow sink, or stdout_logfile = /dev/stdout on a stuck pipe): droverd opens it
# non-blocking, fills it, drops the rest, keeps answering; drained, it is written again and the
# log says exactly how many bytes were lost. The in-memory tail keeps everything meanwhile.
# (3) stdout_logfile = /dev/stdout goes to droverd's own stdout; a log path that is a symlink
# is written through but never rotated (rotation would rename the symlink: with /dev/stdout
# that broke the machine's /dev/stdout once -- this test never rotates anything under /dev).
# timeout: 60
. "$(dirname "$0")/lib.sh"

mkfifo -m 0600 "$T/sink.fifo"
write_config <<EOF2
[program:full]
command = /bin/sh -c 'seq 1 100000; exec sleep 1000'
startsecs = 0
stdout_logfile = /dev/full

[program:slow]
command = /bin/sh -c 'trap "echo after-drain" USR1; seq 1 100000; while :; do sleep 0.05; done'
startsecs = 0
autostart = false
stdout_logfile = $T/sink.fifo
stdout_logfile_maxbytes = 1KB

[program:tostdout]
command = /bin/sh -c 'for i in \$(seq 1 300); do echo "to-dev-stdout \$i"; done; exec sleep 1000'
startsecs = 0
stdout_logfile = /dev/stdout
stdout_logfile_maxbytes = 0

[program:linked]
command = /bin/sh -c 'seq -f "linked %%g" 1 300; exec sleep 1000'
startsecs = 0
stdout_logfile = $T/link.log
stdout_logfile_maxbytes = 1KB
EOF2
: > "$T/real.log"
ln -s real.log "$T/link.log"
start_daemon
wait_for 10 all_in_state RUNNING full 1
tail_is() { [ "$(ctl tail -n 1 "$1" 2>/dev/null)" = "$2" ]; }
wait_for 10 tail_is full 100000
n=$(grep -c 'full: cannot write stdout log file /dev/full: No space left on device; dropping output' "$DAEMON_LOG")
[ "$n" = 1 ] || fail "the /dev/full drop was said $n times, want once: $(grep full "$DAEMON_LOG" | head -3)"
ctl status full > /dev/null || fail "status full"

# (2) a FIFO that is not read: hold its read end open (O_RDWR: no blocking), then start slow.
exec 7<> "$T/sink.fifo"
ctl start slow > /dev/null || fail "droverctl start slow failed"
wait_for 10 tail_is slow 100000
wait_for 5 grep -q 'slow: cannot write stdout log file .*sink.fifo: Resource temporarily unavailable; dropping output' "$DAEMON_LOG"
ctl status slow > /dev/null || fail "droverd does not answer with a full FIFO as a log file"
dd if=/dev/fd/7 iflag=nonblock bs=65536 of="$T/drained" 2> /dev/null
F=$(stat -c %s "$T/drained")
P=$(seq 1 100000 | wc -c)
log "the FIFO held $F of the $P bytes printed"
[ "$F" -gt 0 ] && [ "$F" -lt "$P" ] || fail "drained $F bytes from the FIFO"
[ "$(md5sum < "$T/drained")" = "$(seq 1 100000 | head -c "$F" | md5sum)" ] || fail "the FIFO did not get the beginning of the output"
ctl signal USR1 slow > /dev/null || fail "droverctl signal USR1 slow"
wait_for 5 grep -q "slow: stdout log file .*sink.fifo written again; dropped $((P - F)) bytes" "$DAEMON_LOG"
grep "written again" "$DAEMON_LOG"
dd if=/dev/fd/7 iflag=nonblock bs=65536 of="$T/drained2" 2> /dev/null
[ "$(cat "$T/drained2")" = after-drain ] || fail "after the drain the FIFO got: $(head -c 100 "$T/drained2")"
exec 7>&-

# (3) /dev/stdout: droverd's own stdout (the daemon log here), no rotation attempted. tostdout writes
# a line at a time: droverd passes output on as it reads it, and seq's 4 KiB blocks ended mid-line,
# where a warning of droverd's own (the FIFO above) could land in the same file and split a line.
wait_for 5 grep -q '^to-dev-stdout 300$' "$DAEMON_LOG"
[ "$(grep -c '^to-dev-stdout ' "$DAEMON_LOG")" = 300 ] || fail "not all 300 lines reached droverd's stdout"
grep -q 'cannot rotate' "$DAEMON_LOG" && fail "droverd tried to rotate: $(grep 'cannot rotate' "$DAEMON_LOG")"
[ -L /dev/stdout ] || fail "/dev/stdout is no longer a symlink"
wait_for 5 grep -q '^linked 300$' "$T/real.log"
[ -L "$T/link.log" ] || fail "the symlinked log path was replaced (rotated?)"
[ "$(grep -c '^linked ' "$T/real.log")" = 300 ] || fail "not all 300 lines reached the symlink's target"
ls "$T" | grep -q 'link.log.1' && fail "the symlink was rotated: $(ls "$T")"
grep -q "linked: stdout log file $T/link.log is not a regular file: it is not rotated" "$DAEMON_LOG" ||
	fail "droverd did not say that the symlinked log is not rotated"
pass
