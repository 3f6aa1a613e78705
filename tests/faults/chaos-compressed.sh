#!/bin/bash
# 24 h of behaviour compressed (issue 7 #5, RELIABILITY T37 compressed): 100 programs (40 under ASan)
# whose workers live 0-50 ms (0-150 under ASan) and then exit with a random code or die of a random
# signal (autorestart = true, startsecs = 0: each death is a restart, one a second per program at most,
# hence many programs), 2,000 crash/restart cycles (400 under ASan) with
# `droverctl status` polled every 100 ms throughout. Pass: no zombie outlives 500 ms, every status
# call answered, droverd's fd count is the same before and after (measured with the workers held
# alive, after a warm-up), its RSS grows < 1 MiB (not under ASan: its quarantine grows), and each
# program's restart count equals the number of its workers that died (spawn log lines - 1).
# timeout: 150
. "$(dirname "$0")/lib.sh"
need_helpers fault-chaos

CYCLES=$(scaled 2000 400)
NPROG=$(scaled 100 40)
# Under ASan a spawn is slower: longer lives keep the churn below what starves droverd (see
# crashloop-starvation.sh, which judges that separately).
MAXMS=$(scaled 50 150)
WARMUP=$(scaled 200 60)
HOLD=$T/hold
touch "$HOLD"
for i in $(seq 0 $((NPROG - 1))); do
	printf '[program:c%d]\ncommand = %s -m %s -f %s -H %s\nstartsecs = 0\nautorestart = true\nstopwaitsecs = 1\n\n' \
		"$i" "$HELPERS/fault-chaos" "$MAXMS" "$T/spawn.c$i" "$HOLD"
done | write_config
start_daemon
wait_for 10 all_in_state RUNNING "" "$NPROG"

# held: every worker alive and RUNNING, no restart for 0.5 s (the held ones wait for $HOLD to go).
_held_prev=
held() {
	local r
	r=$(total_restarts) || return 1
	all_in_state RUNNING "" "$NPROG" || { _held_prev=; return 1; }
	[ "$r" = "$_held_prev" ] && return 0
	_held_prev=$r
	sleep 0.5   # the observation window of "no restart for 0.5 s"
	return 1
}
# churn N: release the workers until N more restarts happened (deadline 100 s), polling zombies.
churn() {
	local want=$(($(total_restarts) + $1)) end=$(($(now_ms) + 100000)) r f
	rm -f "$HOLD"
	while :; do
		check_zombies "$DAEMON_PID"
		r=$(total_restarts) || { daemon_alive || fail "droverd died during the churn"; continue; }
		f=$(fd_count "$DAEMON_PID")
		[ "$f" -gt "$FD_MAX" ] && FD_MAX=$f
		[ "$r" -ge "$want" ] && break
		[ "$(now_ms)" -lt "$end" ] || fail "only $r of $want restarts after 100 s"
		sleep 0.1   # pacing of the sampling
	done
	touch "$HOLD"
	_held_prev=
	wait_for 20 held
}
FD_MAX=0
churn "$WARMUP"
fd_a=$(fd_count "$DAEMON_PID"); rss_a=$(rss_kb "$DAEMON_PID"); r_a=$(total_restarts)
fd_names "$DAEMON_PID" > "$T/fds.a"
log "after warm-up ($r_a restarts): droverd fds $fd_a, RSS $rss_a kB"

start_poller "$T/poll.log" 0.1
t0=$(now_ms)
churn "$CYCLES"
ms=$(($(now_ms) - t0))
stop_poller
fd_b=$(fd_count "$DAEMON_PID"); rss_b=$(rss_kb "$DAEMON_PID"); r_b=$(total_restarts)
fd_names "$DAEMON_PID" > "$T/fds.b"
polls=$(poller_summary "$T/poll.log")
log "after $((r_b - r_a)) cycles in $(fmt_ms $ms)s: droverd fds $fd_b (max $FD_MAX during), RSS $rss_b kB; status polls: $polls"

[ -z "$ZOMBIE_LEAKS" ] || error "zombies of droverd that lived over 500 ms: $ZOMBIE_LEAKS"
z=$(count_zombies_of "$DAEMON_PID")
[ "$z" = 0 ] || error "$z zombies among droverd's children at rest"
[ "$fd_b" = "$fd_a" ] || { diff "$T/fds.a" "$T/fds.b"; error "droverd's fd count changed over the run: $fd_a -> $fd_b"; }
if [ "$DROVER_SANITIZED" = 1 ]; then
	log "RSS growth $((rss_b - rss_a)) kB not checked under ASan"
else
	[ $((rss_b - rss_a)) -lt 1024 ] || error "droverd's RSS grew by $((rss_b - rss_a)) kB over $((r_b - r_a)) cycles"
fi
case $polls in *" 0 failed"*) ;; *) error "status polls failed: $polls (see $T/poll.log)"; grep fail "$T/poll.log" | sort | uniq -c | head -n 5 ;; esac
# Restart count == exit count, program by program.
refresh_status
mismatch=
for i in $(seq 0 $((NPROG - 1))); do
	spawns=$(wc -l < "$T/spawn.c$i")
	restarts=$(last_field "c$i" restarts)
	[ "$restarts" = $((spawns - 1)) ] || mismatch="$mismatch c$i: restarts $restarts, deaths $((spawns - 1));"
done
[ -z "$mismatch" ] || error "restart count != exit count:$mismatch"
# The exits were varied: signals and exit codes both show up in the log.
sigs=$(grep -o 'terminated by SIG[A-Z0-9]*' "$DAEMON_LOG" | sort -u | wc -l)
codes=$(grep -o 'exit status [0-9]*' "$DAEMON_LOG" | sort -u | wc -l)
[ "$sigs" -ge 5 ] && [ "$codes" -ge 20 ] || error "not much chaos: $sigs distinct signals, $codes distinct exit codes"
daemon_alive || fail "droverd died"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS after SIGTERM"
measured "$((r_b - r_a)) crash/restart cycles in $ms ms ($sigs signals, $codes exit codes); fds $fd_a -> $fd_b (max $FD_MAX); RSS $rss_a -> $rss_b kB; zombie samples $ZOMBIE_SAMPLES, leaks ${ZOMBIE_LEAKS:-0}; status polls $polls"
pass
