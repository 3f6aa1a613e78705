#!/bin/bash
# Child hygiene over 120 spawns (20 workers, started 6 times): every worker has exactly fds 0, 1, 2
# and 10 (its own scoreboard object, DROVER_SCOREBOARD_FD=10),
# SigBlk and SigIgn zero, its own session, PR_SET_PDEATHSIG set, an environment without droverd's
# NOTIFY_SOCKET / WATCHDOG_* / LISTEN_* (set when droverd started, with SIGUSR2 blocked and
# SIGPIPE/SIGINT ignored, and fd 7 inherited without O_CLOEXEC) but with DROVER_NAME, DROVER_PROCESS,
# SUPERVISOR_ENABLED=1, SUPERVISOR_PROCESS_NAME and SUPERVISOR_GROUP_NAME;
# droverd itself has `Threads: 2` throughout (the main thread, and the spawn thread that only
# creates spawn helpers: it is the workers' parent).
# timeout: 90
. "$(dirname "$0")/lib.sh"
need_helpers worker-probe

mkdir -p "$T/probe"
write_config <<EOF2
[program:plain]
command = /bin/sleep 1000
numprocs = 10
process_name = %(program_name)s_%(process_num)02d
startsecs = 0

[program:probe]
command = $WPROBE $T/probe
numprocs = 10
process_name = %(program_name)s_%(process_num)02d
startsecs = 0
environment = PROBE_EXTRA="a b,c"
EOF2

# droverd starts with systemd's variables set, a blocked signal and ignored signals: none of it may
# reach a worker.
cat > "$T/wrap.py" <<'EOF2'
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
# A descriptor droverd inherits without close-on-exec (as from a careless parent): supervisord closes
# every descriptor above 2 in the child, so it must not reach a worker either.
fd = os.open(os.environ["INHERIT_FILE"], os.O_WRONLY | os.O_CREAT, 0o644)
os.dup2(fd, 7)
os.set_inheritable(7, True)
os.close(fd)
os.execv(sys.argv[1], sys.argv[1:])
EOF2
export NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=60000000 WATCHDOG_PID=1 LISTEN_FDS=0 LISTEN_PID=1 LISTEN_FDNAMES=none
INHERIT_FILE=$T/inherited-fd start_daemon "$PY" "$T/wrap.py"
[ "$(readlink "/proc/$DAEMON_PID/fd/7")" = "$T/inherited-fd" ] || fail "wrapper did not hand fd 7 to droverd"
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
grep -q 'SigBlk:.*[1-9a-f]' "/proc/$DAEMON_PID/status" && log "note: droverd runs with SigBlk $(status_field "$DAEMON_PID" SigBlk)"

cat > "$T/check.py" <<'EOF2'
# check.py NAME PROBEDIR STATUS.json: verify every worker in the status document; print problems.
import json, os, sys
name, probedir, doc = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
bad = []
for o in doc:
    pid, n = o.get("pid"), o["name"]
    if o.get("state") != "RUNNING" or not pid:
        bad.append("%s: state %s pid %s" % (n, o.get("state"), pid)); continue
    fds = sorted(int(f) for f in os.listdir("/proc/%d/fd" % pid))
    if 7 in fds and os.readlink("/proc/%d/fd/7" % pid).endswith("/inherited-fd"):
        bad.append("INHERITED %s (pid %d)" % (n, pid))
        fds.remove(7)
    if fds != [0, 1, 2, 10] or "memfd:drover-scoreboard" not in os.readlink("/proc/%d/fd/10" % pid):
        bad.append("%s (pid %d): fds %s -> %s" % (n, pid, fds,
                   [os.readlink("/proc/%d/fd/%d" % (pid, f)) for f in fds]))
    st = dict(l.split(":", 1) for l in open("/proc/%d/status" % pid).read().splitlines() if ":" in l)
    for k in ("SigBlk", "SigIgn"):
        if int(st[k].strip(), 16) != 0:
            bad.append("%s (pid %d): %s %s" % (n, pid, k, st[k].strip()))
    env = dict(e.split(b"=", 1) for e in open("/proc/%d/environ" % pid, "rb").read().split(b"\0") if b"=" in e)
    env = {k.decode(): v.decode(errors="replace") for k, v in env.items()}
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        if k in env:
            bad.append("%s (pid %d): environ has %s=%s" % (n, pid, k, env[k]))
    proc, group = n.split(":")[-1], n.split(":")[0]
    want = {"DROVER_NAME": name, "SUPERVISOR_ENABLED": "1", "SUPERVISOR_PROCESS_NAME": proc,
            "SUPERVISOR_GROUP_NAME": group, "DROVER_SCOREBOARD_FD": "10"}
    if not env.get("DROVER_PROCESS", "").endswith(proc):
        bad.append("%s (pid %d): environ DROVER_PROCESS=%r" % (n, pid, env.get("DROVER_PROCESS")))
    if n.startswith("probe"):
        want["PROBE_EXTRA"] = "a b,c"
    for k, v in want.items():
        if env.get(k) != v:
            bad.append("%s (pid %d): environ %s=%r, want %r" % (n, pid, k, env.get(k), v))
    if n.startswith("probe"):
        try:
            rep = dict(l.split(" ", 1) for l in open(os.path.join(probedir, str(pid))).read().splitlines())
        except OSError as e:
            bad.append("%s (pid %d): no probe report: %s" % (n, pid, e)); continue
        if rep.get("pdeathsig") in (None, "0"):
            bad.append("%s (pid %d): PR_GET_PDEATHSIG is %s" % (n, pid, rep.get("pdeathsig")))
        if rep.get("sid_is_pid") != "1":
            bad.append("%s (pid %d): not a session leader (setsid)" % (n, pid))
print("\n".join(bad))
EOF2

spawned=0
seen=" "
for round in 1 2 3 4 5 6; do
	if [ "$round" -gt 1 ]; then
		# stop + start rather than restart: restart's own exit status is tested in restart-all.sh
		ctl stop all > "$T/ctl.out" 2>&1 || { cat "$T/ctl.out"; fail "droverctl stop all failed (round $round)"; }
		ctl start all > "$T/ctl.out" 2>&1 || { cat "$T/ctl.out"; fail "droverctl start all failed (round $round)"; }
	fi
	wait_for 15 all_in_state RUNNING "" 20
	# the probe reports are written right after exec
	wait_for 5 eval '[ "$(_st names "$STATUS_JSON" probe | awk "{ print \$2 }" | while read -r p; do [ -e "$T/probe/$p" ] && echo; done | wc -l)" = 10 ]'
	refresh_status
	problems=$("$PY" "$T/check.py" "$NAME" "$T/probe" "$STATUS_JSON")
	inherited=$(echo "$problems" | grep -c '^INHERITED')
	problems=$(echo "$problems" | grep -v '^INHERITED')
	[ "$inherited" = 0 ] || [ -n "${inherit_reported:-}" ] || {
		inherit_reported=1
		error "fd 7, inherited by droverd from its parent without O_CLOEXEC, reached $inherited of 20 workers in round $round (supervisord closes fds 3..minfds in the child)"
	}
	[ -z "$problems" ] || { echo "$problems" | head -n 20; fail "round $round: $(echo "$problems" | wc -l) hygiene problems"; }
	th=$(threads_of "$DAEMON_PID")
	[ "$th" = 2 ] || fail "droverd has $th threads, want 2 (main and spawn thread)"
	for p in $(_st names "$STATUS_JSON" | awk '{ print $2 }'); do
		case $seen in *" $p "*) fail "pid $p seen in two rounds: not restarted?" ;; esac
		seen="$seen$p "
		spawned=$((spawned + 1))
	done
	log "round $round: 20 workers clean (total $spawned spawns)"
done
[ "$spawned" -ge 120 ] || fail "only $spawned spawns checked"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || fail "zombies among droverd's children"
pass
