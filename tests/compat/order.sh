#!/bin/bash
# Start order and stop order, supervisord 4.2.5 vs droverd, one config for both: programs with
# priorities, a [group:x] with its own priority whose members have theirs, a numprocs program.
#   start: the order of each daemon's "spawned: 'NAME'" log lines;
#   stop (SIGTERM to the daemon): the waves in which the programs got their stop signal, from the
#   programs' own timestamps (each takes 300 ms to exit once signalled, so a wave that waits for the
#   one before it starts >= 300 ms later; the members of one wave are signalled together, and the
#   order inside a wave is not compared).
# timeout: 60
COMPAT_PLAIN_ONLY=1
. "$(dirname "$0")/lib.sh"

export PROBE_STOP_MS=300
compat_config <<EOF
[program:db]
command = $PROBE run
priority = 10
startsecs = 0

[program:cache]
command = $PROBE run
priority = 50
startsecs = 0

[group:app]
programs = api,worker
priority = 100

[program:api]
command = $PROBE run
priority = 30
startsecs = 0

[program:worker]
command = $PROBE run
process_name = %(program_name)s_%(process_num)d
numprocs = 2
priority = 20
startsecs = 0

[program:web]
command = $PROBE run
priority = 500
startsecs = 0

[program:zlast]
command = $PROBE run
startsecs = 0
EOF
sv_start
DROVER_DEBUG=1 dr_start
n_up() { [ "$(grep -c '^start ' "$COMPAT_OUT/$1/events" 2>/dev/null)" -ge 7 ]; }
wait_for 20 n_up supervisord
wait_for 20 n_up drover
wait_for 10 eval '[ "$(sv_states | grep -c RUNNING)" -ge 7 ]'
wait_for 10 eval '[ "$(dr_states | grep -c RUNNING)" -ge 7 ]'
# supervisord names a process without its group in this line ('api'), droverd with it ('app:api').
log "supervisord spawned: $(sv_spawned | tr "\n" " ")"; log "droverd spawned: $(dr_spawned | tr "\n" " ")"
same "start order (spawned: lines)" "$(sv_spawned)" "$(dr_spawned | sed 's/^[^:]*://')"

kill -TERM "$SV_PID" "$DAEMON_PID"
sv_stop TERM
dr_stop TERM
# waves DAEMON: one line per stop wave, its members sorted ("api worker_0 worker_1").
waves() {
	grep '^stop ' "$COMPAT_OUT/$1/events" | sort -k3,3n | awk '
		{ t = $3 / 1e6; n = $2; sub(/^[^:]*:/, "", n)
		  if (NR > 1 && t - last > 150) { print line; line = "" }
		  line = line (line == "" ? "" : " ") n; last = t }
		END { if (line != "") print line }' | while read -r l; do
			printf '%s\n' $l | sort | tr '\n' ' '; echo
		done
}
same "stop waves (SIGTERM)" "$(waves supervisord)" "$(waves drover)"
[ "$(waves drover | wc -l)" -ge 4 ] || error "fewer stop waves than priorities: $(waves drover)"
pass
