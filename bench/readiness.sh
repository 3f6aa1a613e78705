#!/bin/sh
# bench/readiness.sh BUILD_DIR quick|full [record] — readiness and health figures (make bench runs it after
# the peers):
#   1. READY=1 -> RUNNING as seen by `droverctl wait`: median (and p90) of 50 starts, for a worker speaking
#      sd_notify (ready = notify) and for one linked with libdrover (ready = scoreboard, drover_ready()).
#      Each worker stamps CLOCK_MONOTONIC just before it reports; the harness stamps it when
#      `droverctl wait RUNNING` returns.
#   2. droverd CPU for 1000 idle workers with health = tcp:... every 10 s (a listener that accepts and
#      closes), next to the same 1000 workers without a health check: CPU seconds per minute of droverd.
# Prints a table and appends it to BUILD_DIR/bench/RESULTS.md (bench/run.sh's report), and with `record` copies
# that report to the tracked bench/RESULTS.md. Runs as root or not; cleans up what it started.
set -u
BUILD=${1:-build}
MODE=${2:-full}
RECORD=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
case $MODE in
full)  STARTS=50; N=1000; WINDOW=60 ;;
quick) STARTS=10; N=200;  WINDOW=10 ;;
*) echo "usage: bench/readiness.sh BUILD_DIR quick|full [record]" >&2; exit 2 ;;
esac
PY=$(command -v python3) || { echo "bench/readiness.sh: python3 missing: skipped" >&2; exit 0; }
[ -x "$BUILD/tests/sb-worker" ] || { echo "bench/readiness.sh: $BUILD/tests/sb-worker missing" >&2; exit 1; }
TMP=$(mktemp -d /tmp/drover-bench-ready.XXXXXX) || exit 1
NAME=bench_ready_$$
PORT=$((30000 + $$ % 20000))
DPID=""; LPID=""
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && sleep 1
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	rm -f /dev/shm/"$NAME".* /dev/shm/sem."$NAME".* 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cat > "$TMP/notify-worker.py" <<'EOF'
import os, socket, sys, time
time.sleep(0.3)
t = time.monotonic_ns()
with open(sys.argv[1], "a") as f:
    f.write("ready %d %d\n" % (os.getpid(), t // 1000))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
time.sleep(600)
EOF
cat > "$TMP/harness.py" <<'EOF'
import statistics, subprocess, sys, time
ctl, name, prog, events, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
unit_us = int(sys.argv[6])           # the worker's stamp unit in microseconds (1 or 1000)
lat = []
for i in range(n):
    subprocess.run([ctl, "-n", name, "start", "--no-wait", prog], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([ctl, "-n", name, "wait", "RUNNING", prog, "--timeout", "10"], check=True, stdout=subprocess.DEVNULL)
    done = time.monotonic_ns() // 1000
    last = open(events).read().split("\n")[-2].split()
    lat.append(done - int(last[2]) * unit_us)
    subprocess.run([ctl, "-n", name, "stop", prog], check=True, stdout=subprocess.DEVNULL)
lat.sort()
print("%.2f %.2f %.2f" % (statistics.median(lat) / 1000, lat[int(len(lat) * 0.9)] / 1000, lat[0] / 1000))
EOF
cat > "$TMP/listener.py" <<'EOF'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()
EOF

daemon() {   # start droverd on $TMP/drover.ini, wait until it answers
	"$BUILD/droverd" -c "$TMP/drover.ini" > "$TMP/droverd.log" 2>&1 &
	DPID=$!
	i=0
	until "$BUILD/droverctl" -n "$NAME" --timeout 2 version > /dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 300 ] || { echo "droverd did not come up" >&2; tail "$TMP/droverd.log" >&2; exit 1; }
		sleep 0.05
	done
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=""; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# ---- 1. READY=1 -> RUNNING ----
cat > "$TMP/drover.ini" <<EOF
[drover]
name = $NAME
log_dir = $TMP/log
run_dir = $TMP/run
[program:notify]
command = $PY $TMP/notify-worker.py $TMP/notify.events
ready = notify
autostart = false
startsecs = 10
stdout_logfile = NONE
[program:scoreboard]
command = $BUILD/tests/sb-worker -r -R 300 -f $TMP/sb.events
ready = scoreboard
autostart = false
startsecs = 10
stdout_logfile = NONE
EOF
daemon
NOTIFY=$("$PY" "$TMP/harness.py" "$BUILD/droverctl" "$NAME" notify "$TMP/notify.events" "$STARTS" 1) || exit 1
SB=$("$PY" "$TMP/harness.py" "$BUILD/droverctl" "$NAME" scoreboard "$TMP/sb.events" "$STARTS" 1000) || exit 1
stop_daemon

# ---- 2. CPU of N idle workers with health = tcp every 10 s ----
"$PY" "$TMP/listener.py" "$PORT" &
LPID=$!
cpu_run() {   # HEALTH_LINE -> droverd CPU seconds per minute over WINDOW
	cat > "$TMP/drover.ini" <<EOF
[drover]
name = $NAME
log_dir = $TMP/log
run_dir = $TMP/run
[program:idle]
command = /bin/sleep 100000
numprocs = $N
process_name = idle_%(process_num)04d
startsecs = 0
stdout_logfile = NONE
stderr_logfile = NONE
$1
EOF
	daemon
	"$BUILD/droverctl" -n "$NAME" wait RUNNING all --timeout 120 > /dev/null || exit 1
	sleep 12    # past the first health_interval: checks are on their steady schedule
	t0=$(cpu_ticks "$DPID"); s0=$(date +%s.%N)
	sleep "$WINDOW"
	t1=$(cpu_ticks "$DPID"); s1=$(date +%s.%N)
	stop_daemon
	awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", t / hz * 60 / (b - a) }'
}
BASE=$(cpu_run "")
HEALTH=$(cpu_run "health = tcp:127.0.0.1:$PORT
health_interval = 10")

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
set -- $NOTIFY; N_MED=$1; N_P90=$2
set -- $SB; S_MED=$1; S_P90=$2
OUT=$(cat <<EOF

### Readiness and health ($MODE, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $LOAD)

| READY -> RUNNING as seen by droverctl wait ($STARTS starts) | median ms | p90 ms |
|---|---|---|
| ready = notify (READY=1 on the worker's NOTIFY_SOCKET) | $N_MED | $N_P90 |
| ready = scoreboard (libdrover drover_ready()) | $S_MED | $S_P90 |

| $N idle workers (sleep) | droverd CPU s per minute |
|---|---|
| no health check | $BASE |
| health = tcp:127.0.0.1:PORT every 10 s | $HEALTH |
EOF
)
echo "$OUT"
mkdir -p "$BUILD/bench"
echo "$OUT" >> "$BUILD/bench/RESULTS.md"
[ "$RECORD" = record ] && cp "$BUILD/bench/RESULTS.md" "$HERE/RESULTS.md"
