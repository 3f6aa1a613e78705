#!/bin/bash
# Signal storm (issue 7 #8, RELIABILITY T15 compressed to 20 s): 10,000 signals (2,000 over 10 s
# under ASan), a random mix of SIGHUP, SIGUSR1 and SIGPIPE, while 4 workers die every 0-200 ms and
# are restarted, and the config file is switched atomically every 200 ms between two valid versions
# (each SIGHUP reloads whichever is there). Pass: droverd alive and answering throughout (status
# polled every 100 ms: no failure, p99 < 250 ms, 1 s under ASan); after a last SIGHUP the running
# config equals the file; every worker death was a restart (restarts == spawn log lines - 1 per
# process); no zombie; exit 0 on SIGTERM. Sanitizer reports fail the test (runner).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers fault-chaos

NSIG=$(scaled 10000 2000)
SECS=$(scaled 20 10)
P99_MAX=$(scaled 250 1000)
HOLD=$T/hold
common() {
	cat <<EOF2
[program:r]
command = $HELPERS/fault-chaos -m 200 -f $T/spawn.%(process_num)d -H $HOLD
numprocs = 4
process_name = %(program_name)s_%(process_num)d
startsecs = 0
autorestart = true
stopwaitsecs = 1
; the churn is the point: no once-a-second crash-loop wait
respawn_interval = 0
EOF2
}
{ common; cat <<EOF2

[program:x]
command = /bin/sleep 1001
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1
EOF2
} | write_config "$T/v1.ini"
{ common; cat <<EOF2

[program:x]
command = /bin/sleep 2002
numprocs = 3
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 1

[program:y]
command = /bin/sleep 2003
startsecs = 0
stopwaitsecs = 1
EOF2
} | write_config "$T/v2.ini"
cp "$T/v1.ini" "$CONF"

cat > "$T/storm.py" <<'EOF2'
# storm.py PID NSIG SECONDS CONF V1 V2: send NSIG random HUP/USR1/PIPE evenly over SECONDS, switching
# CONF between V1 and V2 (write + rename) every 200 ms. Prints the counts and the last version.
import os, random, signal, sys, time
pid, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conf, versions = sys.argv[4], [open(sys.argv[5]).read(), open(sys.argv[6]).read()]
sigs = [signal.SIGHUP, signal.SIGUSR1, signal.SIGPIPE]
count = {s: 0 for s in sigs}
t0 = time.monotonic()
next_switch, v, switches = t0, 0, 0
for i in range(n):
    due = t0 + secs * i / n
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)   # pacing of the storm
    if now >= next_switch:
        v = 1 - v
        with open(conf + ".tmp", "w") as f:
            f.write(versions[v])
        os.rename(conf + ".tmp", conf)
        switches += 1
        next_switch += 0.2
    s = random.choice(sigs)
    try:
        os.kill(pid, s)
    except ProcessLookupError:
        print("droverd gone after %d signals" % i)
        sys.exit(1)
    count[s] += 1
print("HUP %d USR1 %d PIPE %d switches %d in %.1f s last v%d" % (count[signal.SIGHUP], count[signal.SIGUSR1],
      count[signal.SIGPIPE], switches, time.monotonic() - t0, v + 1))
EOF2

start_daemon
wait_for 10 all_in_state RUNNING "" 6
start_poller "$T/poll.log" 0.1
"$PY" "$T/storm.py" "$DAEMON_PID" "$NSIG" "$SECS" "$CONF" "$T/v1.ini" "$T/v2.ini" > "$T/storm.out" 2>&1
storm_rc=$?
stop_poller
storm=$(tail -n 1 "$T/storm.out")
polls=$(poller_summary "$T/poll.log")
log "storm: $storm (exit $storm_rc); status polls: $polls"
[ "$storm_rc" = 0 ] || fail "the storm could not be delivered: $storm"
daemon_alive || fail "droverd died in the storm"
case $polls in *" 0 failed"*) ;; *) error "status polls failed during the storm: $polls"; grep fail "$T/poll.log" | sort | uniq -c | head -n 5 ;; esac
p99=$(echo "$polls" | sed 's/.*p99 \([0-9]*\) ms.*/\1/')
[ "$p99" -le "$P99_MAX" ] || error "status round trip p99 $p99 ms during the storm (want <= $P99_MAX ms)"

# The running config equals the file after a last SIGHUP (v1 or v2, whichever the storm left).
case $storm in *"last v2") want_x=3 want_cmd=2002 want_y=1 ;; *) want_x=2 want_cmd=1001 want_y=0 ;; esac
converged() {
	local p n
	refresh_status || return 1
	[ "$(_st names "$STATUS_JSON" x | wc -l)" = "$want_x" ] || return 1
	[ "$(_st names "$STATUS_JSON" y | wc -l)" = "$want_y" ] || return 1
	all_in_state RUNNING x "$want_x" || return 1
	for p in $(_st names "$STATUS_JSON" x | awk '{ print $2 }'); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "$want_cmd" || return 1
	done
}
kill -HUP "$DAEMON_PID"
wait_for 15 converged
log "converged to the file: x has $want_x processes running sleep $want_cmd, y $want_y"

# Freeze the churn and account for every death.
touch "$HOLD"
_prev=
stable() {
	local r
	r=$(total_restarts r) || return 1
	all_in_state RUNNING r 4 || { _prev=; return 1; }
	[ "$r" = "$_prev" ] && return 0
	_prev=$r
	sleep 0.5   # the observation window of "no restart for 0.5 s"
	return 1
}
wait_for 20 stable
mismatch= total=0
for i in 0 1 2 3; do
	spawns=$(wc -l < "$T/spawn.$i")
	restarts=$(last_field "r_$i" restarts)
	total=$((total + restarts))
	[ "$restarts" = $((spawns - 1)) ] || mismatch="$mismatch r_$i: restarts $restarts, deaths $((spawns - 1));"
done
[ -z "$mismatch" ] || error "restart count != exit count:$mismatch"
reloads=$(grep -c 'reload: generation' "$DAEMON_LOG")
z=$(count_zombies_of "$DAEMON_PID")
[ "$z" = 0 ] || error "$z zombies among droverd's children"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
measured "$storm; $reloads reloads applied; $total worker restarts, all accounted; status polls $polls; final config converged"
pass
