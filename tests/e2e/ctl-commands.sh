#!/bin/bash
# Every droverctl command against a real droverd, in text and --json, with the exit status of
# droverctl(8): supervisorctl's for the commands both have (0 done, also for a single name that
# already is in the state; 1 failed or unknown name; 3 status with a process STOPPED/EXITED/FATAL;
# 4 status of an unknown name or without droverd; 7 a program not running, or no droverd), 2 for
# usage errors.
# timeout: 120
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep
# a logs every HUP/TERM/INT/CONT it gets (and survives them: -T); stopsignal KILL ends it anyway.
write_config <<EOF
[program:a]
command = $WSLEEP -T -l $T/a.signals
startsecs = 0
stopsignal = KILL

[program:b]
command = /bin/sleep 1000
startsecs = 0
autostart = false

[program:e]
command = /bin/sh -c 'echo hello-from-e; exec /bin/sleep 1000'
startsecs = 0

[group:g]
programs = c

[program:c]
command = /bin/sleep 1000
numprocs = 2
process_name = c_%(process_num)d
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING a
wait_for 10 all_in_state RUNNING g:c_ 2
wait_for 10 all_in_state RUNNING e

OUT=$T/out
ERR=$T/err
# run RC_WANTED CMD...: droverctl with output in $OUT/$ERR; a wrong exit status is an error.
run() {
	local want=$1 rc; shift
	ctl "$@" > "$OUT" 2> "$ERR"
	rc=$?
	if [ "$rc" != "$want" ]; then
		error "droverctl $* exited $rc, expected $want; stdout: $(head -c 300 "$OUT"); stderr: $(head -c 300 "$ERR")"
		return 1
	fi
	return 0
}
# expect_line REGEX [FILE]: a line of the output matches (grep -E, whole line).
expect_line() {
	grep -qxE -- "$1" "${2:-$OUT}" || error "no line matching '$1' in: $(head -c 400 "${2:-$OUT}")"
}
# json_check PYTHON-EXPR: the last stdout parses as JSON and the expression over `d` is true.
json_check() {
	"$PY" - "$OUT" "$1" <<'PYEOF' || error "JSON check failed: $1 on: $(head -c 400 "$OUT")"
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("invalid JSON: %s" % e); sys.exit(1)
ok = eval(sys.argv[2])
if not ok:
    print("false: %s" % sys.argv[2])
sys.exit(0 if ok else 1)
PYEOF
}

# --- status --------------------------------------------------------------------------------
log "status: b is STOPPED (autostart=false) -> exit 3"
run 3 status
expect_line 'a +RUNNING +pid [0-9]+, uptime [0-9:]+.*'
expect_line 'b +STOPPED +Not started.*'
expect_line 'g:c_0 +RUNNING +pid [0-9]+, uptime .*'
expect_line 'g:c_1 +RUNNING +pid [0-9]+, uptime .*'
[ "$(wc -l < "$OUT")" = 5 ] || error "status table: expected 5 lines, got $(wc -l < "$OUT")"
run 0 status a g:c_0 e
[ "$(wc -l < "$OUT")" = 3 ] || error "status a g:c_0 e: expected 3 lines"
run 0 status 'g:*'
[ "$(wc -l < "$OUT")" = 2 ] || error "status g:*: expected 2 lines"
run 0 status g
[ "$(wc -l < "$OUT")" = 2 ] || error "status g: expected 2 lines"
run 3 status b
run 4 status nope
grep -q 'nope: ERROR (no such process)' "$OUT" "$ERR" || error "status nope: no 'nope: ERROR (no such process)'"

log "status --json: the keys of droverctl(8)"
run 3 --json status
json_check 'isinstance(d, list) and len(d) == 5'
json_check 'all(set(["name","group","state","pid","uptime","restarts","exitstatus","ready","heartbeat_age","status","counters"]) <= set(o) for o in d)'
json_check 'sorted(o["name"] for o in d) == ["a", "b", "e", "g:c_0", "g:c_1"]'
json_check '[o["group"] for o in d if o["name"].startswith("g:")] == ["g", "g"]'
json_check 'all(isinstance(o["pid"], int) and isinstance(o["restarts"], int) and isinstance(o["uptime"], (int, float)) and isinstance(o["ready"], bool) and isinstance(o["counters"], list) and isinstance(o["status"], str) for o in d)'
json_check 'all(o["heartbeat_age"] is None or isinstance(o["heartbeat_age"], (int, float)) for o in d)'
json_check '[(o["state"], o["pid"]) for o in d if o["name"] == "b"] == [("STOPPED", 0)]'
json_check 'all(o["state"] == "RUNNING" and o["pid"] > 0 for o in d if o["name"] != "b")'
PID_A=$("$PY" -c 'import json,sys; print([o["pid"] for o in json.load(open(sys.argv[1])) if o["name"] == "a"][0])' "$OUT")
proc_alive "$PID_A" || error "status pid of a ($PID_A) is not alive"
# The table and the document agree on a's pid.
run 0 status a
expect_line "a +RUNNING +pid $PID_A, uptime .*"
run 0 --json status a
json_check 'len(d) == 1 and d[0]["name"] == "a" and d[0]["state"] == "RUNNING"'
# --json after the command name works too.
run 0 status --json a
json_check 'len(d) == 1 and d[0]["name"] == "a"'
run 4 --json status nope
json_check 'd == []'
# supervisorctl: the unknown name first, then the table; 3 (a STOPPED process) wins over 4
run 3 status nope b
[ "$(head -n 1 "$OUT")" = "nope: ERROR (no such process)" ] || error "status nope b: first line $(head -n 1 "$OUT")"
expect_line 'b +STOPPED +Not started.*'
run 4 status 'nope:*'
expect_line 'nope: ERROR \(no such group\)'
run 0 status 'g:'
[ "$(wc -l < "$OUT")" = 2 ] || error "status g: (supervisorctl's group form): expected 2 lines"
# in the order of the patterns
run 0 status e a
[ "$(awk '{ print $1 }' "$OUT" | tr '\n' ' ')" = "e a " ] || error "status e a: order $(awk '{ print $1 }' "$OUT" | tr '\n' ' ')"

# --- pid -----------------------------------------------------------------------------------
log "pid: the daemon's, then the processes'"
run 0 pid
[ "$(cat "$OUT")" = "$DAEMON_PID" ] || error "pid: '$(cat "$OUT")' is not droverd's pid $DAEMON_PID"
run 0 --json pid
json_check "d == {'pid': $DAEMON_PID}"
run 0 pid a
[ "$(cat "$OUT")" = "$PID_A" ] || error "pid a: '$(cat "$OUT")', status said $PID_A"
run 0 --json pid a
json_check "d == [{'name': 'a', 'pid': $PID_A}]"
run 0 pid 'g:*'
[ "$(wc -l < "$OUT")" = 2 ] || error "pid g:*: expected 2 lines: $(cat "$OUT")"
while read -r p; do proc_alive "$p" || error "pid g:* printed $p, not alive"; done < "$OUT"
run 7 pid b
[ "$(cat "$OUT")" = 0 ] || error "pid b (STOPPED): expected 0, got '$(cat "$OUT")'"
run 1 pid nope
expect_line 'No such process nope'
run 7 pid a b
[ "$(tr '\n' ' ' < "$OUT")" = "$PID_A 0 " ] || error "pid a b: $(tr '\n' ' ' < "$OUT")"
run 0 pid all
[ "$(wc -l < "$OUT")" = 5 ] || error "pid all: expected 5 lines: $(cat "$OUT")"

# --- start / stop / restart ----------------------------------------------------------------
log "start/stop/restart: supervisorctl's lines"
run 0 start b
expect_line 'b: started'
PID_B=$(pid_of b)
proc_alive "$PID_B" || error "b started but its pid '$PID_B' is not alive"
run 0 start b
expect_line 'b: ERROR \(already started\)'
run 1 start nope
expect_line 'nope: ERROR \(no such process\)'
run 1 --json start b nope
json_check 'd == [{"name": "b", "ok": False, "message": "ERROR (already started)"}, {"name": "nope", "ok": False, "message": "ERROR (no such process)"}]'
run 0 stop b
expect_line 'b: stopped'
wait_for 5 _gone "$PID_B"
[ "$(state_of b)" = STOPPED ] || error "b is $(state_of b) after 'stop b'"
run 0 --json start b
json_check 'd == [{"name": "b", "ok": True, "message": "started"}]'
run 0 --json stop b
json_check 'd == [{"name": "b", "ok": True, "message": "stopped"}]'
run 0 stop b
expect_line 'b: ERROR \(not running\)'
run 0 restart a
[ "$(tr '\n' ' ' < "$OUT")" = "a: stopped a: started " ] || error "restart a: $(tr '\n' ' ' < "$OUT")"
run 0 --json restart a
json_check 'd == [{"name": "a", "ok": True, "message": "restarted"}]'
NEW_A=$(pid_of a)
[ -n "$NEW_A" ] && [ "$NEW_A" != "$PID_A" ] && proc_alive "$NEW_A" || error "restart a: pid $PID_A -> '$NEW_A'"
wait_for 5 _gone "$PID_A"
PID_A=$NEW_A
run 0 restart 'g:*'
[ "$(tr '\n' ' ' < "$OUT")" = "g:c_0: stopped g:c_1: stopped g:c_0: started g:c_1: started " ] ||
	error "restart g:*: $(tr '\n' ' ' < "$OUT")"
# a group form leaves out what is already in the state: nothing to say, exit 0
run 0 start 'g:*'
[ ! -s "$OUT" ] || error "start g:* with all running printed: $(cat "$OUT")"
run 0 stop b 'g:'
[ "$(tr '\n' ' ' < "$OUT")" = "b: ERROR (not running) g:c_0: stopped g:c_1: stopped " ] || error "stop b g:: $(tr '\n' ' ' < "$OUT")"
run 2 start 'nope:*'
expect_line 'nope: ERROR \(no such group\)'
run 0 start 'g:'
run 1 stop nope
expect_line 'nope: ERROR \(no such process\)'
run 0 start --no-wait b
# startsecs=0: RUNNING at once, so the not-waited answer may already say "started".
expect_line 'b: (starting|started)'
wait_for 5 is_state b RUNNING
run 0 stop --no-wait b
expect_line 'b: (stopping|stopped)'
wait_for 5 is_state b STOPPED

# --- wait ----------------------------------------------------------------------------------
log "wait RUNNING / STOPPED"
run 0 wait RUNNING a 'g:*'
expect_line 'a: RUNNING'
expect_line 'g:c_1: RUNNING'
run 0 wait STOPPED b
expect_line 'b: STOPPED'
run 0 --json wait STOPPED b
json_check 'd == [{"name": "b", "ok": True, "message": "STOPPED"}]'
t0=$(now_ms)
run 1 wait RUNNING b --timeout 0.5
expect_line 'b: ERROR \(not RUNNING after 0.5 s: STOPPED\)'
[ $(($(now_ms) - t0)) -lt 3000 ] || error "wait --timeout 0.5 took $(($(now_ms) - t0)) ms"
# A wait that is satisfied later: start b while droverctl waits.
ctl wait RUNNING b --timeout 10 > "$T/wait.out" 2>&1 &
waiter=$!
one_waiter() { ctl version 2>/dev/null | grep -q ' waiters=1 '; }
wait_for 5 one_waiter
ctl start --no-wait b > /dev/null
wait "$waiter"; rc=$?
[ "$rc" = 0 ] || error "wait RUNNING b (started meanwhile) exited $rc: $(cat "$T/wait.out")"
grep -qx 'b: RUNNING' "$T/wait.out" || error "wait RUNNING b printed: $(cat "$T/wait.out")"
run 0 stop b

# --- signal --------------------------------------------------------------------------------
log "signal: by name, SIG name and number; a logs what it gets"
run 0 signal HUP a
expect_line 'a: signalled'
wait_for 5 grep -q "^$PID_A HUP " "$T/a.signals"
run 0 signal SIGCONT a
wait_for 5 grep -q "^$PID_A CONT " "$T/a.signals"
run 0 signal 1 a
two_hups() { [ "$(grep -c "^$PID_A HUP " "$T/a.signals")" -ge 2 ]; }
wait_for 5 two_hups
run 0 --json signal TERM a
json_check 'd == [{"name": "a", "ok": True, "message": "signalled"}]'
wait_for 5 grep -q "^$PID_A TERM " "$T/a.signals"
[ "$(pid_of a)" = "$PID_A" ] || error "a changed pid after signals it survives"
run 1 signal HUP nope
grep -q 'nope: ERROR (no such process)' "$OUT" "$ERR" || error "signal HUP nope: no 'ERROR (no such process)'"
run 7 signal HUP b
expect_line 'b: ERROR \(not running\)'
run 1 signal FOO a
expect_line 'a: ERROR \(bad signal name\)'
run 0 signal 0 a
expect_line 'a: signalled'

# --- usage errors: exit 2 ------------------------------------------------------------------
log "usage errors exit 2 (and send nothing)"
before=$(ctl version | sed -n 's/.* received=\([0-9]*\) .*/\1/p')
run 2 frobnicate
grep -q "unknown command 'frobnicate'" "$ERR" || error "unknown command: stderr $(cat "$ERR")"
run 2 signal HUP
grep -q "missing argument" "$ERR" || error "signal without pattern: stderr $(cat "$ERR")"
run 2 start
run 2 stop
run 2 restart
run 2 wait RUNNING
run 2 wait BOGUS a
run 2 reread x
run 2 tail -5 -n 3 e
run 2 status --bogus-option
run 2 --timeout 0 status
run 2 --timeout abc status
run 2
after=$(ctl version | sed -n 's/.* received=\([0-9]*\) .*/\1/p')
# Between the two version requests only the first one itself was received.
[ "$after" = $((before + 1)) ] || error "usage errors reached the daemon: received $before -> $after"
run 0 help
grep -q 'status' "$OUT" || error "help lists no commands"

# --- version, reload, tail, instance resolution ---------------------------------------------
log "version, reload, tail, -c / DROVER_NAME"
run 0 version
expect_line 'droverctl [0-9.]+ \(protocol [0-9]+\)'
expect_line "droverd [0-9.]+ pid $DAEMON_PID protocol [0-9]+"
expect_line 'control received=[0-9]+ bad=[0-9]+ bad_answered=[0-9]+ replies_sent=[0-9]+ .*replies_dropped=[0-9]+ busy=[0-9]+ waiters=[0-9]+ outboxes=[0-9]+ outbox_bytes=[0-9]+'
run 0 --json version
# structured, not droverd's text: version, pid, protocol, and the control counters as numbers
json_check 'set(d) >= {"droverctl", "protocol", "droverd"} and d["droverd"]["pid"] == '"$DAEMON_PID"' and isinstance(d["droverd"]["version"], str) and d["droverd"]["protocol"] == d["protocol"] and isinstance(d["droverd"]["control"]["received"], int) and d["droverd"]["control"]["received"] > 0'
run 0 reload
run 0 tail e
tail_has_hello() { ctl tail e 2>&1 | grep -q hello-from-e; }
wait_for 5 tail_has_hello
# supervisorctl's byte form: the last 3 bytes, cut anywhere
run 0 tail -3 e
[ "$(cat "$OUT")" = "-e" ] || error "tail -3 e: '$(cat "$OUT")', want '-e'"
run 1 tail -3 nope
expect_line 'nope: ERROR \(no such process name\)'
run 0 status a
"$DROVERCTL" -c "$CONF" status a > "$OUT" 2> "$ERR" || error "droverctl -c CONF status a: exit $?: $(cat "$ERR")"
expect_line 'a +RUNNING .*'
DROVER_NAME=$NAME "$DROVERCTL" status a > "$OUT" 2> "$ERR" || error "DROVER_NAME=... droverctl status a: exit $?: $(cat "$ERR")"
expect_line 'a +RUNNING .*'

# --- exit 4: unreachable ---------------------------------------------------------------------
log "exit 4: no daemon of that name; after shutdown"
"$DROVERCTL" -n "${NAME}_none" status > "$OUT" 2> "$ERR"; rc=$?
[ "$rc" = 4 ] || error "status of an instance without daemon exited $rc"
grep -q "droverd ${NAME}_none is not running" "$ERR" || error "no 'is not running' message: $(cat "$ERR")"
# ... and which instances do run (a forgotten -n): this test's, besides any other test's
grep -Eq "droverd ${NAME}_none is not running; (droverd $NAME is: droverctl -n $NAME |running: (.*, )?$NAME(, .*)? \(choose one with -n NAME\))" "$ERR" ||
	error "'is not running' names no running instance, or not $NAME, or no -n: $(cat "$ERR")"
"$DROVERCTL" -n "${NAME}_none" --json status > "$OUT" 2> "$ERR"; rc=$?
[ "$rc" = 4 ] || error "--json status of an instance without daemon exited $rc"
# supervisorctl without its daemon: status 4; start, stop, restart, signal, pid, tail, version 7;
# shutdown, reread, update, avail 1. wait (drover's own): 4.
for cmd in "start a:7" "stop a:7" "restart a:7" "signal HUP a:7" "pid:7" "tail a:7" "version:7" \
           "shutdown:1" "reread:1" "update:1" "avail:1" "reload:1" "wait RUNNING a:4" "status a:4"; do
	# shellcheck disable=SC2086
	"$DROVERCTL" -n "${NAME}_none" ${cmd%:*} > /dev/null 2>&1; rc=$?
	[ "$rc" = "${cmd##*:}" ] || error "droverctl -n ${NAME}_none ${cmd%:*} exited $rc, expected ${cmd##*:}"
done

run 0 shutdown
expect_line 'Shut down'
wait_for 15 _gone "$DAEMON_PID"
wait "$DAEMON_PID"; DAEMON_STATUS=$?
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after 'droverctl shutdown'"
run 4 status
grep -q "droverd $NAME is not running" "$ERR" || error "after shutdown: $(cat "$ERR")"
run 4 --json status
run 7 stop a
pass
