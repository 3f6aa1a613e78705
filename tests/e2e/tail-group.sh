#!/bin/bash
# droverctl tail of several processes. `tail -f GROUP` (and a program with numprocs, "all") follows
# every process at once, merged as lines come, each line prefixed with its process's name; without
# -f each one's last lines, prefixed. -n is tail(1)'s: -n 0 prints nothing, and with -f only what
# comes afterwards. A name that matches nothing is an error naming it.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF
[group:g]
programs = a, b

[program:a]
command = /bin/sh -c 'echo "early \$SUPERVISOR_PROCESS_NAME"; i=0; while :; do i=\$((i+1)); echo "tick \$SUPERVISOR_PROCESS_NAME \$i"; sleep 0.1; done'
numprocs = 2
process_name = a_%(process_num)d
startsecs = 0

[program:b]
command = /bin/sh -c 'echo "early b"; i=0; while :; do i=\$((i+1)); echo "tick b \$i" >&2; echo "out b \$i"; sleep 0.1; done'
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 3

# -f of the group: lines of all three, each with its name first.
"$DROVERCTL" -n "$NAME" tail -f g > "$T/follow" 2> "$T/follow.err" &
fpid=$!
all_three() {
	grep -Eq '^g:a_0: tick a_0 [0-9]+$' "$T/follow" && grep -Eq '^g:a_1: tick a_1 [0-9]+$' "$T/follow" &&
		grep -Eq '^g:b: out b [0-9]+$' "$T/follow"
}
try_for 10 all_three || error "tail -f g: not every process's lines, prefixed: $(head -c 600 "$T/follow"; cat "$T/follow.err")"
bad=$(grep -Ev '^g:(a_0|a_1|b): ' "$T/follow" | head -n 3)
[ -z "$bad" ] || error "tail -f g: lines without a process prefix: $bad"
kill "$fpid"; wait "$fpid" 2>/dev/null

# A program with two processes, without -f: both, prefixed (no "names 2 processes" error). Each
# must have written two ticks first: the follow above can be satisfied by the first tick of each.
two_ticks() {
	out=$(ctl tail -n 2 a 2>&1)
	[ "$(echo "$out" | grep -Ec '^g:a_0: tick a_0 [0-9]+$')" = 2 ] && [ "$(echo "$out" | grep -Ec '^g:a_1: tick a_1 [0-9]+$')" = 2 ]
}
try_for 10 two_ticks || error "tail -n 2 a: '$out'"
log "tail -n 2 a: $(echo "$out" | tr '\n' '|')"
echo "$out" | grep -q 'tail: tail:' && error "tail -n 2 a: doubled prefix: '$out'"
# stderr of the group, -f: b's stderr lines.
out=$(timeout 2 "$DROVERCTL" -n "$NAME" tail -f g:b stderr | head -n 2)
echo "$out" | head -n 1 | grep -Eq '^tick b [0-9]+$' || error "tail -f g:b stderr (one process: no prefix): '$out'"

# -n as tail(1): 0 is nothing; with -f only what comes.
[ -z "$(ctl tail -n 0 g:b)" ] || error "tail -n 0 g:b printed: $(ctl tail -n 0 g:b | head -n 2)"
"$DROVERCTL" -n "$NAME" tail -n 0 -f g > "$T/follow0" 2>&1 &
fpid=$!
try_for 10 eval 'grep -q "^g:b: out b" "$T/follow0"' || error "tail -n 0 -f g: nothing came: $(head -c 300 "$T/follow0")"
kill "$fpid"; wait "$fpid" 2>/dev/null
grep -q early "$T/follow0" && error "tail -n 0 -f g printed old lines: $(grep early "$T/follow0")"

out=$(ctl tail -f nosuch 2>&1); rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q 'nosuch: ERROR (no such process name)' || error "tail -f nosuch: exit $rc: '$out'"
pass
