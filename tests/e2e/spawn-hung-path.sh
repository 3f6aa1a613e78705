#!/bin/bash
# A path that hangs (a filesystem that never answers, as a hard NFS mount whose server is gone;
# tests/helpers/fuse-hang) does not wedge droverd: while a process whose `directory` or `command`
# lies on it is being started, droverd answers requests and reaps and restarts the others, and
# it shuts down within a bounded time although the stuck start can only be abandoned (a process
# waiting on such a path cannot even be killed).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers fuse-hang
[ -c /dev/fuse ] || skip "no /dev/fuse"

mkdir "$T/mnt"
"$HELPERS/fuse-hang" "$T/mnt" "$T/fuse.ready" &
FUSE=$!
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; kill -TERM $FUSE 2>/dev/null; wait $FUSE 2>/dev/null; umount -l "$T/mnt" 2>/dev/null; (exit $_rc); _cleanup' EXIT
try_for 5 test -e "$T/fuse.ready" || skip "cannot mount a FUSE filesystem here"
# A lookup there waits in the kernel, unkillable once the server has read it, until the server
# goes (the clean-up ends it first): as a hard network mount does.
stat "$T/mnt/probe" > /dev/null 2>&1 &
probe=$!
try_for 0.5 eval '! proc_alive '"$probe" && skip "the FUSE mount does not hang lookups (test setup)"

write_config <<EOF
[program:ok]
command = /bin/sleep 1000
startsecs = 0

[program:hungdir]
command = /bin/sleep 1001
directory = $T/mnt/dir
autostart = false
startsecs = 1
startretries = 0

[program:hungexec]
command = $T/mnt/bin/server
autostart = false
startsecs = 1
startretries = 0
EOF
start_daemon
wait_for 5 is_state ok RUNNING
answers() { timeout 3 "$DROVERCTL" -n "$NAME" --timeout 2 version > /dev/null 2>&1; }
for p in hungdir hungexec; do
	timeout 10 "$DROVERCTL" -n "$NAME" start --no-wait "$p" > "$T/$p.start" 2>&1 &
	answers || error "droverd does not answer while $p starts on a hung path"
	okpid=$(pid_of ok)
	kill -KILL "$okpid" 2>/dev/null
	try_for 5 eval '[ "$(pid_of ok)" != "$okpid" ] && [ "$(last_field ok state)" = RUNNING ]' ||
		error "while $p hangs, ok was not restarted after SIGKILL (droverd not reaping)"
	timeout 10 "$DROVERCTL" -n "$NAME" stop --no-wait "$p" > "$T/$p.stop" 2>&1 ||
		error "stop --no-wait $p (stuck on the hung path) got no answer: $(cat "$T/$p.stop")"
done
kill -TERM "$DAEMON_PID"
try_for 15 _gone "$DAEMON_PID" || error "droverd did not shut down within 15 s while the path hangs"
pass
