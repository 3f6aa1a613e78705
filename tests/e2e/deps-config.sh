#!/bin/bash
# A dependency cycle, a self-dependency and an unknown dependency are config errors naming the
# programs: `droverd -t` fails; a reload introducing a cycle is refused and changes nothing.
# timeout: 30
. "$(dirname "$0")/lib.sh"

check_bad() {   # check_bad WANT... < config body
	write_config "$T/bad.ini"
	if "$DROVERD" -t -c "$T/bad.ini" > "$T/out" 2>&1; then cat "$T/out"; fail "droverd -t accepted: $*"; fi
	local w
	for w in "$@"; do grep -q -- "$w" "$T/out" || { cat "$T/out"; fail "droverd -t output lacks '$w'"; }; done
}
check_bad "x" "y" "cycle" <<EOF2
[program:x]
command = /bin/sleep 1
depends_on = y
[program:y]
command = /bin/sleep 1
depends_on = x
EOF2
check_bad "bad.ini:8" "self" <<EOF2
[program:me]
command = /bin/sleep 1
depends_on = me
EOF2
check_bad "bad.ini:8" "nosuch" <<EOF2
[program:z]
command = /bin/sleep 1
depends_on = nosuch
EOF2

write_config <<EOF2
[program:x]
command = /bin/sleep 1001
startsecs = 0
[program:y]
command = /bin/sleep 1002
startsecs = 0
EOF2
start_daemon
wait_for 10 all_in_state RUNNING "" 2
names_pids > "$T/before"
cat >> "$CONF" <<EOF2
[program:z1]
command = /bin/sleep 1
depends_on = z2
[program:z2]
command = /bin/sleep 1
depends_on = z1
EOF2
if ctl reload > "$T/out" 2>&1; then cat "$T/out"; fail "reload with a cycle succeeded"; fi
grep -q "z1" "$T/out" && grep -q "z2" "$T/out" || { cat "$T/out"; fail "reload error does not name z1 and z2"; }
names_pids > "$T/after"
diff "$T/before" "$T/after" || fail "a refused reload changed processes"
pass
