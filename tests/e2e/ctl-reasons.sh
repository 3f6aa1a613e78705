#!/bin/bash
# droverctl says why, and where to look. start/restart/wait of a process that fails print the
# reason droverd has (an exit, a spawn error such as an unknown user, "not ready within N s", a
# dependency waited for) and, when its worker ran, the tail command that shows its output; a
# program that exits 2 is no "spawn error". stop of a process others depend on says which still
# run. status gives the reason of STARTING / BACKOFF / FATAL and since when (the time of day in the
# table, RFC 3339 in --json).
# timeout: 120
. "$(dirname "$0")/lib.sh"

port=$(free_ports 1)
write_config <<EOF
[program:crasher]
command = /bin/sh -c 'echo "crasher: cannot open /etc/crasher.conf" >&2; exit 2'
startsecs = 1
startretries = 1
autostart = false

[program:baduser]
command = /bin/sleep 1000
user = nosuchuser_drover
autostart = false

[program:unready]
command = /bin/sleep 1000
ready = tcp:127.0.0.1:$port
ready_interval = 0.2
startsecs = 1
startretries = 0
autostart = false

[program:db]
command = /bin/sleep 1000
startsecs = 30
autostart = false

[program:app]
command = /bin/sleep 1000
startsecs = 0
depends_on = db
autostart = false

[program:base]
command = /bin/sleep 1000
startsecs = 0

[program:dep]
command = /bin/sleep 1000
startsecs = 0
depends_on = base
EOF
start_daemon
wait_for 10 eval 'is_state base RUNNING && is_state dep RUNNING'

# A program that exits 2: its exit, and where its output is.
out=$(ctl start crasher 2>&1); rc=$?
log "start crasher: exit $rc: $out"
[ "$rc" = 7 ] || error "start crasher: exit $rc, want 7"
echo "$out" | grep -q '^crasher: ERROR (gave up: Exited too quickly (exit status 2))$' || error "start crasher: '$out'"
echo "$out" | grep -q "^  see: droverctl -n $NAME tail crasher stderr\$" || error "start crasher: no hint: '$out'"
echo "$out" | grep -q 'spawn error' && error "start crasher says spawn error: '$out'"
# ... and the hint works.
ctl tail crasher stderr | grep -q 'cannot open /etc/crasher.conf' || error "the hint's command does not show the error"

# A spawn error: said as it is; no hint (nothing ran).
out=$(ctl start baduser 2>&1); rc=$?
log "start baduser: exit $rc: $out"
echo "$out" | grep -q "^baduser: ERROR (spawn error: unknown user 'nosuchuser_drover')\$" || error "start baduser: '$out'"
echo "$out" | grep -q 'see:' && error "start baduser gives a hint although nothing ran: '$out'"

# Not ready in time.
out=$(ctl restart unready 2>&1); rc=$?
log "restart unready: exit $rc: $out"
echo "$out" | grep -q '^unready: ERROR (gave up: not ready within 1 s (startsecs))$' || error "restart unready: '$out'"

# Waiting for a dependency past the deadline.
out=$(ctl start app --timeout 1 2>&1); rc=$?
log "start app: exit $rc: $out"
echo "$out" | grep -q '^app: ERROR (not started after 1 s: STARTING, waiting for db)$' || error "start app: '$out'"
out=$(ctl wait RUNNING app --timeout 0.5 2>&1)
echo "$out" | grep -q 'waiting for db' || error "wait RUNNING app: '$out'"
out=$(ctl --json start crasher 2>&1)
echo "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); r=d[0]
assert r["reason"] == "Exited too quickly (exit status 2)" and r["log"] == "stderr", r' ||
	error "--json start crasher: $out"

# status: the reason and since when.
line=$(ctl status app)
log "status app: $line"
echo "$line" | grep -Eq '^app +STARTING +waiting for db, since [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$' || error "status app: '$line'"
line=$(ctl status crasher)
log "status crasher: $line"
echo "$line" | grep -Eq '^crasher +FATAL +Exited too quickly \(exit status 2\), since [0-2][0-9]:[0-5][0-9]:[0-5][0-9]' ||
	error "status crasher: '$line'"
since=$(field_of crasher since)
t=$(date -d "$since" +%s) || error "--json since '$since' is no time date(1) reads"
[ $(($(date +%s) - t)) -le 60 ] && [ $((t - $(date +%s))) -le 1 ] || error "crasher since $since, not now ($(date -Is))"

# A stop that leaves dependants running says so.
out=$(ctl stop base 2>&1)
log "stop base: $out"
[ "$out" = "base: stopped (still running, and depending on it: dep)" ] || error "stop base: '$out'"
out=$(ctl stop dep 2>&1)
[ "$out" = "dep: stopped" ] || error "stop dep: '$out'"

# restarts: automatic ones; a user's restarts apart.
ctl start base >/dev/null; ctl restart base >/dev/null
[ "$(field_of base restarts)" = 0 ] && [ "$(last_field base restarts_manual)" = 2 ] ||
	error "base: restarts $(last_field base restarts), restarts_manual $(last_field base restarts_manual); want 0 and 2"
pass
