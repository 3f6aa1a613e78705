#!/bin/bash
# droverctl -c FILE reads [drover] name as droverd does: with a '#' inline comment, with the key
# written in another case, or with a ';' comment, droverctl reaches the instance the daemon runs
# (never "invalid instance name", never the default instance 'drover').
# timeout: 60
. "$(dirname "$0")/lib.sh"

body='[program:a]
command = /bin/sleep 1000
startsecs = 0
'
for variant in hash case semicolon; do
	case $variant in
	hash) line="name = $NAME   # the instance" ;;
	case) line="Name = $NAME" ;;
	semicolon) line="name = $NAME ; the instance" ;;
	esac
	printf '[drover]\n%s\nlog_dir = %s\nrun_dir = %s\n\n%s' "$line" "$LOG_DIR" "$RUN_DIR" "$body" > "$CONF"
	"$DROVERD" -t -c "$CONF" > "$T/check.out" 2>&1 || { cat "$T/check.out"; fail "$variant: droverd rejects the config"; }
	start_daemon
	wait_for 5 is_state a RUNNING
	out=$("$DROVERCTL" -c "$CONF" status 2>&1); rc=$?
	log "$variant ($line): droverctl -c: exit $rc: $out"
	[ "$rc" = 0 ] || error "$variant: droverctl -c $CONF did not reach instance $NAME (exit $rc): $out"
	stop_daemon TERM 10
done
pass
