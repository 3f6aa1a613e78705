#!/bin/bash
# droverd -d (--debug) turns debug logging on (state transitions are logged at debug level);
# DROVER_DEBUG=1 does the same; without either, no debug line is written.
# timeout: 30
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:a]
command = /bin/sleep 1000
startsecs = 0
EOF
# launch_daemon puts its arguments before droverd: this wrapper puts one after.
printf '#!/bin/sh\nexec "$@" %s\n' '"$DEBUG_FLAG"' > "$T/with-flag"
chmod +x "$T/with-flag"
debug_lines() { grep -Ec '^([^ ]+ )?droverd: debug: ' "$DAEMON_LOG"; }

run() { # FLAG/ENV WANT_DEBUG
	: > "$DAEMON_LOG"
	case $1 in
	-d|--debug) DEBUG_FLAG=$1 start_daemon "$T/with-flag" ;;
	env) start_daemon env DROVER_DEBUG=1 ;;
	none) start_daemon ;;
	esac
	wait_for 5 is_state a RUNNING
	stop_daemon TERM 10
	local n; n=$(debug_lines)
	log "$1: $n debug lines"
	if [ "$2" = yes ]; then
		[ "$n" -gt 0 ] || error "$1: no debug line in droverd's log"
		grep -Eq '^([^ ]+ )?droverd: debug: a: STOPPED -> STARTING' "$DAEMON_LOG" || error "$1: state transitions are not logged"
	else
		[ "$n" = 0 ] || error "$1: debug lines without debug logging asked for"
	fi
}
export DEBUG_FLAG
run -d yes
run --debug yes
run env yes
run none no
pass
