#!/bin/bash
# backoff = exponential: a crashing program waits initial x 2^k before each new attempt, up to the
# cap; a program that stays RUNNING backoff_reset seconds starts the curve afresh; with fatal_retry
# a FATAL program is tried again. (issue 8 test 4, RELIABILITY T04.)
# The delays are droverd's own: the time between its debug lines "NAME: ... -> BACKOFF" (or FATAL)
# and "spawning: 'NAME'", which is what its timer waited. Never shorter than asked; under half as
# long again at most (a delay of the wrong step of the curve is twice or half as long). How long
# a worker takes to start and exit is not part of it: on a loaded machine that varies by far more
# than the tolerance a spawn-to-spawn time would need.
# timeout: 60
. "$(dirname "$0")/lib.sh"

write_config <<EOF2
[program:crash]
command = /bin/sh -c 'exit 1'
startsecs = 1
startretries = infinite
backoff = exponential
backoff_initial = 1
backoff_max = 4

[program:steady]
command = /bin/sh -c 'sleep 3; exit 1'
startsecs = 1
autorestart = true
startretries = infinite
backoff = exponential
backoff_initial = 1
backoff_max = 8
backoff_reset = 1

[program:retry]
command = /bin/sh -c 'exit 1'
startsecs = 1
startretries = 1
fatal_retry = 2
EOF2
export DROVER_DEBUG=1
start_daemon
unset DROVER_DEBUG

spawns() { grep -c "debug: spawning: '$1'" "$DAEMON_LOG"; }
# delays NAME STATE: droverd's waits, in seconds, from each "NAME: X -> STATE" to the next spawn.
delays() {
	"$PY" - "$DAEMON_LOG" "$1" "$2" <<'PY'
import datetime, re, sys
log, name, state = sys.argv[1:]
since = None
for line in open(log):
    m = re.match(r"(\S+) droverd: debug: (.*)$", line.rstrip("\n"))
    if not m:
        continue
    t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
    if re.fullmatch(re.escape(name) + r": \S+ -> " + state, m.group(2)):
        since = t
    elif m.group(2) == "spawning: '%s'" % name and since is not None:
        print("%.3f" % (t - since))
        since = None
PY
}
# check_delays WHAT FILE WANT...: each delay at least WANT (log times are cut to the ms), less than
# 1.5 x WANT.
check_delays() {
	local what=$1 file=$2; shift 2
	log "$what: delays $(tr '\n' ' ' < "$file")(want $*)"
	awk -v want="$*" 'BEGIN { n = split(want, w) }
		NR <= n { if ($1 < w[NR] - 0.002 || $1 >= w[NR] * 1.5) { print "delay " NR ": " $1 " s, want " w[NR]; bad = 1 } }
		END { if (NR < n) { print NR " delays, want " n; bad = 1 } exit bad }' "$file" ||
		error "$what: the delays are off"
}

# crash: spawns at 0, +1, +2, +4, +4 (cap).
wait_for 40 eval '[ "$(spawns crash)" -ge 5 ]'
# status shows the next attempt while in BACKOFF.
wait_for 10 is_state crash BACKOFF
[ -n "$(last_field crash next_attempt)" ] || fail "no next_attempt for a BACKOFF process"
delays crash BACKOFF > "$T/crash.delays"
check_delays "crash (exponential, cap 4 s)" "$T/crash.delays" 1 2 4 4
# steady runs 3 s (RUNNING 2 s > backoff_reset = 1) before each crash: always the initial 1 s.
wait_for 40 eval '[ "$(spawns steady)" -ge 4 ]'
delays steady BACKOFF > "$T/steady.delays"
check_delays "steady (backoff_reset restarts the curve)" "$T/steady.delays" 1 1 1
# retry: FATAL after 2 attempts, then tried again after fatal_retry = 2 s.
wait_for 20 eval '[ "$(spawns retry)" -ge 3 ]'
delays retry FATAL > "$T/retry.delays"
check_delays "retry (fatal_retry)" "$T/retry.delays" 2
pass
