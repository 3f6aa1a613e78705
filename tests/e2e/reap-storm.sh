#!/bin/bash
# Reap storm: 1000 workers of `sh -c 'exit 0'` (autorestart=false, startsecs=0) all exit at about the
# same time: every one is reaped and EXITED, no zombie among droverd's children, droverd alive and
# answering. Then a second storm of the same 1000 (`droverctl start`) with the same result. Then 200
# long-running workers SIGKILLed by one kill(1) call: each restarted exactly once, no zombie.
# timeout: 120
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:storm]
command = /bin/sh -c 'exit 0'
numprocs = 1000
process_name = %(program_name)s_%(process_num)04d
autorestart = false
startsecs = 0

[program:bystander]
command = /bin/sleep 1000
startsecs = 0

[program:herd]
command = /bin/sleep 1000
numprocs = 200
process_name = %(program_name)s_%(process_num)03d
startsecs = 0
autorestart = true
EOF2
# droverd spawns all 1000 before it serves its queue; under ASan a fork of the big process is slow.
START_TIMEOUT=60
start_daemon

all_exited() { [ "$(count_in_state EXITED storm)" = 1000 ]; }
check_round() {
	local n z
	wait_for 60 all_exited
	n=$(refresh_status && "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [o for o in d if o["name"].startswith("storm")]
bad = [o for o in s if o["state"] != "EXITED" or o["exitstatus"] != 0 or o["pid"] not in (0, None)]
print(len(s), len(bad), bad[:3])' "$STATUS_JSON")
	log "storm processes, bad entries: $n"
	case $n in "1000 0 "*) ;; *) fail "after the storm: $n" ;; esac
	z=$(count_zombies_of "$DAEMON_PID")
	[ "$z" = 0 ] || { ps -o pid,stat,args --ppid "$DAEMON_PID" | head; fail "$z zombies among droverd's children"; }
	# Nothing of the storm is left at all: only the bystander and the herd are children of droverd.
	wait_for 30 all_in_state RUNNING herd 200
	[ "$(children_of "$DAEMON_PID" | wc -l)" = 201 ] || fail "droverd has $(children_of "$DAEMON_PID" | wc -l) children, want 201 (bystander, herd)"
	daemon_alive || fail "droverd died"
	ctl version > /dev/null || fail "droverd does not answer"
	is_state bystander RUNNING || fail "bystander not RUNNING"
}

check_round
bpid=$(pid_of bystander)
log "second storm"
ctl start 'storm:*' > "$T/start.out" 2>&1; rc=$?
log "droverctl start storm:* exited $rc ($(grep -c . "$T/start.out") lines)"
[ "$rc" = 0 ] || { head -n 5 "$T/start.out"; fail "droverctl start storm:* exited $rc"; }
check_round
[ "$(pid_of bystander)" = "$bpid" ] || fail "bystander was restarted"

log "SIGKILL to the 200 herd workers in one call"
names_pids herd > "$T/herd.before"
kill -KILL $(awk '{ print $2 }' "$T/herd.before")
herd_back() {
	refresh_status && "$PY" - "$STATUS_JSON" "$T/herd.before" <<'EOF2'
import json, sys
old = {l.split()[0]: l.split()[1] for l in open(sys.argv[2])}
herd = [o for o in json.load(open(sys.argv[1])) if o["name"].startswith("herd")]
ok = len(herd) == 200 and all(o["state"] == "RUNNING" and str(o["pid"]) != old[o["name"]] for o in herd)
sys.exit(0 if ok else 1)
EOF2
}
wait_for 30 herd_back
restarts=$("$PY" -c '
import json, sys
print(sorted(set(o["restarts"] for o in json.load(open(sys.argv[1])) if o["name"].startswith("herd"))))' "$STATUS_JSON")
log "herd restart counters: $restarts"
[ "$restarts" = "[1]" ] || fail "herd restart counters $restarts, want exactly 1 each (no lost or double restarts)"
wait_for 5 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'
[ "$(children_of "$DAEMON_PID" | wc -l)" = 201 ] || fail "droverd has $(children_of "$DAEMON_PID" | wc -l) children after the herd kill, want 201"
pass
