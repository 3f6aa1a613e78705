#!/bin/bash
# ready = tcp:, http://, exec:, log: against real servers: python3 -m http.server under a tcp probe,
# nginx under an http probe (both started late by a wrapper: STARTING until they listen), an exec
# probe, a log: line printed after a delay; a worker that never becomes ready goes through
# BACKOFF to FATAL ("not ready within startsecs"). ready_via and the table say how.
# timeout: 90
. "$(dirname "$0")/lib.sh"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || skip "nginx missing (make check installs it: mk/deps.sh daemons)"
read -r P1 P2 P3 <<< "$(free_ports 3)"
mkdir -p "$T/www" "$T/nginx"
echo ok > "$T/www/health"
chmod 0755 "$T" "$T/www"; chmod 0644 "$T/www/health"   # nginx workers run as www-data
cat > "$T/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server { listen 127.0.0.1:$P2; root $T/www; }
}
EOF

write_config <<EOF
[program:py]
command = /bin/sh -c 'sleep 1; exec $PY -m http.server $P1 --bind 127.0.0.1 --directory $T/www'
ready = tcp:127.0.0.1:$P1
ready_interval = 0.1
startsecs = 20

[program:nginx]
command = /bin/sh -c 'sleep 1; exec $NGINX -c $T/nginx.conf'
ready = http://127.0.0.1:$P2/health
ready_interval = 0.1
startsecs = 20
stopsignal = QUIT

[program:ex]
command = /bin/sh -c 'sleep 1; touch $T/ex.flag; exec sleep 600'
ready = exec:test -e $T/ex.flag
ready_interval = 0.1
startsecs = 20

[program:lg]
command = /bin/sh -c 'echo starting; sleep 1; echo "server: Ready to serve" >&2; exec sleep 600'
ready = log:Ready to (serve|work)
startsecs = 20

[program:never]
command = /bin/sh -c 'exec sleep 600'
ready = tcp:127.0.0.1:$P3
ready_interval = 0.1
startsecs = 1
startretries = 1
EOF
start_daemon

# each STARTING until its server is up, then RUNNING via its probe ('never' is watched meanwhile)
saw_backoff=0
check_one() {   # NAME VIA PROBECMD
	local st
	st=$(state_of "$1") || return 1
	[ "$(last_field never state)" = BACKOFF ] && saw_backoff=1
	if [ "$st" = RUNNING ]; then
		eval "$3" >/dev/null 2>&1 || fail "$1 is RUNNING but $3 fails"
		[ "$(last_field "$1" ready_via)" = "$2" ] || fail "$1: ready_via $(last_field "$1" ready_via), want $2"
		return 0
	fi
	[ "$st" = STARTING ] || fail "$1 is $st"
	return 1
}
wait_for 15 check_one py tcp "curl -fsS http://127.0.0.1:$P1/health"
wait_for 15 check_one nginx http "curl -fsS http://127.0.0.1:$P2/health"
wait_for 15 check_one ex exec "test -e $T/ex.flag"
wait_for 15 check_one lg log "grep -q 'Ready to serve' $LOG_DIR/lg-stderr.log"
ra=$(last_field lg ready_after)
"$PY" -c "import sys; sys.exit(0 if float('$ra') >= 0.9 else 1)" || error "lg ready after $ra s: before its line was printed"
ctl status nginx | grep -q "ready via http" || error "table: $(ctl status nginx)"
[ "$(last_field nginx ready_detail)" = "HTTP 200" ] || error "nginx ready_detail: $(last_field nginx ready_detail)"

# never ready: BACKOFF, then FATAL
never_fatal() {
	local st
	st=$(state_of never) || return 1
	[ "$st" = BACKOFF ] && saw_backoff=1
	[ "$st" = FATAL ]
}
wait_for 20 never_fatal
[ "$saw_backoff" = 1 ] || [ "$(last_field never restarts)" -ge 1 ] || error "never: no BACKOFF seen before FATAL"
grep -q "never: not ready within startsecs" "$DAEMON_LOG" || error "no 'not ready within startsecs' in the log"
log "$(ctl status)"
stop_daemon
pgrep -f "$T/nginx.conf" >/dev/null && error "nginx left running"
pass
