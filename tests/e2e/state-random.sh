#!/bin/bash
# Randomized state-machine test: random sequences of start/stop/restart/signal (waited or not, one
# process, a group, all), crashes from outside, reloads between two configs and pauses, against the
# real droverd; after every step the invariants of tests/e2e/statemachine.py are checked (status
# completes; states agree with /proc; no lost worker; no orphan; a user's stop is never undone by a
# policy; an unrelated process never gets a signal). DROVER_RANDOM_SEED=S replays a sequence;
# DROVER_RANDOM_STEPS / DROVER_RANDOM_BUDGET (seconds) size the run (150 steps or 25 s by default:
# make check runs it in both trees; a longer budget finds more).
# timeout: 100
. "$(dirname "$0")/lib.sh"
need_helpers worker-sleep

SEED=${DROVER_RANDOM_SEED:-$(( (RANDOM << 15) | RANDOM ))}
STEPS=${DROVER_RANDOM_STEPS:-150}
BUDGET=${DROVER_RANDOM_BUDGET:-25}
SETTLE=10
[ "$DROVER_SANITIZED" = 1 ] && SETTLE=15
log "seed $SEED"

# The programs: steady ones (never exit by themselves), one that ignores SIGTERM and has a process
# group of children that do too (stopwaitsecs, then SIGKILL), one with a descendant in a session of
# its own and an orphan in its process group (adopted by droverd),
# a dependency pair with restart_with_dependency, one that crash-loops into FATAL, a pool.
common() {
	cat <<EOF
[program:stubborn]
command = $WSLEEP -T -g 2
startsecs = 0
stopwaitsecs = 1
autorestart = true

[program:orph]
command = /bin/sh -c "setsid $WSLEEP & exec $WSLEEP -o 60000"
startsecs = 0
autorestart = true

[program:db]
command = $WSLEEP
startsecs = 1
autorestart = true

[program:flaky]
command = $WSLEEP -x 3 -a 300
startsecs = 1
startretries = 2
autorestart = true

EOF
}
write_config "$T/a.ini" <<EOF
$(common)
[program:plain]
command = $WSLEEP
environment = V=a
startsecs = 0
autorestart = true
stopwaitsecs = 2

[program:app]
command = $WSLEEP
depends_on = db
restart_with_dependency = true
startsecs = 0
autorestart = true

[program:pool]
command = $WSLEEP
numprocs = 2
process_name = %(program_name)s_%(process_num)s
startsecs = 0
autorestart = true
EOF
# B: plain changed (restarted), orph removed, app depends on plain too, pool grows by one, extra added.
write_config "$T/b.ini" <<EOF
$(common | sed '/^\[program:orph\]/,/^$/d')
[program:plain]
command = $WSLEEP
environment = V=b
startsecs = 0
autorestart = true
stopwaitsecs = 2

[program:app]
command = $WSLEEP
depends_on = db, plain
restart_with_dependency = true
startsecs = 0
autorestart = true
stopwaitsecs = 3

[program:pool]
command = $WSLEEP
numprocs = 3
process_name = %(program_name)s_%(process_num)s
startsecs = 0
autorestart = true

[program:extra]
command = $WSLEEP
startsecs = 0
autorestart = true
EOF
steady='"steady": true'
LAYOUT_A='{"procs": {
 "plain": {"group": "plain", '"$steady"'}, "stubborn": {"group": "stubborn", '"$steady"'},
 "orph": {"group": "orph", '"$steady"'}, "db": {"group": "db", '"$steady"'},
 "app": {"group": "app", "depends_on": ["db"]}, "flaky": {"group": "flaky", "churns": true},
 "pool:pool_0": {"group": "pool", '"$steady"'}, "pool:pool_1": {"group": "pool", '"$steady"'}}}'
LAYOUT_B='{"procs": {
 "plain": {"group": "plain", '"$steady"'}, "stubborn": {"group": "stubborn", '"$steady"'},
 "db": {"group": "db", '"$steady"'}, "app": {"group": "app", "depends_on": ["db", "plain"]},
 "flaky": {"group": "flaky", "churns": true}, "extra": {"group": "extra", '"$steady"'},
 "pool:pool_0": {"group": "pool", '"$steady"'}, "pool:pool_1": {"group": "pool", '"$steady"'},
 "pool:pool_2": {"group": "pool", '"$steady"'}}}'
cp "$T/a.ini" "$CONF"

# An unrelated process in a session of its own: it logs every TERM/INT/HUP/CONT it catches, and
# any other signal droverd might send it (KILL, USR1) kills it.
"$PY" -c 'import os, sys; os.setsid(); os.execv(sys.argv[1], sys.argv[1:])' "$WSLEEP" -T -l "$T/bystander.log" &
BYSTANDER=$!
wait_for 5 proc_alive "$BYSTANDER"

start_daemon
"$PY" "$E2E_DIR/statemachine.py" --ctl "$DROVERCTL" --name "$NAME" --daemon-pid "$DAEMON_PID" \
	--conf "$CONF" --conf-a "$T/a.ini" --conf-b "$T/b.ini" --layout-a "$LAYOUT_A" --layout-b "$LAYOUT_B" \
	--bystander "$BYSTANDER" --bystander-log "$T/bystander.log" \
	--seed "$SEED" --steps "$STEPS" --budget "$BUDGET" --settle "$SETTLE" ||
	error "an invariant broke (seed $SEED; droverd's log: $DAEMON_LOG)"

stop_daemon TERM 20
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited with status $DAEMON_STATUS after SIGTERM"
try_for 5 no_workers_left || error "processes of the instance outlived droverd's shutdown: $(worker_pids | tr '\n' ' ')"
proc_alive "$BYSTANDER" || error "the bystander died"
[ -s "$T/bystander.log" ] && error "the bystander got signals: $(cat "$T/bystander.log")"
kill -KILL "$BYSTANDER" 2>/dev/null; wait "$BYSTANDER" 2>/dev/null
pass
