#!/bin/bash
# A stop of 1200 processes with 1200 distinct priorities (1200 waves) neither blocks droverd nor
# feeds a stale clock to the timers armed after it: the first wave's worker ignores SIGTERM
# (stopwaitsecs = 4) and gets SIGKILL no sooner than about 4 s after its SIGTERM, and
# `droverctl stop --no-wait all` gets its whole reply.
# exclusive (1200 processes)
# timeout: 240
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep
N=1200

{
	printf '[program:stubborn]\ncommand = %s -T -l %s/sig.log\npriority = 9999\nstartsecs = 0\nstopwaitsecs = 4\n\n' "$WSLEEP" "$T"
	for i in $(seq 1 $((N - 1))); do
		printf '[program:p%d]\ncommand = /bin/sleep 1000\npriority = %d\nstartsecs = 0\nstopwaitsecs = 2\nstdout_logfile = NONE\nstderr_logfile = NONE\n\n' "$i" "$i"
	done
} | write_config
START_TIMEOUT=60 start_daemon
wait_for 120 all_in_state RUNNING "" "$N"
spid=$(pid_of stubborn)
t0=$(now_ms)
ctl --timeout 60 stop --no-wait all > "$T/stop.out" 2>&1 || error "stop --no-wait all: $(tail -n 2 "$T/stop.out")"
log "stop --no-wait all answered after $(( $(now_ms) - t0 )) ms: $(wc -l < "$T/stop.out") lines"
[ "$(grep -c . "$T/stop.out")" -ge "$N" ] || error "the reply to stop --no-wait all is incomplete: $(wc -l < "$T/stop.out") lines of $N"
wait_for 60 grep -q ' TERM ' "$T/sig.log"
t_term=$(now_ms)
wait_for 30 eval '! proc_alive '"$spid"
gap=$(( $(now_ms) - t_term ))
log "stubborn: SIGKILL $gap ms after its SIGTERM was seen (stopwaitsecs = 4)"
[ "$gap" -ge 3500 ] || error "stubborn got SIGKILL $gap ms after SIGTERM, with stopwaitsecs = 4: a timer armed on a stale clock"
# End quickly: droverd's own stop of 2000 waves is not what this test measures.
stop_daemon KILL 10
pass
