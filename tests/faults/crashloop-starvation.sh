#!/bin/bash
# Regression test (found by the fault suite, issue 7): a crash loop must not starve the event loop.
# 30 programs whose workers die as soon as they start (fault-chaos -m 0; startsecs = 0,
# autorestart = true, respawn_interval = 0: each exit is an immediate restart). droverd must keep serving its control
# queue (each `droverctl version` answered, within droverctl's 5 s timeout; how long each took is
# logged, not judged: on a loaded machine that is mostly droverctl's own start-up) and honour
# SIGTERM (exit 0; its shutdown, by droverd's own log times, within stopwaitsecs + 1 = 2 s, under
# ASan 2 s more for its spawn helpers' exit). Seen failing: every request "no reply within 10 s", the queue
# "busy", SIGTERM ignored for > 10 s, while the SIGCHLD handler's reap loop, which respawns each
# child it reaps, never finds the children all alive and never returns to the event loop.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers fault-chaos

for i in $(seq 0 29); do
	printf '[program:c%02d]\ncommand = %s -m 0\nstartsecs = 0\nautorestart = true\nstopwaitsecs = 1\nrespawn_interval = 0\n\n' "$i" "$HELPERS/fault-chaos"
done | write_config
start_daemon
# The crash loop is on from the first spawn. 10 control round trips over about 5 s.
failed=0 maxms=0
for i in $(seq 1 10); do
	t0=$(now_ms)
	if ! ctl --timeout 5 version > /dev/null 2> "$T/rt.err"; then
		grep -q "Too many open files" "$T/rt.err" && { log "droverctl: $(cat "$T/rt.err") (queue quota, not counted)"; continue; }
		failed=$((failed + 1))
		log "round trip $i failed: $(cat "$T/rt.err")"
	fi
	ms=$(($(now_ms) - t0))
	[ "$ms" -gt "$maxms" ] && maxms=$ms
	[ "$failed" -ge 3 ] && break
	sleep 0.5   # pacing of the requests
done
spawns=$(grep -c 'spawned:' "$DAEMON_LOG")
[ "$failed" = 0 ] || error "$failed control requests got no answer during the crash loop"
t0=$(now_ms)
kill -TERM "$DAEMON_PID"
try_for 15 _gone "$DAEMON_PID" || error "droverd still running 15 s after SIGTERM during a crash loop"
ms=$(($(now_ms) - t0))
if ! proc_alive "$DAEMON_PID"; then
	wait "$DAEMON_PID"; DAEMON_STATUS=$?
	[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
	own=$(shutdown_ms)
	[ -n "$own" ] && [ "$own" -le "$SHUTDOWN_MAX_MS" ] ||
		error "droverd's shutdown took ${own:-?} ms by its log (want <= $SHUTDOWN_MAX_MS ms: stopwaitsecs + 1 s)"
fi
measured "$spawns spawns of instantly dying workers; control round trips: $failed failed, max $maxms ms; SIGTERM -> exit in $ms ms (droverd's own shutdown ${own:-?} ms)"
pass
