#!/bin/bash
# Ten thousand workers on one droverd (numprocs = N of a pausing helper, logs NONE): all of them
# RUNNING; `status --json` complete and right (N entries, each RUNNING with a pid of its own whose
# parent is droverd and whose environment names that process); droverd holds at most one descriptor
# per worker plus a constant; SIGKILL of all of them brings all of them back (new pids, RUNNING), with
# no zombie left; SIGTERM: droverd exits 0 and no worker is left.
# Cost: 29 s in the plain tree at load 16-20 on 2 cores (cold start 6 s, all back after SIGKILL
# 18 s, shutdown 3 s), 169 s under ASan (before the cold start was waited with `droverctl wait`).
# That is more than make check can spend on one test in two trees (the suite is held to 10
# minutes), so it runs in the plain tree only: the workers are an uninstrumented static helper, and
# droverd's spawn, reap and status paths run under ASan in the other spawn, reap and ctl tests.
# SCALE_N=N sizes it (and runs it under ASan too).
# Exclusive: it takes N pids and as many descriptors for a while.
# exclusive
# timeout: 400
. "$(dirname "$0")/lib.sh"
[ "$DROVER_SANITIZED" = 1 ] && [ -z "${SCALE_N:-}" ] && skip "run in the plain tree only (see the header); SCALE_N=N runs it here too"
need_helpers worker-pause
N=${SCALE_N:-10000}

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((N + 200)) ] || skip "RLIMIT_NOFILE hard limit $hard: $N workers need $((N + 200))"
pid_max=$(cat /proc/sys/kernel/pid_max)
used=$(ls -d /proc/[0-9]* | wc -l)
[ $((pid_max - used)) -ge $((2 * N + 2000)) ] || skip "pid_max $pid_max with $used processes: no room for 2 x $N more"
ulimit -n "$hard"

write_config <<EOF2
[program:w]
command = $HELPERS/worker-pause
numprocs = $N
process_name = %(program_name)s_%(process_num)05d
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE
EOF2
t0=$(now_ms)
START_TIMEOUT=60 start_daemon
# droverd answers when they all are (no polling of a table of N)
ctl --timeout 300 wait RUNNING 'w:*' > "$T/wait.out" || { tail -n 5 "$T/wait.out"; fail "not all $N RUNNING within 300 s"; }
log "$N workers RUNNING $(fmt_ms $(($(now_ms) - t0)))s after the launch"

# check.py STATUS.json N DAEMON_PID [OLD_PIDS]: print what is wrong (nothing: all right); with OLD_PIDS
# (a file of "name pid" lines), every pid must be new.
cat > "$T/check.py" <<'EOF2'
import json, sys
doc, n, daemon = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
old = dict(l.split() for l in open(sys.argv[4])) if len(sys.argv) > 4 else {}
bad, names, pids = [], set(), set()
for o in doc:
    name, pid = o["name"], o.get("pid")
    names.add(name)
    if o.get("state") != "RUNNING" or not pid:
        bad.append("%s: %s pid %s" % (name, o.get("state"), pid)); continue
    if pid in pids:
        bad.append("%s: pid %d shown twice" % (name, pid))
    pids.add(pid)
    if old and old.get(name) == str(pid):
        bad.append("%s: still pid %d" % (name, pid))
    try:
        st = open("/proc/%d/stat" % pid).read()
        env = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
    except OSError as e:
        bad.append("%s: pid %d: %s" % (name, pid, e)); continue
    rest = st[st.rfind(")") + 2:].split()
    if rest[0] == "Z" or int(rest[1]) != daemon:
        bad.append("%s: pid %d state %s parent %s" % (name, pid, rest[0], rest[1]))
    if ("DROVER_PROCESS=%s" % name).encode() not in env:
        bad.append("%s: pid %d is not its worker" % (name, pid))
if len(doc) != n or len(names) != n:
    bad.append("%d entries, %d names, want %d" % (len(doc), len(names), n))
print("\n".join(bad[:20]))
EOF2
refresh_status || fail "no status"
problems=$("$PY" "$T/check.py" "$STATUS_JSON" "$N" "$DAEMON_PID")
[ -z "$problems" ] || { echo "$problems"; fail "status --json of $N workers is not right"; }
fds=$(fd_count "$DAEMON_PID")
log "droverd holds $fds descriptors for $N workers"
[ "$fds" -le $((N + 64)) ] || fail "droverd holds $fds descriptors for $N unlogged workers (want at most $((N + 64)))"

names_pids w | awk '{ print $1, $2 }' > "$T/before"
t0=$(now_ms)
kill -KILL $(awk '{ print $2 }' "$T/before")
# Polled on the status alone (every pid new and RUNNING), then checked once against /proc: reading
# /proc for N processes at every poll slowed the recovery it measures.
cat > "$T/back.py" <<'EOF2'
import json, sys
old = dict(l.split() for l in open(sys.argv[2]))
doc = json.load(open(sys.argv[1]))
sys.exit(0 if len(doc) == len(old) and all(o.get("state") == "RUNNING" and o.get("pid") and
                                           str(o["pid"]) != old.get(o["name"]) for o in doc) else 1)
EOF2
back() { refresh_status && "$PY" "$T/back.py" "$STATUS_JSON" "$T/before"; }
wait_for 300 back
problems=$("$PY" "$T/check.py" "$STATUS_JSON" "$N" "$DAEMON_PID" "$T/before")
[ -z "$problems" ] || { echo "$problems"; fail "after SIGKILL of all, status --json of $N workers is not right"; }
log "all $N back $(fmt_ms $(($(now_ms) - t0)))s after SIGKILL of all"
wait_for 10 eval '[ "$(count_zombies_of "$DAEMON_PID")" = 0 ]'

t0=$(now_ms)
stop_daemon TERM 120
log "SIGTERM: droverd exited $DAEMON_STATUS after $(fmt_ms $(($(now_ms) - t0)))s"
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
no_workers_left || fail "workers left after the shutdown: $(worker_pids | wc -w)"
pass
