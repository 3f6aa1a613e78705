#!/bin/bash
# droverctl metrics: for 3 programs (two sleepers, a FATAL one, a scoreboard worker with counters
# and heartbeats) the text passes `promtool check metrics` and says what `droverctl status --json`
# says; --openmetrics gives the same series in OpenMetrics (families without _total, # EOF);
# --json wraps the text; malformed control messages and requests are counted;
# without droverd: exit 4.
# timeout: 60
. "$(dirname "$0")/lib.sh"
need_helpers sb-worker mq-garbage

write_config <<EOF
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
start_daemon
wait_for 15 all_in_state RUNNING sleeper 2
wait_for 15 is_state sb RUNNING
wait_for 15 is_state crasher FATAL
sb_counted() { [ "$(field_of sb counters)" = "[1,10]" ] || [ "$(field_of sb counters | tr -d ' ')" = "[1,10]" ]; }
wait_for 5 sb_counted

# 5 malformed messages: counted as bad (the queue is read in the loop: wait for them).
"$HELPERS/mq-garbage" "/$NAME.ctl" 5 42 > /dev/null || fail "mq-garbage failed"
bad_counted() { ctl metrics | grep -q "^drover_control_bad_messages_total{drover=\"$NAME\"} 5$"; }
wait_for 5 bad_counted

ctl metrics > "$T/m.prom" || fail "droverctl metrics exited $?"
refresh_status || fail "no status"
"$PY" "$E2E_DIR/metrics_check.py" "$T/m.prom" "$STATUS_JSON" "$NAME" || error "droverctl metrics does not say what status --json says"
grep -q "^drover_control_bad_messages_total{drover=\"$NAME\"} 5$" "$T/m.prom" ||
	error "bad messages: $(grep '^drover_control_bad_messages_total' "$T/m.prom") (5 sent, no more)"
n1=$(sed -n 's/^drover_control_requests_total{.*} //p' "$T/m.prom")
ctl metrics > "$T/m2.prom" || fail "droverctl metrics exited $?"
n2=$(sed -n 's/^drover_control_requests_total{.*} //p' "$T/m2.prom")
[ -n "$n1" ] && [ "$n2" -gt "$n1" ] || error "control requests did not grow between two requests: $n1, then $n2"

# OpenMetrics: the same samples (counter families declared without _total), # EOF last.
ctl metrics --openmetrics > "$T/m.om" || fail "droverctl metrics --openmetrics exited $?"
refresh_status || fail "no status"
"$PY" "$E2E_DIR/metrics_check.py" "$T/m.om" "$STATUS_JSON" "$NAME" openmetrics || error "droverctl metrics --openmetrics does not say what status --json says"
grep -q '^# TYPE drover_process_restarts counter$' "$T/m.om" || error "OpenMetrics: no counter family drover_process_restarts"
grep -q '^# UNIT drover_process_start_time_seconds seconds$' "$T/m.om" || error "OpenMetrics: no UNIT line for the start time"
samples() { grep -v '^#' "$1" | sed 's/ [^ ]*$//' | grep -v -e '^drover_control_requests_total' -e '_seconds{' | sort; }
diff <(samples "$T/m.prom") <(samples "$T/m.om") > "$T/diff" || error "the two dialects have different series: $(head -n 20 "$T/diff")"

# --json: one object with the text.
ctl --json metrics > "$T/m.json" || fail "droverctl --json metrics exited $?"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["format"] == "prometheus" and d["text"].startswith("# HELP drover_build_info") else 1)' "$T/m.json" ||
	error "droverctl --json metrics: $(head -c 300 "$T/m.json")"

# The text as Prometheus's own tool reads it.
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/m.prom" > "$T/promtool.out" 2>&1 || error "promtool check metrics: $(cat "$T/promtool.out")"
	cp "$T/m.prom" "$ART/metrics.prom"
fi

# A user's restart counts as manual, not automatic.
ctl restart sleeper:sleeper_0 > /dev/null || error "restart sleeper:sleeper_0 failed"
ctl metrics > "$T/m3.prom" || fail "droverctl metrics exited $?"
grep -q 'drover_process_restarts_total{.*process="sleeper:sleeper_0",reason="manual"} 1$' "$T/m3.prom" &&
	grep -q 'drover_process_restarts_total{.*process="sleeper:sleeper_0",reason="automatic"} 0$' "$T/m3.prom" ||
	error "after a restart by hand: $(grep 'restarts_total.*sleeper_0' "$T/m3.prom")"

stop_daemon TERM
"$DROVERCTL" -n "$NAME" metrics > /dev/null 2>&1; rc=$?
[ "$rc" = 4 ] || error "droverctl metrics without droverd exited $rc, not 4"
command -v promtool >/dev/null 2>&1 || { [ ${#ERRORS[@]} -eq 0 ] && skip "promtool missing (Debian package prometheus, mk/deps.sh tools): the text was not checked with it"; }
pass
