#!/bin/sh
# bench/run.sh BUILD_DIR quick|full [record] — `make bench`: drover side by side with supervisord, runit, s6
# (and daemontools when it can be installed), same worker binary and same scenarios for all of them.
#
#   full:  N = 10, 100, 1000 (all), 5000, 10000 (drover); 30 restarts, 30 status runs (50 for droverctl),
#          10 s idle with /dev/shm churn                                                  (~ 12 minutes)
#   quick: N = 10, 100 (all), 1000 (drover); 10 restarts, 10 status runs, 3 s idle       (~ 1 minute)
#   BENCH_NS / BENCH_DROVER_NS override the lists (e.g. BENCH_DROVER_NS="2000 4000").
#
# Peers are installed when missing (as root, services NOT started: bench/install-peers.sh) and always run by
# hand from a temp dir with generated configs, never as system services.  bench/measure (C) launches each
# supervisor in its own session, measures, and kills and reaps exactly what it started (it is a child
# subreaper, so orphans come back to it).  This script then removes the temp dir and drover's IPC objects, and
# checks that nothing with the temp dir in its command line is left.  Tables go to stdout and to
# BUILD_DIR/bench/RESULTS.md, with the per-event cost curve (BUILD_DIR/bench/cost-curve.tsv, and
# cost-curve.png when gnuplot is there); `record` (make bench RECORD=1) also copies the report and the plot
# into bench/ (RESULTS.md, cost-curve.png), the tracked record.
set -u

BUILD=${1:-build}
MODE=${2:-full}
RECORD=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

case $MODE in
# RBUDGET/SBUDGET: seconds after which a timer-bound peer's restarts / a slow status command stop being
# repeated, once MINREPS samples are in (the table then says n=...).  DNS: sizes only drover is run at (the
# peers' per-service processes and compiled-in limits: daemontools' svscan stops at 1000 services).
# CHURN: objects another process creates and unlinks in /dev/shm during the idle window.
full)  NS="10 100 1000"; DNS="5000 10000"; REPS=30; SREPS=30; DSREPS=50; IDLE=10; RBUDGET=40; SBUDGET=15; MINREPS=10; CHURN=10000 ;;
quick) NS="10 100";      DNS="1000";       REPS=10; SREPS=10; DSREPS=10; IDLE=3;  RBUDGET=3;  SBUDGET=2;  MINREPS=5;  CHURN=3000 ;;
*) echo "usage: bench/run.sh BUILD_DIR quick|full [record]" >&2; exit 2 ;;
esac
NS=${BENCH_NS:-$NS}
DNS=${BENCH_DROVER_NS-$DNS}

sh "$HERE/install-peers.sh"

# A size drover cannot hold within the descriptor limit (one per worker, a few dozen of its own) is left
# out and said so, rather than failing half-way.
NOFILE=$(ulimit -Hn)
fits() { [ "$NOFILE" = unlimited ] || [ "$1" -le $((NOFILE - 100)) ]; }

BIN=$BUILD/bench
mkdir -p "$BIN" || exit 1
# Static when possible: no dynamic loader in the restart path of any supervisor.
cc -O2 -static -o "$BIN/worker" "$HERE/worker.c" 2>/dev/null || cc -O2 -o "$BIN/worker" "$HERE/worker.c" || exit 1
cc -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -o "$BIN/measure" "$HERE/measure.c" -lrt || exit 1
M=$BIN/measure
W=$BIN/worker

TMP=$(mktemp -d /tmp/drover-bench.XXXXXX) || exit 1
chmod 0755 "$TMP"

# Every supervisor (and measure itself) runs as one unprivileged uid, the same for all: nobody needs root to
# supervise, and drover's POSIX queues are then charged to a uid of their own (RLIMIT_MSGQUEUE is 800 KB per
# uid, about 9 queues of 10 x 8 KB, and the other root-run tests on this machine use root's share).  The uid has
# no passwd entry and nothing else runs under it; processes left under it at the end are ours.
RUNAS=""
BENCH_UID=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	BENCH_UID=${BENCH_UID_OVERRIDE:-61234}
	while getent passwd "$BENCH_UID" >/dev/null 2>&1 || pgrep -U "$BENCH_UID" >/dev/null 2>&1; do
		BENCH_UID=$((BENCH_UID + 1))
	done
	chown "$BENCH_UID:$BENCH_UID" "$TMP"
	RUNAS="setpriv --reuid=$BENCH_UID --regid=$BENCH_UID --clear-groups"
fi
export HOME="$TMP"
RES=$TMP/results.tsv
: > "$RES"
INSTANCES=""
SBPID=""

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$SBPID" ] && kill -0 "$SBPID" 2>/dev/null; then
		kill -TERM "$SBPID" 2>/dev/null; sleep 1; kill -KILL "$SBPID" 2>/dev/null
	fi
	for i in $INSTANCES; do "$M" ipc-clean "$i" >/dev/null 2>&1; done
	# keep the supervisors' own logs of this run for a post-mortem
	rm -rf "$BIN/logs" && mkdir -p "$BIN/logs"
	for f in "$TMP"/*/*.log; do
		[ -f "$f" ] && cp "$f" "$BIN/logs/$(basename "$(dirname "$f")")-$(basename "$f")" 2>/dev/null
	done
	for f in "$TMP"/*.txt; do
		[ -f "$f" ] && cp "$f" "$BIN/logs/" 2>/dev/null
	done
	# Anything still running from our temp dir, or under our uid, is ours (both are unique to this run).
	left=$( { pgrep -f "$TMP"; [ -n "$BENCH_UID" ] && pgrep -U "$BENCH_UID"; } 2>/dev/null | sort -u | grep -vx "$$" || true)
	if [ -n "$left" ]; then
		echo "bench: processes left from $TMP: $(echo $left); killing them" >&2
		for p in $left; do kill -KILL "$p" 2>/dev/null; done
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

have() { command -v "$1" >/dev/null 2>&1; }
SYSTEMS=""
if [ -x "$BUILD/droverd" ] && [ -x "$BUILD/droverctl" ]; then SYSTEMS="drover"; else echo "bench: $BUILD/droverd or droverctl missing: drover not measured" >&2; fi
have supervisord && have supervisorctl && SYSTEMS="$SYSTEMS supervisord"
have runsvdir && have sv && SYSTEMS="$SYSTEMS runit"
have s6-svscan && have s6-svstat && SYSTEMS="$SYSTEMS s6"
have svscan && have svstat && SYSTEMS="$SYSTEMS daemontools"
echo "bench: $MODE run, N = $NS, systems:$(echo " $SYSTEMS")" >&2

# ---------- configs ----------
drover_conf() { # DIR NAME N
	mkdir -p "$1/log" "$1/run"
	cat > "$1/drover.ini" <<EOF
[drover]
name = $2
log_dir = $1/log
run_dir = $1/run

[program:w]
command = $W
numprocs = $3
process_name = %(program_name)s_%(process_num)d
startsecs = 1
autorestart = true
stdout_logfile = NONE
stderr_logfile = NONE
EOF
}
supervisord_conf() { # DIR N
	mkdir -p "$1/log"
	cat > "$1/supervisord.conf" <<EOF
[supervisord]
nodaemon = true
$( [ -z "$RUNAS" ] && [ "$(id -u)" -eq 0 ] && echo "user = root" )
logfile = $1/supervisord.log
pidfile = $1/supervisord.pid
childlogdir = $1/log
minfds = 8192
minprocs = 4096

[unix_http_server]
file = $1/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://$1/supervisor.sock

[program:w]
command = $W
numprocs = $2
process_name = %(program_name)s_%(process_num)d
startsecs = 1
autorestart = true
stdout_logfile = NONE
stderr_logfile = NONE
EOF
}
svc_dirs() { # DIR N — one service dir per worker, ./run is the worker itself (no shell in between)
	i=0
	while [ "$i" -lt "$2" ]; do
		mkdir -p "$1/w_$i" && ln -s "$W" "$1/w_$i/run"
		i=$((i + 1))
	done
}

# ---------- measurements ----------
[ -n "$BENCH_UID" ] && chown -R "$BENCH_UID:$BENCH_UID" "$TMP"
$RUNAS "$M" floor 50 "$RES" "$W" 2>/dev/null

run_n() { # N SYSTEMS [extra measure options...]
	n=$1; systems=$2; shift 2
	for s in $systems; do
		d=$TMP/$s-$n
		mkdir -p "$d"
		case $s in
		drover)
			inst=dbench$$n$n
			INSTANCES="$INSTANCES $inst"
			drover_conf "$d" "$inst" "$n"
			set -- "$@" --sys drover --launch "$BUILD/droverd -c $d/drover.ini" --ts "$d/ts" --log "$d/droverd.log" \
				--status "$BUILD/droverctl -n $inst status" --status2 "$BUILD/droverctl -n $inst --json status" \
				--status-reps "$DSREPS" --stop term ;;
		supervisord)
			supervisord_conf "$d" "$n"
			set -- "$@" --sys supervisord --launch "supervisord -n -c $d/supervisord.conf" --ts "$d/ts" \
				--log "$d/out.log" --status "supervisorctl -c $d/supervisord.conf status" --status-reps "$SREPS" ;;
		runit)
			svc_dirs "$d/sv" "$n"
			set -- "$@" --sys runit --launch "runsvdir $d/sv" --ts "$d/ts" --log "$d/out.log" \
				--status "sv status $d/sv/*" --status-reps "$SREPS" ;;
		s6)
			svc_dirs "$d/scan" "$n"
			set -- "$@" --sys s6 --launch "s6-svscan -c $((2 * n + 10)) $d/scan" --ts "$d/ts" --log "$d/out.log" \
				--status "for d in $d/scan/w_*; do s6-svstat \$d; done" --status-reps "$SREPS" ;;
		daemontools)
			svc_dirs "$d/svc" "$n"
			set -- "$@" --sys daemontools --launch "svscan $d/svc" --ts "$d/ts" --log "$d/out.log" \
				--status "svstat $d/svc/*" --status-reps "$SREPS" ;;
		esac
	done
	[ -n "$BENCH_UID" ] && chown -R "$BENCH_UID:$BENCH_UID" "$TMP"
	$RUNAS "$M" run --n "$n" --out "$RES" --dir "$TMP" --idle "$IDLE" --restart-reps "$REPS" \
		--restart-budget "$RBUDGET" --status-budget "$SBUDGET" --min-reps "$MINREPS" --shm-churn "$CHURN" "$@"
	rc=$?
	case " $systems " in *" drover "*)
		left=$("$M" ipc-clean "dbench$$n$n" 2>/dev/null)
		printf 'drover\t%s\tipc_left\t%s\n' "$n" "${left:-?}" >> "$RES" ;;
	esac
	return $rc
}

for n in $NS; do
	run_n "$n" "$SYSTEMS" || echo "bench: N=$n: measure reported a failure (see the Errors section)" >&2
done
DONE_DNS=""
case " $SYSTEMS " in *" drover "*)
	for n in $DNS; do
		if ! fits "$n"; then
			printf 'drover\t%s\terror\tnot run: %s workers need more descriptors than the hard limit (%s)\n' "$n" "$n" "$NOFILE" >> "$RES"
			continue
		fi
		DONE_DNS="$DONE_DNS $n"
		run_n "$n" drover || echo "bench: N=$n: measure reported a failure (see the Errors section)" >&2
	done ;;
esac

# droverctl round trip with 1 process
if case " $SYSTEMS " in *" drover "*) true ;; *) false ;; esac; then
	d=$TMP/drover-1
	mkdir -p "$d"
	inst=dbench$$n1
	INSTANCES="$INSTANCES $inst"
	drover_conf "$d" "$inst" 1
	[ -n "$BENCH_UID" ] && chown -R "$BENCH_UID:$BENCH_UID" "$d"
	$RUNAS "$M" run --n 1 --out "$RES" --dir "$TMP" --idle 0 --no-restart --no-mass \
		--sys drover --launch "$BUILD/droverd -c $d/drover.ini" --ts "$d/ts" --log "$d/droverd.log" \
		--status "$BUILD/droverctl -n $inst status" --status-reps 50 --stop term
	left=$("$M" ipc-clean "$inst" 2>/dev/null)
	printf 'drover\t1\tipc_left\t%s\n' "${left:-?}" >> "$RES"
fi

# scoreboard update micro-benchmark (issue 3/4): only once lib/drover.h exists.  bench/sb-update.c builds the
# scoreboard objects itself (a sealed memfd per worker, as droverd does) and times drover_status + drover_count through the real
# libdrover in forked, CPU-pinned workers; it prints "sb-update CASE: N ns/update" lines.
if [ ! -f "$REPO/lib/drover.h" ]; then
	echo "scoreboard bench: not available yet" >&2
	printf 'sb\t1\tnote\tnot available yet (lib/drover.h absent)\n' >> "$RES"
elif ! cc -std=gnu11 -D_GNU_SOURCE -O2 -I"$REPO" -I"$REPO/lib" -o "$BIN/sb-update" "$HERE/sb-update.c" \
		"$BUILD/libdrover.a" "$BUILD/libcommon.a" -lrt -lpthread 2>"$TMP/sb-cc.log"; then
	echo "scoreboard bench: does not build yet:" >&2; grep -m5 error "$TMP/sb-cc.log" >&2
	printf 'sb\t1\tnote\tbench/sb-update.c does not build yet against lib/ (see its compiler errors)\n' >> "$RES"
else
	$RUNAS "$BIN/sb-update" 2000000 > "$TMP/sb.out" 2> "$TMP/sb.err" &
	SBPID=$!
	i=0
	while kill -0 "$SBPID" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$SBPID" 2>/dev/null
	wait "$SBPID" 2>/dev/null
	"$M" ipc-clean "bench$SBPID" >/dev/null 2>&1
	SBPID=""
	if grep -q 'ns/update' "$TMP/sb.out"; then
		sed -n 's|^sb-update \(.*\): \([0-9.]*\) ns/update$|sb\t1\tcase:\1\t\2|p' "$TMP/sb.out" >> "$RES"
	else
		echo "scoreboard bench: no result:" >&2; tail -3 "$TMP/sb.err" >&2
		printf 'sb\t1\tnote\tsb-update ran but printed no result: %s\n' "$(tail -1 "$TMP/sb.err")" >> "$RES"
	fi
fi

END=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------- report ----------
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
memkb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
vers=$(dpkg-query -W -f '${Package} ${Version}, ' supervisor runit s6 daemontools 2>/dev/null | sed 's/, $//')
rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$REPO" status --porcelain 2>/dev/null | grep -q . && echo " + uncommitted work in the tree" || true)

report() {
	cat <<EOF
# drover — \`make bench\` results

Run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`$MODE\` mode, $((END - START)) s in all; drover at $rev$dirty.
Machine: $(nproc) CPUs ($model), $((memkb / 1024)) MB RAM, kernel $(uname -r), $(. /etc/os-release 2>/dev/null; echo "$PRETTY_NAME");
load average $LOAD0 at the start, $LOAD1 at the end (the machine is shared: other work ran meanwhile).
Peers: $vers.

Columns: each system's figure, and after each peer the ratio peer/drover (above 1× = drover is better for
times, memory and idle cost). Lower is better everywhere.

- One run, on a shared and noisy 2-core virtual machine: read ratios, not absolute values, and expect
  ±20 % between runs on the small figures (status and restart of the fast systems, cold start of 10).
- **median / p90**: of $REPS restarts and $SREPS status runs ($DSREPS for \`droverctl\`), except where "(n=…)" says
  fewer were taken to keep the whole run inside its time budget. p90 is the nearest-rank 90th percentile: 9 in 10
  samples were at most that.
- **restart**: SIGKILL of the oldest worker (it has run more than 2 s, so no peer's "died too soon" back-off
  applies) → the CLOCK_MONOTONIC timestamp its replacement took first thing in main(). The first sample of
  every system is taken alone; systems whose restart is timer-bound (first sample over 100 ms: supervisord's
  1 s poll, s6-supervise's 1 s restart throttle) then finish side by side, marked †: their latency is set by
  their timers, not by the CPU. drover, runit and daemontools are always measured alone.
- **cold start**: supervisor launched → the last of the N workers' first timestamps. **mass crash**: SIGKILL
  to all N at once (all older than 2 s) → the last replacement's timestamp; zombies are counted among all
  processes under the supervisor 100 ms later.
- **status**: the peer's own status command over all N, as a whole process (fork+exec+exit included):
  \`droverctl -n NAME status\`, \`supervisorctl -c CONF status\`, \`sv status DIR/*\`, \`svstat DIR/*\` (the glob
  expanded once by the harness, as a shell would), and for s6 one \`sh\` running \`s6-svstat\` per service.
- **footprint**: Rss and Pss from /proc/PID/smaps_rollup, summed over the supervisor side: droverd;
  supervisord's python process; runsvdir + one runsv per worker; s6-svscan + one s6-supervise per worker;
  svscan + one supervise per worker. Rss counts shared pages once per process; Pss shares them out.
- **idle**: ${IDLE} s with every worker older than 2 s and nothing else asked of the supervisors (all systems
  idle over the same window): utime+stime from /proc/PID/stat (10 ms ticks), run time from /proc/PID/schedstat
  (ns), voluntary+nonvoluntary context switches from /proc/PID/status, summed over the supervisor side.
- Same worker binary everywhere (bench/worker.c, static): it appends "pid ns" to a file named by \$BENCH_TS
  and pause()s. runit, s6 and daemontools run it directly as the service's ./run (a symlink, no shell in
  between); supervisord and drover exec it directly too. Nobody logs worker output (NONE / no log service).
- Each supervisor is started by hand from a temp dir with a generated config; none runs as a system service.
  All of them, and the measuring tool, run as the same unprivileged uid${BENCH_UID:+ ($BENCH_UID)}.
- Every figure of every system comes from this one run; the systems' restart and status samples are taken in
  turn (one sample of each, round robin) so that the noise of the shared machine falls on all of them alike.
EOF
	awk -F '\t' -v systems="$SYSTEMS" -v ns="$NS $DONE_DNS" -v idle="$IDLE" -v reps="$REPS" -v sreps="$SREPS" \
		-v dsreps="$DSREPS" -v floorreps=50 -v churn="$CHURN" -v plot="$PLOT" -v curve="$CURVE" \
		-f "$HERE/report.awk" "$RES"
	if [ -f "$HERE/analysis.md" ]; then
		echo
		cat "$HERE/analysis.md"
	fi
}
# The per-event cost curve: restart median, and mass crash and cold start per worker, against N.
CURVE=$BIN/cost-curve.tsv
awk -F '\t' -v systems="$SYSTEMS" -f "$HERE/curve.awk" "$RES" > "$CURVE"
PLOT=""
if command -v gnuplot > /dev/null 2>&1 &&
		gnuplot -e "datafile='$CURVE'; outfile='$BIN/cost-curve.png'" "$HERE/curve.gp" 2> "$TMP/gnuplot.err"; then
	PLOT=cost-curve.png
else
	echo "bench: no plot: $(tail -n 1 "$TMP/gnuplot.err" 2>/dev/null || echo 'gnuplot missing')" >&2
fi

report > "$BIN/RESULTS.md"
cat "$BIN/RESULTS.md"
cp "$RES" "$BIN/results.tsv"
if [ "$RECORD" = record ]; then
	cp "$BIN/RESULTS.md" "$HERE/RESULTS.md.new" && mv -f "$HERE/RESULTS.md.new" "$HERE/RESULTS.md"
	[ -n "$PLOT" ] && cp "$BIN/$PLOT" "$HERE/$PLOT"
	echo "bench: $((END - START)) s; recorded in bench/RESULTS.md${PLOT:+ and bench/$PLOT}; raw figures in $BIN/results.tsv" >&2
else
	echo "bench: $((END - START)) s; tables in $BIN/RESULTS.md (make bench RECORD=1 records them in bench/), raw figures in $BIN/results.tsv" >&2
fi
