#!/bin/bash
# exec/setup failures at volume (RELIABILITY T14 compressed; e2e/exec-failures.sh checks the
# messages): 200 processes of 5 kinds — missing binary, non-executable file, unknown user, missing
# directory (fails in the child, after fork), missing interpreter (execve fails in the child) —
# each tried 5 times (startretries = 4, backoff 1 s flat) = 1,000 failed spawns per round, 3 rounds (2 under ASan).
# Pass: every one ends FATAL with its errno text; 0 zombies; droverd's fd count ±0 and RSS growth
# < 1 MiB from round 1 to the last (RSS not judged under ASan); a bystander worker untouched.
# timeout: 90
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\nexit 0\n' > "$T/noexec.sh"; chmod 0644 "$T/noexec.sh"
printf '#!%s/no/such/interp\n' "$T" > "$T/badinterp.sh"; chmod 0755 "$T/badinterp.sh"
kind() { # NAME COMMAND [EXTRA KEY LINE]
	printf '[program:%s]\ncommand = %s\nnumprocs = 40\nprocess_name = %%(program_name)s_%%(process_num)02d\n' "$1" "$2"
	printf 'startretries = 4\nbackoff = exponential\nbackoff_initial = 1\nbackoff_max = 1\n%s\n\n' "${3:-}"
}
{
	kind missing "$T/no/such/binary"
	kind noexec "$T/noexec.sh"
	kind baduser /bin/true "user = nosuchuser_drover_fault"
	kind baddir /bin/true "directory = $T/no/such/dir"
	kind badinterp "$T/badinterp.sh"
	printf '[program:bystander]\ncommand = /bin/sleep 1000\nstartsecs = 0\n'
} | write_config
start_daemon

all_fatal() { [ "$(count_in_state FATAL)" = 200 ]; }
round_check() { # ROUND
	wait_for 30 all_fatal
	local z
	z=$(count_zombies_of "$DAEMON_PID")
	[ "$z" = 0 ] || error "round $1: $z zombies among droverd's children"
}
round_check 1
bpid=$(pid_of bystander)
errnos=$(status_py 'import collections
c = collections.Counter()
for o in d:
    if o["state"] == "FATAL":
        desc = o.get("description") or ""
        k = o["name"].split(":")[0]
        ok = {"missing": "No such file", "noexec": "Permission denied", "baduser": "nosuchuser_drover_fault",
              "baddir": "No such file", "badinterp": "No such file"}[k] in desc
        c[(k, ok)] += 1
print(" ".join("%s:%s=%d" % (k, "ok" if ok else "BAD", n) for (k, ok), n in sorted(c.items())))')
log "round 1 descriptions: $errnos"
case $errnos in *BAD*) error "some FATAL processes do not name their errno: $errnos" ;; esac
fd1=$(fd_count "$DAEMON_PID"); rss1=$(rss_kb "$DAEMON_PID")
fd_names "$DAEMON_PID" > "$T/fds.1"
attempts1=$(grep -c 'spawn error' "$DAEMON_LOG")
ROUNDS=$(scaled 3 2)
for round in $(seq 2 "$ROUNDS"); do
	ctl start --no-wait all > /dev/null 2>&1
	round_check "$round"
done
fd3=$(fd_count "$DAEMON_PID"); rss3=$(rss_kb "$DAEMON_PID")
attempts=$(grep -c 'spawn error' "$DAEMON_LOG")
log "failed spawns logged: round 1 $attempts1, total $attempts; droverd fds $fd1 -> $fd3, RSS $rss1 -> $rss3 kB"
[ "$attempts" -ge $((ROUNDS * 1000 - 200)) ] || error "only $attempts failed spawns over $ROUNDS rounds (want about $((ROUNDS * 1000)))"
[ "$fd3" = "$fd1" ] || { fd_names "$DAEMON_PID" | diff "$T/fds.1" -; error "droverd's fd count changed: $fd1 -> $fd3"; }
if [ "$DROVER_SANITIZED" = 1 ]; then
	log "RSS growth $((rss3 - rss1)) kB not judged under ASan"
else
	[ $((rss3 - rss1)) -lt 1024 ] || error "droverd's RSS grew by $((rss3 - rss1)) kB over $(((ROUNDS - 1) * 1000)) failed spawns"
fi
[ "$(pid_of bystander)" = "$bpid" ] && [ "$(last_field bystander state)" = RUNNING ] || error "the bystander was disturbed"
stop_daemon TERM 15
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
measured "$attempts failed spawns in $ROUNDS rounds ($errnos); zombies 0; fds $fd1 -> $fd3; RSS $rss1 -> $rss3 kB"
pass
