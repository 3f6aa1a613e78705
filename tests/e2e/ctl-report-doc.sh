#!/bin/bash
# droverctl report works, and its manual page says what it does: a shell worker reports ready, a
# status line and busy through it (exit 0, seen by status); run outside a worker it fails with
# exit 1; man/droverctl.8 does not claim that the command is unavailable.
# timeout: 30
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:sh]
command = /bin/sh -c '$DROVERCTL report --ready --busy --status "from shell" && exec sleep 1000'
ready = scoreboard
startsecs = 5
EOF
start_daemon
wait_for 5 is_state sh RUNNING
[ "$(last_field sh status)" = "from shell" ] || error "status line: '$(last_field sh status)'"
[ "$(last_field sh busy)" = true ] || error "busy: '$(last_field sh busy)'"
env -u DROVER_NAME -u DROVER_SLOT -u DROVER_GENERATION "$DROVERCTL" report --ready > "$T/out" 2>&1
rc=$?
log "report outside a worker: exit $rc: $(cat "$T/out")"
[ "$rc" = 1 ] || error "report outside a worker exited $rc, want 1"
man=$SRC_DIR/man/droverctl.8
grep -n -i -E "not linked|not available in this build" "$man" &&
	error "man/droverctl.8 says report is unavailable (lines above), but it works"
pass
