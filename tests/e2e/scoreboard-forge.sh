#!/bin/bash
# A worker can report only for itself: a worker running as nobody maps the scoreboard and writes
# well-formed, checksummed "ready" and fresh heartbeats into other processes' slots
# (tests/helpers/sb-forge). None of it counts: the victim (ready = scoreboard, never reporting)
# stays STARTING and its dependant keeps waiting; a worker that reported ready once and then
# stopped heartbeating is restarted after heartbeat_timeout all the same.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-forge
id nobody > /dev/null 2>&1 || skip "no user nobody"
# nobody writes its report under $T.
chmod 711 "$T"
mkdir -m 1777 "$T/pub"

write_config <<EOF
[program:victim]
command = /bin/sleep 1000
ready = scoreboard
startsecs = 0

[program:dependant]
command = /bin/sleep 1001
depends_on = victim
startsecs = 0

[program:beater]
command = /bin/sh -c '$DROVERCTL report --ready && exec sleep 1002'
ready = scoreboard
startsecs = 0
heartbeat_timeout = 2

[program:forger]
command = $HELPERS/sb-forge -d $T/pub/forge 0 2
user = nobody
autostart = false
startsecs = 0
EOF
start_daemon
wait_for 10 is_state beater RUNNING
is_state victim STARTING || fail "victim is $(state_of victim), want STARTING (never reports ready)"
is_state dependant STARTING || fail "dependant is $(state_of dependant), want STARTING (waiting for victim)"
restarts0=$(field_of beater restarts)
ctl start forger > /dev/null || fail "start forger failed"
wait_for 5 test -s "$T/pub/forge"
log "forger: $(tr '\n' ';' < "$T/pub/forge")"
# The forged reports would take effect within one heartbeat sweep; look for 3 s.
try_for 3 eval '[ "$(state_of victim)" != STARTING ]' &&
	error "victim became $(last_field victim state) on reports forged by another worker"
[ "$(state_of dependant)" = RUNNING ] && error "dependant was released by a forged readiness of victim"
# beater's own last report is over 2 s old by now, forged heartbeats notwithstanding.
try_for 5 eval '[ "$(field_of beater restarts)" -gt '"$restarts0"' ]' ||
	error "beater was not restarted after heartbeat_timeout: forged heartbeats kept it alive"
pass
