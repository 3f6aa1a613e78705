#!/bin/bash
# droverctl tail: `tail -n 5` prints the last 5 lines of a process's stdout (and of its stderr,
# from the 64 KiB in-memory tail); an unknown process is exit 1; stderr of a redirect_stderr
# process is an explained error; a stream whose log file is NONE is discarded without a pipe (the
# worker writes to /dev/null) and tail says so (exit 1). `tail -f` prints the last
# lines, then sees a line printed after it started; killing the client (SIGKILL, SIGINT) leaves
# droverd healthy, closes droverd's end of the FIFO, and leaves no FIFO (nor its directory)
# behind in the client's runtime directory. droverd opens only private FIFOs (raw requests with a
# regular file, a FIFO others can read, one in an open directory, a symlink, a relative path are
# refused; a FIFO without a reader is ENXIO); a stopped follower never blocks droverd.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:w]
command = /bin/sh -c 'trap "echo marker" USR1; seq 1 100; seq 1001 1100 >&2; while :; do sleep 0.02; done'
startsecs = 0

[program:quiet]
command = /bin/sh -c 'seq 1 100; seq 1001 1100 >&2; exec sleep 1000'
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE

[program:r]
command = /bin/sh -c 'echo to-out; echo to-err >&2; exec sleep 1000'
startsecs = 0
redirect_stderr = true

[program:burst]
command = /bin/sh -c 'trap "seq 1 200000" USR2; while :; do sleep 0.02; done'
startsecs = 0

[program:big]
command = /bin/sh -c 'seq -f "%%07g" 1 100000; exec sleep 1000'
startsecs = 0
EOF2
NOTIFY_SOCKET= start_daemon
wait_for 10 all_in_state RUNNING "" 5
have_last() { [ "$(ctl tail -n 1 "$1" ${3:-} 2>/dev/null)" = "$2" ]; }
wait_for 5 have_last w 100
wait_for 5 have_last w 1100 stderr
wait_for 5 have_last big 0100000

[ "$(ctl tail -n 5 w)" = "$(seq 96 100)" ] || fail "tail -n 5 w: $(ctl tail -n 5 w | tr '\n' ' ')"
[ "$(ctl tail -n 5 w stderr)" = "$(seq 1096 1100)" ] || fail "tail -n 5 w stderr: $(ctl tail -n 5 w stderr | tr '\n' ' ')"
[ "$(ctl tail w)" = "$(seq 91 100)" ] || fail "tail w (default 10 lines): $(ctl tail w | tr '\n' ' ')"
# NONE: no log file, no pipe (the worker's 1 and 2 are /dev/null), and tail says why it has nothing.
[ -e "$LOG_DIR/quiet-stdout.log" ] && fail "stdout_logfile = NONE created $LOG_DIR/quiet-stdout.log"
qpid=$(pid_of quiet)
for fd in 1 2; do
	[ "$(readlink "/proc/$qpid/fd/$fd")" = /dev/null ] || fail "quiet (logs NONE): fd $fd is $(readlink "/proc/$qpid/fd/$fd"), want /dev/null"
done
for stream in stdout stderr; do
	ctl tail quiet $stream > "$T/out" 2>&1; rc=$?
	[ "$rc" = 1 ] || fail "tail quiet $stream (NONE): exit $rc, want 1 ($(cat "$T/out"))"
	grep -q "discarded (${stream}_logfile = NONE)" "$T/out" || fail "tail quiet $stream does not say its output is discarded: $(cat "$T/out")"
done
# The whole ring: 64 KiB at most, whole lines, the end of the output (-BYTES 0: all kept).
ctl tail -0 big > "$T/ring"
s=$(stat -c %s "$T/ring")
[ "$s" -le 65536 ] && [ "$s" -gt 60000 ] || fail "tail -0 big gave $s bytes, want the last ~64 KiB"
[ "$(md5sum < "$T/ring")" = "$(seq -f "%07g" 1 100000 | tail -c "$s" | md5sum)" ] || fail "tail -0 big is not the end of the output"
[ $((s % 8)) = 0 ] || fail "tail -0 big does not start at a line ($s bytes)"
[ "$(ctl tail -n 3 r)" = "$(printf 'to-out\nto-err')" ] || fail "redirect_stderr: stdout tail $(ctl tail -n 3 r | tr '\n' ' ')"
[ -z "$(ctl tail -n 0 big)" ] || fail "tail -n 0 big printed something (tail(1): no line)"
ctl tail r stderr > "$T/out" 2>&1 && fail "tail r stderr succeeded although stderr is redirected"
grep -q "redirect" "$T/out" || fail "tail r stderr does not explain: $(cat "$T/out")"
ctl tail nosuch > "$T/out" 2>&1; rc=$?
[ "$rc" = 1 ] || fail "tail nosuch: exit $rc, want 1 ($(cat "$T/out"))"

# tail -f in a private runtime directory, so that what it leaves there can be checked.
export XDG_RUNTIME_DIR=$T/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"
daemon_fifo_fds() { local fd n=0; for fd in /proc/"$DAEMON_PID"/fd/*; do case $(readlink "$fd") in "$XDG_RUNTIME_DIR"/*) n=$((n + 1)) ;; esac; done; echo $n; }
nothing_left() { [ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]; }
no_daemon_fifo() { [ "$(daemon_fifo_fds)" = 0 ]; }
no_daemon_fifo_in() { local fd; for fd in /proc/"$DAEMON_PID"/fd/*; do case $(readlink "$fd") in "$1"/*) return 1 ;; esac; done; return 0; }
follow_round() {   # SIGNAL
	local sig=$1 out=$T/follow.$1 pid k
	local expect markers
	expect=$(ctl tail -n 3 w)
	markers=$(grep -c '^marker$' <<< "$expect")
	# Not ctl(): $! must be droverctl itself (env execs it). A background job of a script starts
	# with SIGINT ignored: give it back its default, as a terminal's foreground job has.
	env --default-signal=INT "$DROVERCTL" -n "$NAME" tail -f -n 3 w > "$out" 2> "$out.err" &
	pid=$!
	have_lines() { [ "$(wc -l < "$out")" -ge "$1" ]; }
	wait_for 5 have_lines 3   # the last 3 lines first
	[ "$(head -n 3 "$out")" = "$expect" ] || fail "tail -f -n 3 began with: $(head -n 3 "$out" | tr '\n' ' '), want $(tr '\n' ' ' <<< "$expect")"
	# the FIFO and its directory are gone from the file system as soon as droverd holds it
	wait_for 2 nothing_left
	[ "$(daemon_fifo_fds)" = 1 ] || fail "droverd holds $(daemon_fifo_fds) descriptors of FIFOs under $XDG_RUNTIME_DIR, want 1"
	ctl signal USR1 w > /dev/null || fail "droverctl signal USR1 w failed"
	more_markers() { [ "$(grep -c '^marker$' "$out")" -gt "$markers" ]; }
	wait_for 5 more_markers
	log "tail -f saw the marker line (SIG$sig next)"
	kill -s "$sig" "$pid"
	wait_for 5 _gone "$pid"
	wait "$pid" 2>/dev/null
	daemon_alive || fail "droverd died after the tail -f client got SIG$sig"
	ctl status w > /dev/null || fail "droverd does not answer after the tail -f client got SIG$sig"
	wait_for 3 no_daemon_fifo
	nothing_left || fail "left in the runtime directory after SIG$sig: $(ls -A "$XDG_RUNTIME_DIR")"
	ls /tmp | grep -q "^droverctl\." && log "note: /tmp has droverctl.* entries (other runs?)"
	return 0
}
follow_round KILL
follow_round INT
follow_round TERM

# What droverd opens for tail -f: only a private FIFO (see logpipe.h). Raw requests with other
# paths (droverctl never sends them) are refused, and nothing is written to those paths.
need_helpers tail-req
req() { "$HELPERS/tail-req" "/$NAME.ctl" w 0 1 "$1" > "$T/req.out" 2>&1 || fail "tail-req: $(cat "$T/req.out")"; head -n 1 "$T/req.out"; }
expect_refused() {   # WHAT PATH RESULT
	local got
	got=$(req "$2")
	[ "$got" = "result $3" ] || error "tail -f into $1 ($2): got '$got' ($(tail -n 1 "$T/req.out")), want result $3"
}
P=$T/priv; mkdir -m 0700 "$P"
: > "$P/regular"; chmod 0600 "$P/regular"
expect_refused "a regular file" "$P/regular" -1   # EPERM
[ -s "$P/regular" ] && error "droverd wrote into a regular file named as a FIFO"
mkfifo -m 0644 "$P/fifo-0644"
exec 8<> "$P/fifo-0644"
expect_refused "a FIFO others can read" "$P/fifo-0644" -1
mkdir -m 0755 "$T/open"; mkfifo -m 0600 "$T/open/fifo"
exec 9<> "$T/open/fifo"
expect_refused "a FIFO in a directory others can enter" "$T/open/fifo" -1
mkfifo -m 0600 "$P/good"
ln -s good "$P/link"
exec 6<> "$P/good"
expect_refused "a symlink to a good FIFO" "$P/link" -1
expect_refused "a relative path" "relative/fifo" -22   # EINVAL
mkfifo -m 0600 "$P/noreader"
expect_refused "a FIFO nobody reads" "$P/noreader" -6   # ENXIO
[ "$(req "$P/good")" = "result 0" ] || error "the private FIFO $P/good was refused: $(cat "$T/req.out")"
exec 6>&- 8>&- 9>&-
wait_for 3 no_daemon_fifo_in "$P"

# A follower that does not read never blocks droverd: 1.3 MB more output while it is stopped.
"$DROVERCTL" -n "$NAME" tail -f -n 1 burst > /dev/null 2>&1 &
fpid=$!
has_fifo() { [ "$(daemon_fifo_fds)" = 1 ]; }
wait_for 5 has_fifo
kill -STOP "$fpid"
ctl signal USR2 burst > /dev/null || fail "droverctl signal USR2 burst failed"
wait_for 10 grep -qx 200000 "$LOG_DIR/burst-stdout.log"
ctl status burst > /dev/null || fail "droverd does not answer with a stopped tail -f client"
[ "$(ctl tail -n 1 burst)" = 200000 ] || fail "tail -n 1 burst: $(ctl tail -n 1 burst)"
kill -CONT "$fpid"
kill -TERM "$fpid"
wait_for 5 _gone "$fpid"
wait "$fpid" 2>/dev/null
wait_for 3 no_daemon_fifo
nothing_left || fail "left in the runtime directory: $(ls -A "$XDG_RUNTIME_DIR")"
pass
