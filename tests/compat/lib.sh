# tests/compat/lib.sh — sourced (bash) by the differential tests: the same config under the real
# supervisord 4.2.5 and under droverd, and what each did, side by side. Built on tests/e2e/lib.sh
# (instance, temp dir, droverd, waits, cleanup), which it sources.
#
# A test:   . "$(dirname "$0")/lib.sh"
#           compat_config <<EOF ... [program:x] ... EOF   (one file that both daemons read)
#           sv_start; dr_start; ... compare ...; pass
# The file compat_config writes has a [drover] section (name, log_dir, run_dir, pidfile: supervisord
# ignores it) and supervisord's own boilerplate ([unix_http_server], [supervisord], [rpcinterface:supervisor],
# [supervisorctl]: droverd warns and ignores what it does not use), all in $T. Extra [supervisord]
# keys go in $SV_EXTRA (one section only: a repeated one is not accepted everywhere yet).
#
#   sv_start / sv_stop [SIG]   supervisord in the foreground of a background job; SV_PID, SV_STATUS
#   svctl ARGS...              supervisorctl -c $CONF ARGS...
#   dr_start / dr_stop [SIG]   droverd (start_daemon / stop_daemon of e2e/lib.sh)
#   drctl ARGS...              droverctl for this instance
#   PROBE                      a program for both: records what it sees (see the file probe)
#   probe_out DAEMON FILE      a probe record: $COMPAT_OUT/DAEMON/FILE (DAEMON: supervisord, drover)
#   sv_spawned / dr_spawned    the order each daemon starts processes in: the names of supervisord's
#                              "spawned: 'NAME'" lines; droverd's "spawning: 'NAME'" debug lines (the
#                              order it asks its spawn helpers in: two of them may exec a pair the other
#                              way round; DROVER_DEBUG=1 must be set for droverd)
#   sv_states / dr_states      "NAME STATE" lines from each ctl's status
#   same WHAT A B              error unless the two observations are equal (shows a diff)
#   compat_plain_only          skip in the ASan tree (see below); COMPAT_PLAIN_ONLY=1 before sourcing: at once
# supervisord and its programs are always gone when the test ends (SIGTERM, then SIGKILL).

. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e" && pwd)/lib.sh"

COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SV_DIR=$T/sv
mkdir -p "$SV_DIR"
SV_LOG=$SV_DIR/supervisord.log
SV_PID=
SV_STATUS=
SV_EXTRA=${SV_EXTRA:-}
export COMPAT_OUT=$T/out
mkdir -p "$COMPAT_OUT"
# A copy in $T: readable by any user a test runs programs as (the source tree may not be).
cp "$COMPAT_DIR/probe" "$T/probe" && chmod 0755 "$T/probe"
PROBE="/bin/sh $T/probe"

# compat_plain_only: the comparison is made once, with the plain tree. supervisord's side is the same
# for both trees, and the e2e tests run these code paths of droverd under ASan/UBSan.
compat_plain_only() {
	[ "$DROVER_SANITIZED" = 1 ] && skip "differential test: compared once, with the plain tree (e2e tests cover these paths under ASan)"
	return 0
}

compat_need_supervisord() {
	command -v supervisord > /dev/null 2>&1 && command -v supervisorctl > /dev/null 2>&1 ||
		skip "supervisord is not installed (mk/deps.sh supervisor installs Debian's supervisor)"
	local v
	v=$(supervisord --version 2>/dev/null)
	case $v in 4.*) ;; *) skip "supervisord $v is not the 4.x this suite compares against" ;; esac
}
[ "${COMPAT_PLAIN_ONLY:-0}" = 1 ] && compat_plain_only
compat_need_supervisord

# compat_config [FILE] <<EOF: the config both daemons read (default $CONF).
compat_config() {
	local f=${1:-$CONF}
	{
		# A pidfile of droverd's own: [drover] wins over [supervisord] pidfile, which is supervisord's.
		printf '[drover]\nname = %s\nlog_dir = %s\nrun_dir = %s\npidfile = %s/droverd.pid\n\n' \
			"$NAME" "$LOG_DIR" "$RUN_DIR" "$RUN_DIR"
		printf '[unix_http_server]\nfile = %s/sock\n\n' "$SV_DIR"
		printf '[supervisord]\nlogfile = %s\npidfile = %s/supervisord.pid\nchildlogdir = %s\nnodaemon = true\n' \
			"$SV_LOG" "$SV_DIR" "$SV_DIR"
		[ -n "$SV_EXTRA" ] && printf '%s\n' "$SV_EXTRA"
		printf '\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n'
		printf '[supervisorctl]\nserverurl = unix://%s/sock\n\n' "$SV_DIR"
		cat
	} > "$f"
	chmod 0644 "$f"
}

svctl() { supervisorctl -c "$CONF" "$@"; }
drctl() { ctl "$@"; }

_sv_answers() { [ "$(supervisorctl -c "$CONF" pid 2>/dev/null)" = "$SV_PID" ]; }
sv_start() {
	echo "=== start $(date +%T.%N)" >> "$ART/supervisord.out"
	supervisord -c "$CONF" < /dev/null >> "$ART/supervisord.out" 2>&1 &
	SV_PID=$!
	log "supervisord started: pid $SV_PID"
	local end=$(($(now_ms) + 15000))
	until _sv_answers; do
		proc_alive "$SV_PID" || { cat "$ART/supervisord.out"; fail "supervisord exited before answering"; }
		[ "$(now_ms)" -lt "$end" ] || fail "supervisord does not answer supervisorctl within 15 s"
		sleep 0.05
	done
}
sv_stop() {
	local sig=${1:-TERM}
	kill -s "$sig" "$SV_PID" 2>/dev/null
	wait_for 30 _gone "$SV_PID"
	wait "$SV_PID" 2>/dev/null; SV_STATUS=$?
	log "supervisord $SV_PID exited with status $SV_STATUS after SIG$sig"
}
sv_alive() { [ -n "$SV_PID" ] && proc_alive "$SV_PID"; }
dr_start() { start_daemon "$@"; }
dr_stop() { stop_daemon "$@"; }

probe_out() { cat "$COMPAT_OUT/$1/$2" 2>/dev/null; }
probe_has() { [ -s "$COMPAT_OUT/$1/$2" ]; }

# The order in which a daemon starts its processes (see the list above).
sv_spawned() { sed -n "s/.*spawned: '\([^']*\)' with pid.*/\1/p" "$SV_LOG"; }
dr_spawned() { sed -n "s/.*debug: spawning: '\([^']*\)'.*/\1/p" "$DAEMON_LOG"; }
# "NAME STATE" per process, sorted by name (both print NAME, then STATE, first on each line).
sv_states() { supervisorctl -c "$CONF" status 2>/dev/null | awk 'NF >= 2 { print $1, $2 }' | sort; }
dr_states() { "$DROVERCTL" -n "$NAME" status 2>/dev/null | awk 'NF >= 2 { print $1, $2 }' | sort; }

# same WHAT A B: the two observations must be equal.
same() {
	if [ "$2" != "$3" ]; then
		error "$1 differ (supervisord vs droverd):"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
		return 1
	fi
	log "same $1: $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-200)"
}

_compat_cleanup() {
	local rc=$? p
	if sv_alive; then
		kill -TERM "$SV_PID" 2>/dev/null
		for _ in $(seq 1 100); do proc_alive "$SV_PID" || break; sleep 0.05; done
		proc_alive "$SV_PID" && kill -KILL "$SV_PID" 2>/dev/null
	fi
	# Whatever supervisord started and left (it never outlives a SIGKILL of supervisord's children):
	for p in $(grep -lsz "^SUPERVISOR_SERVER_URL=unix://$SV_DIR/sock\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
		[ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null
	done
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -d "$SV_DIR" ] && cp -r "$SV_DIR" "$ART/supervisord-dir" 2>/dev/null
	(exit "$rc")
	_cleanup
}
trap _compat_cleanup EXIT
