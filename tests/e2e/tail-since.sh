#!/bin/bash
# droverctl tail --since TIME: only the lines that came at or after TIME (droverd notes when each
# piece of output came, to 0.1 s): an epoch time, a duration ago ("1h"), with -n, with -f (those
# lines, then what comes); a time to come gives nothing; a bad TIME is a usage error.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[program:w]
command = /bin/sh -c 'trap "echo b1; echo b2" USR1; trap "echo c1" USR2; echo a1; echo a2; while :; do sleep 0.05; done'
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING
have_last() { [ "$(ctl tail -n 1 w 2>/dev/null)" = "$1" ]; }
wait_for 5 have_last a2
# The b lines must come later than droverd's time resolution (0.1 s) after the a lines, and t
# later than that even when cut to the second (the RFC 3339 form below has whole seconds only):
# a gap in time is what is tested here, not a synchronisation.
sleep 1.2
t=$EPOCHREALTIME
sleep 0.2
kill -USR1 "$(pid_of w)"
wait_for 5 have_last b2

[ "$(ctl tail --since "@$t" w | tr '\n' ' ')" = "b1 b2 " ] || error "tail --since @$t: '$(ctl tail --since "@$t" w | tr '\n' ' ')'"
[ "$(ctl tail --since 1h w | tr '\n' ' ')" = "a1 a2 b1 b2 " ] || error "tail --since 1h: '$(ctl tail --since 1h w | tr '\n' ' ')'"
[ "$(ctl tail -n 1 --since 1h w)" = "b2" ] || error "tail -n 1 --since 1h: '$(ctl tail -n 1 --since 1h w)'"
future=$(( ${t%.*} + 3600 ))
[ -z "$(ctl tail --since "@$future" w)" ] || error "tail --since an hour ahead: '$(ctl tail --since "@$future" w)'"
iso=$(date -d "@${t%.*}" +%Y-%m-%dT%H:%M:%S%:z)
[ "$(ctl tail --since "$iso" w | tr '\n' ' ')" = "b1 b2 " ] || error "tail --since $iso: '$(ctl tail --since "$iso" w | tr '\n' ' ')'"

"$DROVERCTL" -n "$NAME" tail -f --since "@$t" w > "$T/follow" 2>&1 &
fpid=$!
wait_for 5 eval 'grep -q b2 "$T/follow"'
kill -USR2 "$(pid_of w)"
wait_for 5 eval 'grep -q c1 "$T/follow"'
kill "$fpid"; wait "$fpid" 2>/dev/null
[ "$(tr '\n' ' ' < "$T/follow")" = "b1 b2 c1 " ] || error "tail -f --since: '$(tr '\n' ' ' < "$T/follow")'"

ctl tail --since yesterdayish w > "$T/bad" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'invalid --since' "$T/bad" || error "tail --since yesterdayish: exit $rc: $(cat "$T/bad")"
pass
