#!/bin/bash
# depends_on: a -> b -> c chain (c depends on b, b on a) with startsecs=1: start order a, b, c,
# each only once its dependency is RUNNING, the chain RUNNING in about 3 s; stop order (shutdown
# and `stop all`) c, b, a; `start c` starts what c depends on first; 20 independent programs
# start together. (issue 8, Dependencies.)
# timeout: 60
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep
# -f: spawn log "PID REALTIME MONOTONIC"; -l: signal log (TERM handled, then exit via -T? no: die).
prog() { printf '[program:%s]\ncommand = %s -f %s/%s.start\nstartsecs = 1\nautostart = %s\n%s\n\n' \
	"$1" "$WSLEEP" "$T" "$1" "$2" "$3"; }
write_config <<EOF2
$(prog c true "depends_on = b")
$(prog b true "depends_on = a")
$(prog a true "")
[program:free]
command = /bin/sleep 1000
numprocs = 20
process_name = free_%(process_num)d
startsecs = 1
EOF2
t0=$(awk '{print $1}' /proc/uptime)
start_daemon
# While a is starting, c says what it waits for.
wait_for 5 eval '[ "$(field_of c description)" = "waiting for b" ]'
[ "$(last_field c pid)" = 0 ] || [ -z "$(last_field c pid)" ] || fail "c has a pid while waiting"
wait_for 10 all_in_state RUNNING "" 23
t1=$(awk '{print $1}' /proc/uptime)
mono() { awk '{print $3}' "$T/$1.start" | tail -n 1; }
ta=$(mono a); tb=$(mono b); tc=$(mono c)
log "start times (monotonic): a=$ta b=$tb c=$tc; chain RUNNING after $(awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }") s"
awk -v a="$ta" -v b="$tb" -v c="$tc" 'BEGIN { exit !(b - a >= 0.9 && c - b >= 0.9) }' ||
	fail "dependants did not wait for RUNNING (startsecs=1): a=$ta b=$tb c=$tc"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5.5) }' || fail "chain took $(awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }") s (> 5.5 s)"
# The 20 independent programs started together (within 1 s of each other, not one per startsecs).
[ "$(ctl pid free:* | wc -l)" = 20 ] || fail "free processes missing"

# stop all: c before b before a (each waits until its dependants are down).
pc=$(pid_of c); pb=$(pid_of b); pa=$(pid_of a)
ctl stop all > "$T/stop.out" || { cat "$T/stop.out"; fail "stop all failed"; }
grep -n "stopped: \(a\|b\|c\) " "$DAEMON_LOG" | tail -n 3 > "$T/order"
cat "$T/order"
[ "$(awk -F'stopped: ' '{split($2, x, " "); printf "%s", x[1]}' "$T/order")" = cba ] || fail "stop order was not c, b, a"

# start c: starts a, then b, then c.
: > "$T/a.start"; : > "$T/b.start"; : > "$T/c.start"
ctl start c > "$T/start.out" 2>&1 || { cat "$T/start.out"; fail "start c failed"; }
wait_for 10 eval 'is_state a RUNNING && is_state b RUNNING && is_state c RUNNING'
ta=$(mono a); tb=$(mono b); tc=$(mono c)
awk -v a="$ta" -v b="$tb" -v c="$tc" 'BEGIN { exit !(a < b && b < c) }' || fail "start c: order a=$ta b=$tb c=$tc"

# Shutdown: c, b, a again.
n0=$(grep -c "stopped: " "$DAEMON_LOG")
stop_daemon TERM 20
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exit status $DAEMON_STATUS"
grep "stopped: \(a\|b\|c\) " "$DAEMON_LOG" | tail -n 3 | awk -F'stopped: ' '{split($2, x, " "); printf "%s", x[1]}' > "$T/order2"
[ "$(cat "$T/order2")" = cba ] || fail "shutdown order was $(cat "$T/order2"), not cba"
pass
