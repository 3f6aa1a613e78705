#!/bin/bash
# health = http://... on python3 -m http.server: while /health answers 200 the worker keeps its pid
# and status shows the last result; once it answers 404, health_failures failures in a row restart it
# through the normal stop path (stopsignal, then a new pid). health_action = log leaves its twin
# running. health = notify: a worker whose WATCHDOG=1 heartbeats stop is restarted.
# timeout: 120
. "$(dirname "$0")/lib.sh"
command -v systemd-notify >/dev/null || skip "systemd-notify missing"
read -r P1 P2 <<< "$(free_ports 2)"
mkdir -p "$T/www"
echo ok > "$T/www/health"

write_config <<EOF
[program:web]
command = $PY -m http.server $P1 --bind 127.0.0.1 --directory $T/www
ready = tcp:127.0.0.1:$P1
ready_interval = 0.1
startsecs = 20
health = http://127.0.0.1:$P1/health
health_interval = 0.2
health_timeout = 1
health_failures = 3

[program:twin]
command = $PY -m http.server $P2 --bind 127.0.0.1 --directory $T/www
ready = tcp:127.0.0.1:$P2
ready_interval = 0.1
startsecs = 20
health = http://127.0.0.1:$P2/health
health_interval = 0.2
health_failures = 2
health_action = log

[program:beat]
command = /bin/sh -c 'systemd-notify --ready; i=0; while [ ! -e $T/stop-beating ]; do systemd-notify WATCHDOG=1; sleep 0.1; done; exec sleep 600'
ready = notify
health = notify
health_interval = 0.2
health_timeout = 0.6
health_failures = 2
startsecs = 10
EOF
start_daemon
wait_for 15 all_in_state RUNNING
health_field() { "$PY" -c 'import json,sys
d=[o for o in json.load(open(sys.argv[1])) if o["name"]==sys.argv[2]][0]
h=d.get("health"); print("" if h is None else h.get(sys.argv[3]))' "$STATUS_JSON" "$1" "$2"; }
ok_result() { refresh_status && [ "$(health_field web result)" = ok ] && [ "$(health_field beat result)" = ok ]; }
wait_for 10 ok_result
[ "$(health_field web check)" = http ] || error "web health check: $(health_field web check)"
[ "$(health_field web detail)" = "HTTP 200" ] || error "web health detail: $(health_field web detail)"
ctl status web | grep -q "health: http HTTP 200" || error "table: $(ctl status web)"
web_pid=$(last_field web pid); twin_pid=$(last_field twin pid); beat_pid=$(last_field beat pid)
hold_for 1 eval '[ "$(pid_of web)" = "$web_pid" ] && [ "$(last_field beat pid)" = "$beat_pid" ]'

# /health goes away: 404s; web is restarted, twin only logged
rm -f "$T/www/health"
restarted() { refresh_status && [ "$(last_field web state)" = RUNNING ] && [ "$(last_field web pid)" != "$web_pid" ]; }
wait_for 15 restarted
grep -q "web: unhealthy (3 failed checks in a row): restarting it" "$DAEMON_LOG" || error "no 'unhealthy ... restarting' line"
grep -q "stopping: web (pid $web_pid) with SIGTERM" "$DAEMON_LOG" || error "web was not stopped through stopsignal"
wait_for 10 grep -q "twin: unhealthy (2 failed checks in a row); health_action = log" "$DAEMON_LOG"
[ "$(pid_of twin)" = "$twin_pid" ] || error "twin (health_action = log) was restarted"
[ "$(health_field twin result)" = failed ] || error "twin health result: $(health_field twin result)"
ctl status twin | grep -q "failures" || error "table shows no failures: $(ctl status twin)"

# heartbeats stop: beat is restarted
touch "$T/stop-beating"
beat_restarted() { refresh_status && [ "$(last_field beat pid)" != "$beat_pid" ] && [ "$(last_field beat pid)" != 0 ]; }
wait_for 10 beat_restarted
grep -q "beat: unhealthy" "$DAEMON_LOG" || error "beat: no 'unhealthy' line"
log "$(ctl status)"
stop_daemon
pass
