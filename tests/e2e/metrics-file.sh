#!/bin/bash
# [drover] metrics_file: the Prometheus text of 3 programs (two sleepers, a FATAL one, a scoreboard
# worker with counters and heartbeats) is written, passes `promtool check metrics`, and says what
# `droverctl status --json` says (states, up, ready, restarts, start times, heartbeat age, counters,
# dropped log bytes, processes per state); it is replaced atomically (no temporary file left, never
# half a file); a reload counts, a refused reload counts as a failure; a reload that moves the file
# removes the old one; a reload that unsets it leaves droverd without the timer (no more writes);
# an unwritable path is logged once and droverd goes on; a clean exit removes the file.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker

PROM=$T/prom
mkdir -p "$PROM"
programs() {
	cat <<EOF
[program:sleeper]
command = /bin/sleep 1000
numprocs = 2
process_name = %(program_name)s_%(process_num)d

[program:crasher]
command = /bin/false
startsecs = 1
startretries = 0

[program:sb]
command = $HELPERS/sb-worker -s "metrics" -i 100000 -H -r
ready = scoreboard
startsecs = 10
EOF
}
config() {   # config [metrics keys...]
	{ printf '%s\n' "$@"; echo; programs; } | write_config
}
config "metrics_file = $PROM/drover.prom" "metrics_interval = 1"
start_daemon
wait_for 15 all_in_state RUNNING sleeper 2
wait_for 15 is_state sb RUNNING
wait_for 15 is_state crasher FATAL

# The file as written once every process settled (the sb worker's counters are 1 and 10 after its
# first iteration): a write after the FATAL, the counters and the sleepers' startsecs.
file_settled() {
	grep -q 'drover_process_reported_total{.*process="sb",index="1"} 10$' "$PROM/drover.prom" 2>/dev/null &&
		grep -q 'drover_processes{.*state="FATAL"} 1$' "$PROM/drover.prom" &&
		grep -q 'drover_processes{.*state="RUNNING"} 3$' "$PROM/drover.prom"
}
wait_for 5 file_settled
cp "$PROM/drover.prom" "$T/m1.prom"
refresh_status || fail "no status"

# Content: the file against status --json, fetched right after it (start times within 2.5 s; the
# heartbeat age within the file's age).
"$PY" - "$T/m1.prom" "$STATUS_JSON" "$NAME" <<'EOF' || error "metrics_file does not say what status --json says"
import json, re, sys, time
text, status, inst = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
series = {}
for line in text.splitlines():
    if not line or line.startswith("#"):
        continue
    m = re.match(r'^([a-z_]+)\{(.*)\} (\S+)$', line)
    assert m, "bad line: %r" % line
    labels = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    assert labels.pop("drover") == inst, line
    key = (m.group(1), tuple(sorted(labels.items())))
    assert key not in series, "duplicate series: " + line
    series[key] = float(m.group(3))
def get(name, **labels):
    return series.get((name, tuple(sorted(labels.items()))))
bad = []
def check(what, got, want, slack=0.0):
    if got is None or abs(got - want) > slack:
        bad.append("%s: metrics %r, status --json %r" % (what, got, want))
now = time.time()
states = {}
for p in status:
    n, g = p["name"], p["group"]
    states[p["state"]] = states.get(p["state"], 0) + 1
    check(n + " state", get("drover_process_state", group=g, process=n, state=p["state"]), 1)
    check(n + " up", get("drover_process_up", group=g, process=n), 1 if p["state"] == "RUNNING" else 0)
    check(n + " ready", get("drover_process_ready", group=g, process=n), 1 if p["ready"] else 0)
    check(n + " restarts", get("drover_process_restarts_total", group=g, process=n), p["restarts"])
    check(n + " log dropped", get("drover_process_log_dropped_bytes_total", group=g, process=n), p["log_dropped"])
    start = get("drover_process_start_time_seconds", group=g, process=n)
    if p["pid"]:
        check(n + " start time", start, now - p["uptime"], 2.5)
    elif start is not None:
        bad.append(n + ": a start time without a worker")
    hb = get("drover_process_heartbeat_age_seconds", group=g, process=n)
    if p["heartbeat_age"] is None:
        if hb is not None:
            bad.append(n + ": a heartbeat age without heartbeats")
    else:
        check(n + " heartbeat age", hb, p["heartbeat_age"], 2.5)
    for i, c in enumerate(p["counters"]):
        check("%s counter %d" % (n, i), get("drover_process_reported_total", group=g, process=n, index=str(i)), c)
    if p["exitstatus"] is not None:
        check(n + " exit status", get("drover_process_last_exit_status", group=g, process=n), p["exitstatus"])
for s in ("STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"):
    check("processes " + s, get("drover_processes", state=s), states.get(s, 0))
if len(status) != 4 or states.get("RUNNING") != 3 or states.get("FATAL") != 1:
    bad.append("status is not 3 RUNNING + 1 FATAL: %r" % states)
sb = [p for p in status if p["name"] == "sb"][0]
if sb["counters"][:2] != [1, 10] or not sb["ready"]:
    bad.append("sb: counters %r ready %r" % (sb["counters"], sb["ready"]))
check("reloads", get("drover_reloads_total"), 0)
check("reload failures", get("drover_reload_failures_total"), 0)
if get("drover_control_requests_total") is None or not any(k[0] == "drover_build_info" for k in series):
    bad.append("no control request counter or build info")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF

# Written whole, through a temporary file that never stays.
leftovers=$(ls -A "$PROM" | grep -v '^drover\.prom$')
[ -z "$leftovers" ] || error "files left next to metrics_file: $leftovers"
[ "$(stat -c %a "$PROM/drover.prom")" = 644 ] || error "metrics_file mode $(stat -c %a "$PROM/drover.prom")"

# Every write is a whole file (renamed into place): 30 reads while it is rewritten every second.
for i in $(seq 30); do
	tail -n 1 "$PROM/drover.prom" | grep -q '^drover_process_reported_total' || error "read $i: a file that does not end with its last family"
	sleep 0.1
done

# A reload that moves the file: the old one goes, the new one counts the reload.
mkdir -p "$PROM/b"
config "metrics_file = $PROM/b/drover.prom" "metrics_interval = 1"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 eval '[ ! -e "$PROM/drover.prom" ] && grep -q "^drover_reloads_total{.*} 1$" "$PROM/b/drover.prom" 2>/dev/null'
# A refused reload counts as a failure.
{ echo "metrics_interval = 0"; echo; programs; } | write_config
ctl reload >/dev/null 2>&1 && error "a reload with metrics_interval = 0 was applied"
wait_for 5 eval 'grep -q "^drover_reload_failures_total{.*} 1$" "$PROM/b/drover.prom"'

# An unwritable path: logged once, droverd goes on.
config "metrics_file = $T/no/such/dir/drover.prom" "metrics_interval = 1"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 eval '[ ! -e "$PROM/b/drover.prom" ] && grep -q "metrics_file .*no/such/dir.*cannot write" "$DAEMON_LOG"'
hold_for 2.5 daemon_alive
[ "$(grep -c 'metrics_file .*cannot write' "$DAEMON_LOG")" = 1 ] || error "the failing write is logged $(grep -c 'metrics_file .*cannot write' "$DAEMON_LOG") times, not once"

# Unset: no timer any more (no write, no attempt, in 2.5 s; with metrics_interval = 1 there were
# several per 2.5 s above).
config
ctl reload >/dev/null || fail "reload refused"
if command -v strace >/dev/null 2>&1; then
	timeout 2.5 strace -f -qq -e trace=openat,rename -p "$DAEMON_PID" -o "$T/strace" 2>/dev/null
	grep -E 'tmp|drover\.prom' "$T/strace" && error "droverd still writes metrics with metrics_file unset"
else
	log "strace missing: the no-timer check is skipped"
fi

# A clean exit removes the file.
config "metrics_file = $PROM/drover.prom"
ctl reload >/dev/null || fail "reload refused"
wait_for 5 test -s "$PROM/drover.prom"
stop_daemon TERM
[ -e "$PROM/drover.prom" ] && error "metrics_file left behind after a clean exit"

# The format, as Prometheus's own tool reads it.
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/m1.prom" > "$T/promtool.out" 2>&1 || error "promtool check metrics: $(cat "$T/promtool.out")"
	cp "$T/m1.prom" "$ART/metrics.prom"
else
	[ ${#ERRORS[@]} -eq 0 ] && skip "promtool missing (Debian package prometheus, mk/deps.sh tools): the file was not checked with it"
fi
pass
