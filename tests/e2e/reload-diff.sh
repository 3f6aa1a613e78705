#!/bin/bash
# Reload applies only the difference: config A (5 programs) -> B (one added, one removed, one
# command changed, one numprocs 2->3, one autorestart changed, one untouched). Exactly the
# expected processes start/stop/restart; every other pid stays the same.
# timeout: 60
. "$(dirname "$0")/lib.sh"

config_a() {
	write_config <<EOF2
[program:keep]
command = /bin/sleep 1001
startsecs = 0

[program:gone]
command = /bin/sleep 1002
startsecs = 0

[program:cmd]
command = /bin/sleep 1003
startsecs = 0

[program:many]
command = /bin/sleep 1004
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:live]
command = /bin/sleep 1005
autorestart = unexpected
startsecs = 0
EOF2
}
config_b() {
	write_config <<EOF2
[program:keep]
command = /bin/sleep 1001
startsecs = 0

[program:cmd]
command = /bin/sleep 2003
startsecs = 0

[program:many]
command = /bin/sleep 1004
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:live]
command = /bin/sleep 1005
autorestart = true
startsecs = 0

[program:new]
command = /bin/sleep 1006
startsecs = 0
EOF2
}

config_a
start_daemon
wait_for 10 all_in_state RUNNING "" 6
names_pids > "$T/a"
cat "$T/a"
pid_in() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }

config_b
ctl reload > "$T/reload.out" 2>&1 || { cat "$T/reload.out"; fail "reload failed"; }
cat "$T/reload.out"
grep -qx "added: many:many_2, new" "$T/reload.out" || grep -q "^added: .*many:many_2" "$T/reload.out" || fail "reload did not report many_2 added"
grep -q "^added: .*new" "$T/reload.out" || fail "reload did not report 'new' added"
grep -q "^changed: cmd (restarted)" "$T/reload.out" || fail "reload did not report cmd changed"
grep -q "^updated: live (in place)" "$T/reload.out" || fail "reload did not report live updated"
grep -q "^removed: gone" "$T/reload.out" || fail "reload did not report gone removed"
grep -q "^unchanged: 3" "$T/reload.out" || fail "expected 3 unchanged (keep, many_0, many_1)"

wait_for 10 all_in_state RUNNING "" 7
names_pids > "$T/b"
cat "$T/b"
for p in keep many:many_0 many:many_1 live; do
	[ "$(pid_in "$T/a" "$p")" = "$(pid_in "$T/b" "$p")" ] || fail "$p was restarted by the reload"
done
[ "$(pid_in "$T/a" cmd)" != "$(pid_in "$T/b" cmd)" ] || fail "cmd was not restarted"
grep -q "sleep 2003" "/proc/$(pid_in "$T/b" cmd)/cmdline" 2>/dev/null || tr '\0' ' ' < "/proc/$(pid_in "$T/b" cmd)/cmdline" | grep -q 2003 || fail "cmd does not run the new command"
grep -q "^gone " "$T/b" && fail "gone is still listed"
_gone "$(pid_in "$T/a" gone)" || fail "the removed program's worker is still alive"
[ -n "$(pid_in "$T/b" many:many_2)" ] || fail "many_2 not started"
[ -n "$(pid_in "$T/b" new)" ] || fail "new not started"
# The in-place update took effect: live now restarts even on an expected exit.
old=$(pid_in "$T/b" live)
kill -TERM "$old"
relive() { local p; p=$(pid_of live) && [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ]; }
wait_for 5 relive
# JSON output of an empty reload: nothing changed.
ctl --json reload > "$T/reload.json" || fail "json reload failed"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["added"]==[] and d["removed"]==[] and d["changed"]==[] and d["unchanged"]==7, d' "$T/reload.json" || fail "json reload: $(cat "$T/reload.json")"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies"
pass
