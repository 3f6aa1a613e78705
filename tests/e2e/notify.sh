#!/bin/bash
# sd_notify, captured with our own datagram socket (tests/helpers/notify-sink), not systemd:
#   READY=1 (with STATUS=) once the autostart programs are spawned -> STATUS= updates ->
#   SIGHUP: RELOADING=1 + MONOTONIC_USEC= (CLOCK_MONOTONIC, now) -> READY=1 ->
#   SIGHUP with a broken config: RELOADING=1 -> READY=1, and STATUS= says "reload failed" ->
#   SIGTERM: STOPPING=1;
# WATCHDOG=1 every WATCHDOG_USEC/2 (0.5 s here) all along; every STATUS= is one line of at
# most 256 bytes without a raw control character although the error text quotes a 10 KiB key
# full of control characters and "\nMAINPID=1\nREADY=1" (RELIABILITY T40); no assignment other
# than READY, STATUS, RELOADING, MONOTONIC_USEC, STOPPING, WATCHDOG, ERRNO is ever sent.
# A start with a broken config sends STATUS= + ERRNO= (and no READY=1). Without NOTIFY_SOCKET
# nothing is sent; workers never see NOTIFY_SOCKET / WATCHDOG_USEC.
# timeout: 90
. "$(dirname "$0")/lib.sh"

need_helpers notify-sink
SOCK=$T/notify.sock
NLOG=$T/notify.log
: > "$NLOG"
"$HELPERS/notify-sink" "$SOCK" "$NLOG" &
SINK=$!
wait_for 5 test -S "$SOCK"
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; kill $SINK 2>/dev/null; (exit $_rc); _cleanup' EXIT

write_config <<EOF2
[program:a]
command = /bin/sh -c 'echo "notify=\${NOTIFY_SOCKET:-unset} wd=\${WATCHDOG_USEC:-unset}"; exec sleep 1000'
startsecs = 0

[program:b]
command = /bin/sleep 1000
startsecs = 1
EOF2
cp "$CONF" "$T/good.ini"
has() { grep -q "$1" "$NLOG"; }
count_of() { grep -c " $1\$" "$NLOG"; }

launch_daemon env -u WATCHDOG_PID NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=1000000
wait_daemon_ready
wait_for 5 has ' READY=1$'
wait_for 5 has ' STATUS=2 running'
grep -qx "notify=unset wd=unset" "$LOG_DIR/a-stdout.log" || fail "the worker sees NOTIFY_SOCKET or WATCHDOG_USEC: $(cat "$LOG_DIR/a-stdout.log")"

# A good reload (one program added).
{ cat "$T/good.ini"; printf '\n[program:c]\ncommand = /bin/sleep 1000\nstartsecs = 0\n'; } > "$CONF"
n=$(count_of READY=1)
kill -HUP "$DAEMON_PID"
ready_more() { [ "$(count_of READY=1)" -gt "$1" ]; }
wait_for 5 ready_more "$n"
wait_for 5 has ' STATUS=3 running'

# A broken reload: the error quotes a value full of control characters, an injection attempt
# and 10 KiB of text (a bad value: an unknown key is only a warning, as under supervisord).
long=$(head -c 10240 /dev/zero | tr '\0' x)
{ cat "$T/good.ini"; printf '\n[program:d]\ncommand = /bin/true\nstartsecs = 1\001\033[31m\\nMAINPID=1\\nREADY=1\r%s\n' "$long"; } > "$CONF"
n=$(count_of READY=1)
kill -HUP "$DAEMON_PID"
wait_for 5 ready_more "$n"
wait_for 5 has 'STATUS=.*reload failed'
grep 'reload failed' "$NLOG" | head -n 1 | cut -c1-300
hold_for 1.5 daemon_alive
stop_daemon TERM
[ "$DAEMON_STATUS" = 0 ] || fail "droverd exited $DAEMON_STATUS"
wait_for 2 has ' STOPPING=1$'

"$PY" - "$NLOG" <<'PYEOF' || fail "the notify sequence is wrong (log above)"
import re, sys
dgrams = {}
for line in open(sys.argv[1], encoding="ascii"):
    seq, us, ln, raw, text = line.rstrip("\n").split(" ", 4) + [""] * max(0, 5 - len(line.rstrip("\n").split(" ", 4)))
    d = dgrams.setdefault(int(seq), {"us": int(us), "a": []})
    if int(ln) == 0:
        continue
    d["a"].append((text, int(ln), int(raw)))
ok = True
def bad(msg):
    global ok
    ok = False
    print("BAD:", msg)
allowed = {"READY", "STATUS", "RELOADING", "MONOTONIC_USEC", "STOPPING", "WATCHDOG", "ERRNO"}
tokens, pings = [], []
for seq in sorted(dgrams):
    d = dgrams[seq]
    keys = {}
    for text, ln, raw in d["a"]:
        k, _, v = text.partition("=")
        keys[k] = v
        if k not in allowed:
            bad("datagram %d: unexpected assignment %r" % (seq, text[:80]))
        if raw:
            bad("datagram %d: %d raw control bytes in %r" % (seq, raw, text[:80]))
        if k == "STATUS" and ln > 256:
            bad("datagram %d: STATUS= line of %d bytes" % (seq, ln))
    if set(keys) == {"WATCHDOG"}:
        pings.append(d["us"])
        continue
    if "WATCHDOG" in keys:
        bad("datagram %d: WATCHDOG=1 mixed with %s" % (seq, sorted(keys)))
    if "READY" in keys:
        tokens.append("R")
        if "STATUS" not in keys:
            bad("datagram %d: READY=1 without STATUS=" % seq)
    elif "RELOADING" in keys:
        tokens.append("L")
        mono = int(keys.get("MONOTONIC_USEC", "-1"))
        if abs(mono - d["us"]) > 2000000:
            bad("datagram %d: MONOTONIC_USEC=%d, received at %d" % (seq, mono, d["us"]))
    elif "STOPPING" in keys:
        tokens.append("P")
    elif set(keys) == {"STATUS"}:
        tokens.append("S")
    else:
        bad("datagram %d: unexpected %s" % (seq, sorted(keys)))
    print("%4d %s %s" % (seq, tokens[-1] if tokens else "?", " | ".join(t[:100] for t, _, _ in d["a"])))
seqs = "".join(tokens)
print("sequence:", seqs)
if not re.fullmatch(r"RS*LS*RS*LS*RS*PS*", seqs):
    bad("sequence %s is not READY STATUS* RELOADING STATUS* READY STATUS* RELOADING STATUS* READY STATUS* STOPPING" % seqs)
# the READY that ends the broken reload (or a STATUS before it) carries the error
last_ready = [dgrams[s] for s in sorted(dgrams) if any(t.startswith("READY=") for t, _, _ in dgrams[s]["a"])][-1]
if not any("reload failed" in t for t, _, _ in last_ready["a"]):
    bad("the READY=1 after the broken reload has no 'reload failed' in its STATUS=")
gaps = [(b - a) / 1e6 for a, b in zip(pings, pings[1:])]
span = (pings[-1] - pings[0]) / 1e6 if pings else 0
print("watchdog: %d pings over %.2f s, gaps min %.3f max %.3f s" % (len(pings), span, min(gaps or [0]), max(gaps or [0])))
if len(pings) < 5:
    bad("only %d WATCHDOG=1 pings" % len(pings))
elif min(gaps) < 0.3 or max(gaps) > 0.9:
    bad("WATCHDOG=1 gaps not about 0.5 s (min %.3f, max %.3f)" % (min(gaps), max(gaps)))
sys.exit(0 if ok else 1)
PYEOF

# Startup failure: STATUS= and ERRNO=, no READY=1.
: > "$NLOG"
printf '[drover]\nname = %s\nsubreaper = often\n' "$NAME" > "$T/broken.ini"
env NOTIFY_SOCKET="$SOCK" "$DROVERD" -c "$T/broken.ini" >> "$DAEMON_LOG" 2>&1 && fail "droverd started with a broken config"
wait_for 3 has ' ERRNO='
grep -q ' STATUS=.*subreaper' "$NLOG" || fail "startup failure: STATUS= does not name the error: $(cat "$NLOG")"
grep -q ' READY=1$' "$NLOG" && fail "READY=1 sent by a droverd that failed to start"
cat "$NLOG"

# No NOTIFY_SOCKET: nothing at all (a reload and a stop included).
cp "$T/good.ini" "$CONF"
: > "$NLOG"
launch_daemon env -u NOTIFY_SOCKET WATCHDOG_USEC=1000000
wait_daemon_ready
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: generation 2" "$DAEMON_LOG"
hold_for 1.2 daemon_alive   # two watchdog periods
stop_daemon TERM
[ -s "$NLOG" ] && fail "datagrams sent without NOTIFY_SOCKET: $(head -3 "$NLOG")"
pass
