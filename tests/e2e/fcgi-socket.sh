#!/bin/bash
# [fcgi-program:x]: droverd makes the listening socket once, before the first spawn, and gives it
# to every process of the program as its standard input (a FastCGI-style server that accepts on
# fd 0); it outlives the processes' restarts: a client hammering it while the program restarts
# again and again is never refused (connections wait in the backlog). A reload keeps it when the
# program is unchanged, makes a new one when the socket changes, closes it when the program goes.
# A unix socket gets socket_owner and socket_mode.
# timeout: 90
. "$(dirname "$0")/lib.sh"

cat > "$T/server.py" <<'PY'
# Accept on fd 0 (the socket droverd hands over) and answer each connection with our pid. On
# SIGTERM, finish the connection in hand, then exit, as a FastCGI server does (the ones waiting
# in the backlog stay for the next worker).
import os, signal, socket, sys
stop = False
def term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
s = socket.socket(fileno=0)
s.settimeout(0.1)
while not stop:
    try:
        c, _ = s.accept()
    except (socket.timeout, BlockingIOError, InterruptedError):
        continue
    c.settimeout(None)
    try:
        c.recv(64)
        c.sendall(b"%d\n" % os.getpid())
    except OSError:
        pass
    c.close()
PY
cat > "$T/client.py" <<'PY'
# client.py ADDRESS SECONDS|STOPFILE: connect again and again for SECONDS, or until STOPFILE
# exists (then STOPFILE.started says when the first answer came); print "ok N refused N errors N pids N"
import os, socket, sys, time
addr, until = sys.argv[1], sys.argv[2]
ok = refused = errors = 0
pids = set()
end = time.monotonic() + float(until) if until[0].isdigit() else None
while (time.monotonic() < end) if end else not os.path.exists(until):
    try:
        if addr.startswith("/"):
            c = socket.socket(socket.AF_UNIX); c.settimeout(10); c.connect(addr)
        else:
            h, p = addr.rsplit(":", 1); c = socket.create_connection((h, int(p)), timeout=10)
        c.sendall(b"GET\n")
        r = c.recv(64)
        c.close()
        if r.strip().isdigit():
            ok += 1; pids.add(r.strip())
            if ok == 1 and not end:
                open(until + ".started", "w").close()
        else:
            errors += 1
    except ConnectionRefusedError:
        refused += 1
    except OSError as e:
        errors += 1
        print("error:", e, file=sys.stderr)
print("ok %d refused %d errors %d pids %d" % (ok, refused, errors, len(pids)))
PY
# a free port: the kernel's choice, released just before droverd takes it
port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(port)
sock_inode() { readlink "/proc/$1/fd/0" | tr -dc 0-9; }   # socket:[N] -> N

write_config <<EOF
[fcgi-program:app]
command = $PY $T/server.py
socket = tcp://127.0.0.1:$P1
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0
stopwaitsecs = 2

[fcgi-program:unixapp]
command = $PY $T/server.py
socket = unix://$T/app.sock
socket_owner = nobody
socket_mode = 0660
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 3
a0=$(pid_of app:app_0); a1=$(pid_of app:app_1)
i0=$(sock_inode "$a0")
[ -n "$i0" ] && [ "$i0" = "$(sock_inode "$a1")" ] || error "the two processes of app do not share one socket ($i0, $(sock_inode "$a1"))"
grep -q "fcgi-program app: listening on tcp://127.0.0.1:$P1" "$DAEMON_LOG" || error "no log line for app's socket"
[ "$(grep -c 'fcgi-program app: listening' "$DAEMON_LOG")" = 1 ] || error "app's socket was made more than once"
[ "$(stat -c %U:%a "$T/app.sock")" = nobody:660 ] || error "unix socket is $(stat -c %U:%a "$T/app.sock"), want nobody:660"
"$PY" "$T/client.py" "$T/app.sock" 0.2 | grep -q "^ok [1-9].* refused 0 errors 0" || error "unix socket does not answer"

# restarts under load: never refused
"$PY" "$T/client.py" "127.0.0.1:$P1" "$T/stop" > "$T/load.out" 2> "$T/load.err" &
client=$!
wait_for 10 test -e "$T/stop.started"
for i in 1 2 3 4 5; do
	ctl restart 'app:*' >/dev/null || error "restart $i failed"
done
touch "$T/stop"
wait "$client"
log "client during 5 restarts: $(cat "$T/load.out")"
grep -qE "^ok [1-9][0-9]* refused 0 errors 0 pids ([3-9]|[1-9][0-9]+)$" "$T/load.out" || error "under restarts: $(cat "$T/load.out") $(head -c 300 "$T/load.err")"
a0=$(pid_of app:app_0)
[ "$(sock_inode "$a0")" = "$i0" ] || error "after restarts app_0 has socket $(sock_inode "$a0"), want the same $i0"

# a reload that leaves app alone keeps its socket; one that moves it to another port makes a new
# one (the old port is closed); one that removes it closes it (and the unix socket's file goes)
echo "; comment" >> "$CONF"
ctl reload >/dev/null || error "reload (unchanged) failed"
[ "$(sock_inode "$(pid_of app:app_0)")" = "$i0" ] || error "an unchanged reload replaced the socket"
P2=$(port)
sed -i "s|tcp://127.0.0.1:$P1|tcp://127.0.0.1:$P2|" "$CONF"
ctl reload >/dev/null || error "reload (new port) failed"
wait_for 10 eval '[ -n "$(pid_of app:app_0)" ] && [ "$(pid_of app:app_0)" != "$a0" ] && is_state app:app_0 RUNNING'
"$PY" "$T/client.py" "127.0.0.1:$P2" 0.2 | grep -q "^ok [1-9].* refused 0 errors 0" || error "new port $P2 does not answer"
"$PY" "$T/client.py" "127.0.0.1:$P1" 0.2 | grep -q "^ok 0 refused [1-9]" || error "old port $P1 still answers"
sed -i '/^\[fcgi-program:unixapp\]/,$d' "$CONF"
ctl reload >/dev/null || error "reload (remove unixapp) failed"
wait_for 5 eval '! [ -e "$T/app.sock" ]'
grep -q "fcgi-program unixapp: socket unix://$T/app.sock closed (the program was removed)" "$DAEMON_LOG" || error "no log line for unixapp's socket"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
"$PY" "$T/client.py" "127.0.0.1:$P2" 0.2 | grep -q "^ok 0 refused [1-9]" || error "the socket outlived droverd"
pass
