# tests/e2e/lib.sh — sourced (bash) by every e2e and fault test: instance, temp dir, daemon, waits, cleanup.
#
# A test:   . "$(dirname "$0")/lib.sh"; write_config <<EOF ... EOF; start_daemon; wait_for 5 all_in_state RUNNING; pass
# Env in:   DROVER_BUILD (build tree, absolute), DROVER_TEST_ARTIFACTS (dir kept after the test: daemon logs),
#           DROVER_TEST_MARK (marker the runner sweeps processes by), DROVER_SANITIZED (1 under ASan/UBSan).
# Rules:    wait on observable state with wait_for (deadline, 20-50 ms polls), never a bare sleep;
#           exit 0 pass, 1 fail, 77 skip (with the reason printed).
set -u
umask 022
# Close descriptors inherited from whoever started the suite (CI harnesses, terminals leak some), so
# that what a worker holds comes from droverd alone. 255 is bash's own (close-on-exec) script fd.
for _fd in /proc/$$/fd/*; do
	_fd=${_fd##*/}
	[ "$_fd" -gt 2 ] && [ "$_fd" != 255 ] && eval "exec $_fd>&-" 2>/dev/null
done
unset _fd
# RLIMIT_MSGQUEUE (800 KiB per uid by default) holds only ~9 queues of 10 x 8 KiB: droverd's control
# queue plus one reply queue per running droverctl, summed over every test running in parallel (and
# anything else root runs). Raise it for the suite so that parallel tests do not starve each other.
ulimit -q unlimited 2>/dev/null || true

TEST_NAME=$(basename "$0" .sh)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$E2E_DIR/../.." && pwd)
: "${DROVER_BUILD:=$SRC_DIR/build}"
DROVER_BUILD=$(cd "$DROVER_BUILD" 2>/dev/null && pwd) || { echo "FAIL: no build dir ${DROVER_BUILD}"; exit 1; }
DROVERD=$DROVER_BUILD/droverd
DROVERCTL=$DROVER_BUILD/droverctl
HELPERS=$DROVER_BUILD/tests
DROVER_SANITIZED=${DROVER_SANITIZED:-0}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
LIBPY=$E2E_DIR/lib.py

# Instance name: t<pid>_<test>, [A-Za-z0-9_-], at most 32 characters.
NAME=$(printf 't%s_%s' "$$" "$TEST_NAME" | tr -c 'A-Za-z0-9_-' '_' | cut -c1-32)
T=$(mktemp -d /tmp/drover-e2e.XXXXXX) || { echo "FAIL: mktemp"; exit 1; }
CONF=$T/drover.ini
LOG_DIR=$T/log
RUN_DIR=$T/run
mkdir -p "$LOG_DIR" "$RUN_DIR"
ART=${DROVER_TEST_ARTIFACTS:-$T/artifacts}
mkdir -p "$ART"
echo "$NAME" > "$ART/instance-name"
export DROVER_TEST_MARK=${DROVER_TEST_MARK:-$NAME}
DAEMON_LOG=$ART/droverd.log
DAEMON_PID=
DAEMON_PIDS=()
DAEMON_STATUS=
STATUS_JSON=$T/status.json
_T0=${EPOCHREALTIME/./}

# --- time and messages -------------------------------------------------------------------------

now_us() { echo "${EPOCHREALTIME/./}"; }
now_ms() { local u=${EPOCHREALTIME/./}; echo $((u / 1000)); }
# "2.5" -> 2500
to_ms() {
	local s=$1 i f
	i=${s%%.*}; f=0
	[ "$i" != "$s" ] && { f=${s#*.}000; f=${f:0:3}; }
	echo $((10#${i:-0} * 1000 + 10#$f))
}
# Milliseconds as seconds with 3 decimals.
fmt_ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
log() {
	local u=${EPOCHREALTIME/./}
	printf '[%s] %s\n' "$(fmt_ms $(((u - _T0) / 1000)))" "$*"
}
fail() {
	_dump_context
	log "FAIL: $*"
	exit 1
}
skip() {
	log "SKIP: $*"
	exit 77
}
# error MSG: record a failure and go on checking; pass then fails with all of them.
ERRORS=()
error() {
	log "ERROR: $*"
	ERRORS+=("$*")
}
pass() {
	local e
	if [ ${#ERRORS[@]} -gt 0 ]; then
		_dump_context
		for e in "${ERRORS[@]}"; do log "FAIL: $e"; done
		exit 1
	fi
	log "PASS"
	exit 0
}
_dump_context() {
	[ -n "$DAEMON_PID" ] && proc_alive "$DAEMON_PID" || return 0
	echo "--- droverctl status (at failure; first 20 lines)"
	timeout 5 "${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" status 2>&1 | head -n 20
	echo "---"
}

# --- preconditions -----------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || skip "e2e tests need root (workers switch users, PID namespaces, /proc of every process)"
[ -x "$DROVERD" ] || fail "$DROVERD not built"
[ -x "$DROVERCTL" ] || fail "$DROVERCTL not built"
command -v "$PY" >/dev/null 2>&1 || skip "python3 missing (mk/deps.sh tools installs it)"

# Helper programs from tests/helpers/, built into $DROVER_BUILD/tests/ (make check-build).
WSLEEP=$HELPERS/worker-sleep
WPROBE=$HELPERS/worker-probe
# need_helpers NAME...: fail unless each is built.
need_helpers() {
	local h
	for h in "$@"; do
		[ -x "$HELPERS/$h" ] || fail "helper $HELPERS/$h not built (make BUILD=... check-build)"
	done
}

# --- config ------------------------------------------------------------------------------------

# write_config [FILE] <<EOF ... EOF: a [drover] section for this instance, then stdin.
# The file is replaced whole (written aside, then renamed): a reload never reads half of it.
write_config() {
	local f=${1:-$CONF}
	{
		printf '[drover]\nname = %s\nlog_dir = %s\nrun_dir = %s\n\n' "$NAME" "$LOG_DIR" "$RUN_DIR"
		cat
	} > "$f.new.$$"
	chmod 0644 "$f.new.$$"
	mv -f "$f.new.$$" "$f"
}

# --- waiting -----------------------------------------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 30 ms until it succeeds; fail the test at the deadline.
wait_for() {
	local limit=$1; shift
	try_for "$limit" "$@" || fail "timed out after ${limit}s waiting for: $*"
}
# try_for SECONDS CMD...: like wait_for, but returns 1 at the deadline.
try_for() {
	local end=$(($(now_ms) + $(to_ms "$1"))); shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.03
	done
}
# hold_for SECONDS CMD...: CMD must stay true for SECONDS (an observation window, not a synchronisation).
hold_for() {
	local limit=$1 end=$(($(now_ms) + $(to_ms "$1"))); shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" || fail "condition broke within ${limit}s: $*"
		sleep 0.05
	done
	"$@" || fail "condition broke within ${limit}s: $*"
}

# --- the daemon --------------------------------------------------------------------------------

# CTL_PREFIX: a command droverctl runs under (e.g. nsenter into droverd's PID namespace).
CTL_PREFIX=()
# ctl ARGS...: droverctl for this instance. When it cannot even create its reply queue because the
# uid's message queue budget is exhausted (EMFILE: the request was never sent), it is retried, logged.
ctl() {
	local rc end=$(($(now_ms) + 5000))
	while :; do
		"${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" "$@" 2> "$T/ctl.err"; rc=$?
		[ "$rc" = 4 ] && grep -q "Too many open files" "$T/ctl.err" && [ "$(now_ms)" -lt "$end" ] || break
		log "droverctl $*: $(head -c 200 "$T/ctl.err") (retrying)" >&2
		sleep 0.05
	done
	cat "$T/ctl.err" >&2
	return "$rc"
}

_ctl_answers() { "${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" --timeout 2 version >/dev/null 2>&1; }

# start_daemon [WRAPPER...]: droverd -c $CONF in the background (optionally under a wrapper command
# such as `unshare ...`), stderr to $DAEMON_LOG; waits until `droverctl version` answers.
start_daemon() {
	local end=$(($(now_ms) + 15000))
	launch_daemon "$@"
	# While the uid's message queue budget is exhausted (by other tests or anything else root runs),
	# droverd cannot create its control queue and exits 1: retry that, logged, for up to 15 s.
	while ! wait_daemon_ready retry; do
		[ "$(now_ms)" -lt "$end" ] || fail "droverd cannot create its control queue (RLIMIT_MSGQUEUE exhausted) for 15s"
		log "droverd could not create its control queue: $(tail -n 1 "$DAEMON_LOG"); retrying"
		sleep 0.2
		launch_daemon "$@"
	done
}
# launch_daemon [WRAPPER...]: start_daemon without the wait.
launch_daemon() {
	echo "=== start $(date +%T.%N) ${*:+(under $*)}" >> "$DAEMON_LOG"
	"$@" "$DROVERD" -c "$CONF" < /dev/null >> "$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
	log "droverd started: pid $DAEMON_PID, instance $NAME"
}
# wait_daemon_ready [retry]: until droverctl gets an answer (START_TIMEOUT s), failing early if droverd
# exits (with "retry": returns 1 instead when it exited for want of message queue budget).
START_TIMEOUT=${START_TIMEOUT:-10}
wait_daemon_ready() {
	local end=$(($(now_ms) + START_TIMEOUT * 1000))
	until _ctl_answers; do
		if ! proc_alive "$DAEMON_PID"; then
			wait "$DAEMON_PID"; DAEMON_STATUS=$?
			[ "${1:-}" = retry ] && [ "$DAEMON_STATUS" = 1 ] &&
				tail -n 1 "$DAEMON_LOG" | grep -q "control queue.*Too many open files" && return 1
			tail -n 20 "$DAEMON_LOG"
			fail "droverd exited with status $DAEMON_STATUS before answering"
		fi
		[ "$(now_ms)" -ge "$end" ] && { tail -n 20 "$DAEMON_LOG"; fail "droverd does not answer droverctl within ${START_TIMEOUT}s"; }
		sleep 0.02
	done
}

# stop_daemon [SIGNAL] [SECONDS]: signal droverd (default TERM), wait for its exit, set DAEMON_STATUS.
stop_daemon() {
	local sig=${1:-TERM} limit=${2:-15}
	kill -s "$sig" "$DAEMON_PID" 2>/dev/null
	wait_for "$limit" _gone "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null; DAEMON_STATUS=$?
	log "droverd $DAEMON_PID exited with status $DAEMON_STATUS after SIG$sig"
}
_gone() { ! proc_alive "$1"; }

daemon_alive() { proc_alive "$DAEMON_PID"; }

# --- status (droverctl status --json) -----------------------------------------------------------

# refresh_status: fetch the status document into $STATUS_JSON; returns 1 when there is none.
# A read-only query is retried (logged) for up to 5 s while the uid's POSIX message queue budget
# (RLIMIT_MSGQUEUE, shared with every other test and droverctl of root) is exhausted: EMFILE.
refresh_status() {
	local rc end=$(($(now_ms) + 5000))
	# (logs go to stderr: callers run this inside $(...))
	while :; do
		"${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" --json status > "$STATUS_JSON.new" 2> "$T/status.err"
		rc=$?
		[ "$rc" = 4 ] && grep -q "Too many open files" "$T/status.err" && [ "$(now_ms)" -lt "$end" ] || break
		log "droverctl status: $(head -c 200 "$T/status.err") (retrying)" >&2
		sleep 0.05
	done
	# 0: all RUNNING, 3: some are not: both carry the document.
	if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
		log "droverctl --json status exited $rc: $(head -c 300 "$T/status.err")" >&2
		rm -f "$STATUS_JSON"
		return 1
	fi
	mv "$STATUS_JSON.new" "$STATUS_JSON"
}
_st() { "$PY" "$LIBPY" "$@"; }
# state_of PROC / pid_of PROC / field_of PROC FIELD: from a fresh status.
state_of() { refresh_status && _st get "$STATUS_JSON" "$1" state; }
pid_of() { refresh_status && _st get "$STATUS_JSON" "$1" pid; }
field_of() { refresh_status && _st get "$STATUS_JSON" "$1" "$2"; }
# The same on the last fetched document (no new request).
last_field() { _st get "$STATUS_JSON" "$1" "$2"; }
proc_json() { _st obj "$STATUS_JSON" "$1"; }
# is_state PROC STATE
is_state() { [ "$(state_of "$1")" = "$2" ]; }
# all_in_state STATE [PREFIX [MIN]]: every process (whose name starts with PREFIX) is in STATE.
all_in_state() { refresh_status && _st all "$STATUS_JSON" "$@"; }
# count_in_state STATE [PREFIX]
count_in_state() { refresh_status && _st count "$STATUS_JSON" "$@"; }
# names_pids [PREFIX]: "name pid state" lines.
names_pids() { refresh_status && _st names "$STATUS_JSON" "${1:-}"; }

# --- ports -------------------------------------------------------------------------------------

# free_ports N: N loopback TCP ports the kernel says are free now (tests run in parallel: a port
# derived from $$ collides with a neighbour's).
free_ports() { "$PY" -c 'import socket,sys
ss=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"; }

# --- /proc -------------------------------------------------------------------------------------

# proc_alive PID: exists and is not a zombie.
proc_alive() {
	local s
	{ read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}
proc_state() {
	local s
	{ read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	echo "${s%% *}"
}
count_zombies_of() { _st zombies "$1"; }
children_of() { _st children "$1"; }
fd_count() { local a=(/proc/"$1"/fd/*); [ -e "${a[0]}" ] && echo ${#a[@]} || echo 0; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
# status_field PID FIELD: a line of /proc/PID/status ("SigBlk" -> 0000000000000000).
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# worker_pids: every process whose environment says it belongs to this instance.
worker_pids() { _st envpids "DROVER_NAME=$NAME"; }
no_workers_left() { [ -z "$(worker_pids)" ]; }

# --- cleanup -----------------------------------------------------------------------------------

# Remove every IPC object of instance $1.
cleanup_ipc() {
	rm -f /dev/shm/"$1".* /dev/shm/sem."$1".* 2>/dev/null
	if [ -x "$HELPERS/worker-mqunlink" ]; then
		"$HELPERS/worker-mqunlink" "$1" 2>/dev/null
	else
		"$PY" -c 'import ctypes,sys; ctypes.CDLL("librt.so.1").mq_unlink(sys.argv[1].encode())' "/$1.ctl" 2>/dev/null
	fi
	return 0
}
# ipc_objects NAME: list what is left of instance NAME (shm files, semaphores, queues).
ipc_objects() {
	ls /dev/shm 2>/dev/null | grep -E "^(sem\.)?$1\." | sed 's|^|/dev/shm/|'
	[ -x "$HELPERS/worker-mqunlink" ] && "$HELPERS/worker-mqunlink" -l "$1" 2>/dev/null | sed 's|^|mq /|'
	return 0
}

_cleanup() {
	local rc=$? pid end pids
	trap - EXIT TERM INT HUP
	for pid in "${DAEMON_PIDS[@]}"; do
		proc_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	end=$(($(now_ms) + 5000))
	for pid in "${DAEMON_PIDS[@]}"; do
		while proc_alive "$pid" && [ "$(now_ms)" -lt "$end" ]; do sleep 0.03; done
		proc_alive "$pid" && { echo "cleanup: droverd $pid still alive after SIGTERM + 5s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
	done
	pids=$("$PY" "$LIBPY" envpids "DROVER_NAME=$NAME" 2>/dev/null)
	[ -n "$pids" ] && { echo "cleanup: killing leftover workers:" $pids; kill -KILL $pids 2>/dev/null; }
	cleanup_ipc "$NAME"
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -d "$LOG_DIR" ]; then
		cp -r "$LOG_DIR" "$ART/worker-logs" 2>/dev/null
	fi
	rm -rf "$T"
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

log "test $TEST_NAME: instance $NAME, dir $T, build $DROVER_BUILD"
