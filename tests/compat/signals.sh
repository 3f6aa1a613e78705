#!/bin/bash
# Signals to the daemon and its pidfile, supervisord 4.2.5 vs droverd (same config, both at once):
# for TERM, INT, QUIT (each sent with the container pattern `kill -SIG $(cat PIDFILE)`) and USR2:
#   - the pidfile names the daemon once it answers its ctl;
#   - whether the daemon exits, and its exit status;
#   - which programs were stopped, and with which signal (their own records);
#   - whether the pidfile is left behind;
#   - USR2: the log files are reopened (a renamed log is recreated), nothing is stopped.
# Each daemon writes its own log files: COMPAT_SIDE in its environment names them.
# timeout: 90
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

SV_PIDFILE=$SV_DIR/supervisord.pid DR_PIDFILE=$RUN_DIR/droverd.pid
compat_config <<EOF
[program:a]
command = $PROBE run
startsecs = 0
stdout_logfile = %(ENV_COMPAT_OUT)s/%(ENV_COMPAT_SIDE)s.%(program_name)s.log

[program:b]
command = $PROBE run
startsecs = 0
stopsignal = INT
EOF
export PROBE_STOP_MS=0

# observe DAEMON PID PIDFILE SIG: one line describing what SIG did to that daemon.
round() {
	local sig=$1 out
	rm -rf "$COMPAT_OUT"/*
	launch_daemon env COMPAT_SIDE=drover
	COMPAT_SIDE=supervisord sv_start
	wait_daemon_ready
	wait_for 10 eval '[ "$(grep -c "^start" "$COMPAT_OUT/supervisord/events" 2>/dev/null)" = 2 ]'
	wait_for 10 eval '[ "$(grep -c "^start" "$COMPAT_OUT/drover/events" 2>/dev/null)" = 2 ]'
	same "SIG$sig: pidfile names the daemon" "yes" "$([ "$(cat "$DR_PIDFILE" 2>/dev/null)" = "$DAEMON_PID" ] && echo yes || echo "no: $(cat "$DR_PIDFILE" 2>/dev/null)")"
	[ "$(cat "$SV_PIDFILE")" = "$SV_PID" ] || error "supervisord's pidfile does not name it"
	if [ "$sig" = USR2 ]; then
		mv "$COMPAT_OUT/supervisord.a.log" "$COMPAT_OUT/supervisord.a.log.old"
		mv "$COMPAT_OUT/drover.a.log" "$COMPAT_OUT/drover.a.log.old"
		kill -USR2 "$(cat "$SV_PIDFILE")" "$(cat "$DR_PIDFILE")"
		try_for 5 eval 'test -e "$COMPAT_OUT/supervisord.a.log" && test -e "$COMPAT_OUT/drover.a.log"'
	else
		kill -s "$sig" "$(cat "$SV_PIDFILE")" "$(cat "$DR_PIDFILE")"
		try_for 30 eval '! sv_alive && ! daemon_alive'
	fi
	describe() {  # DAEMON PID PIDFILE
		local st=running
		if ! proc_alive "$2"; then wait "$2" 2>/dev/null; st="exited $?"; fi
		printf '%s; stopped: %s; log %s; pidfile %s\n' "$st" \
			"$(awk '$1 == "stop" { print $2 "/" $4 }' "$COMPAT_OUT/$1/events" 2>/dev/null | sort | tr '\n' ' ')" \
			"$([ -e "$COMPAT_OUT/$1.a.log" ] && echo open || echo "not recreated")" \
			"$([ -e "$3" ] && echo left || echo removed)"
	}
	same "SIG$sig" "$(describe supervisord "$SV_PID" "$SV_PIDFILE")" "$(describe drover "$DAEMON_PID" "$DR_PIDFILE")"
	if sv_alive; then sv_stop TERM; fi
	if daemon_alive; then dr_stop TERM; fi
}
for sig in TERM INT QUIT USR2; do
	round "$sig"
done
pass
