#!/bin/bash
# Hostile NOTIFY_SOCKET traffic: from inside a worker's tree 10,000 datagrams of random bytes, 64 KiB
# datagrams, MAINPID=1 and MAINPID=<droverd>; from an unrelated process READY=1 to a worker that is
# waiting for it, and floods to 50 workers' sockets while they restart. droverd stays alive and
# answers, no state is wrong (the waiting worker stays STARTING), every drop is counted.
# timeout: 180
. "$(dirname "$0")/lib.sh"
command -v systemd-notify >/dev/null || skip "systemd-notify missing"

cat > "$T/send.py" <<'EOF'
import array, os, random, select, socket, sys, time
mode = sys.argv[1]
def sock():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    return s
def send(s, path, data):
    try:
        s.sendto(data, path)
        return 1
    except (BlockingIOError, ConnectionRefusedError, FileNotFoundError, OSError):
        return 0
if mode == "intree":          # run by the worker: its own socket
    path, droverd = os.environ["NOTIFY_SOCKET"], sys.argv[2]
    s = sock(); rnd = random.Random(1); sent = 0
    for i in range(10000):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        while not send(s, path, data):   # a full queue: wait for droverd to read
            time.sleep(0.001)
        sent += 1
    big = 0
    for i in range(3):
        big += send(s, path, b"READY=1\n" + b"x" * 65000)
    send(s, path, b"MAINPID=1\n"); send(s, path, ("MAINPID=%s\n" % droverd).encode())
    send(s, path, b"STATUS=flooded\nREADY=1\n")
    # As systemd-notify does (BARRIER=1): stay alive until droverd has read all of it. A sender that
    # is gone when its datagram is read cannot be told from a stranger and is dropped (under ASan and
    # load droverd was still reading the flood when this process exited: its READY=1 never counted).
    r, w = os.pipe()
    s.sendmsg([b"BARRIER=1\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))], 0, path)
    os.close(w)
    p = select.poll(); p.register(r, select.POLLHUP)
    p.poll(170 * 1000)
    open(sys.argv[3], "w").write("%d %d\n" % (sent, big))
elif mode == "outside":       # an unrelated process: every socket of the directory
    d, until = sys.argv[2], time.time() + float(sys.argv[3])
    s = sock(); s.setblocking(False); rnd = random.Random(2); n = 0
    while time.time() < until:
        for name in os.listdir(d):
            p = os.path.join(d, name)
            n += send(s, p, b"READY=1\nSTATUS=forged\n")
            n += send(s, p, bytes(rnd.randrange(256) for _ in range(64)))
    print(n)
EOF

write_config <<EOF
[program:gate]
command = /bin/sh -c 'exec sleep 600'
ready = notify
startsecs = 60

[program:flood]
command = /bin/sh -c '$PY $T/send.py intree \$(cat $T/droverd.pid) $T/flood.done; exec sleep 600'
ready = notify
startsecs = 60
autostart = false

[program:churn]
command = /bin/sh -c 'systemd-notify --ready; sleep 0.3; exit 3'
numprocs = 50
process_name = churn_%(process_num)02d
ready = notify
startsecs = 5
autorestart = true
startretries = 100
EOF
start_daemon
echo "$DAEMON_PID" > "$T/droverd.pid"
# Started only now that droverd's pid is in the file it reads. (Started with droverd, it could read
# the file before the test wrote it, and a restart of it while STARTING did not always replace it:
# it then sat out its 60 s startsecs.)
ctl start --no-wait flood > /dev/null
wait_for 10 is_state gate STARTING
NDIR=$RUN_DIR/$NAME.notify
wait_for 5 test -d "$NDIR"
outside=$("$PY" "$T/send.py" outside "$NDIR" 4)
log "outside sender: $outside datagrams sent to $(ls "$NDIR" | wc -l) sockets"

# (the sender is done once droverd has read all it sent, thousands of datagrams, a few hundred a
# second under ASan on a loaded machine; its READY=1 is then in)
wait_for 150 test -s "$T/flood.done"
wait_for 10 is_state flood RUNNING
read -r sent big < "$T/flood.done"
log "flood: $sent random datagrams, $big of 64 KiB sent"
fd=$(last_field flood notify_dropped)
[ "$fd" -ge $((sent - 10 + big + 2)) ] || error "flood: notify_dropped $fd < $sent random + $big big + 2 MAINPID"
[ "$(last_field flood status)" = flooded ] || error "flood: status line '$(last_field flood status)'"
[ "$(last_field gate state)" = STARTING ] || error "gate is $(last_field gate state): a forged READY=1 counted"
[ "$(last_field gate status)" = "" ] || error "gate status line '$(last_field gate status)' (forged)"
gd=$(last_field gate notify_dropped)
[ "$gd" -ge 1 ] || error "gate: notify_dropped $gd: the forged datagrams were not counted"
churned=$("$PY" -c 'import json,sys; print(sum(o["restarts"] for o in json.load(open(sys.argv[1])) if o["name"].startswith("churn")))' "$STATUS_JSON")
[ "$churned" -ge 50 ] || error "churn restarted only $churned times"
grep -q "notify message dropped" "$DAEMON_LOG" || error "no drop logged"
# droverd still answers (within droverctl's 5 s; the time, droverctl's start-up included, is logged)
t0=$(now_ms); ctl --timeout 5 status gate > /dev/null || error "status gate failed after the floods"; t1=$(now_ms)
log "status gate answered in $((t1 - t0)) ms"
daemon_alive || fail "droverd died"
log "gate: dropped $gd; flood: dropped $fd; churn restarts $churned"
stop_daemon
[ "$DAEMON_STATUS" = 0 ] || error "droverd exit status $DAEMON_STATUS"
pass
