#!/bin/bash
# Found while writing ctl-status-1000: a reply that does not fit in the client's reply
# queue goes to an "outbox" that droverd drains when the client reads. For replies to waiters
# (start/stop/restart/wait) this must work as for status: the client that reads late still gets
# the whole reply, droverd stays up, and the outbox is gone afterwards.
# Deterministic: 1000 processes (not started) with ~230-character names make `wait STOPPED all`
# answer ~250 KB, far more than droverctl's reply queue holds (4 x 4 KiB today). droverd is
# SIGSTOPped while droverctl sends, droverctl is SIGSTOPped once it waits for the reply, then
# droverd resumes: it fills the queue and must keep the rest in an outbox until droverctl resumes.
# Regression: control.c's waiter_answer() -> reply_send() hands the route to an outbox, then
# waiter_free() closed the same descriptor; libev aborted droverd on the next loop iteration
# ("libev: I/O watcher with invalid fd found in epoll_ctl"). The same with `status` (no waiter)
# is checked too.
# timeout: 90
. "$(dirname "$0")/lib.sh"

case $(uname -m) in
x86_64) NR_MQ_TIMEDRECEIVE=243 ;;
aarch64 | riscv64) NR_MQ_TIMEDRECEIVE=180 ;;
*) skip "mq_timedreceive syscall number unknown on $(uname -m)" ;;
esac
N=1000
# process names are at most 127 bytes: the length comes from group:process.
PROG=p$(printf 'n%.0s' $(seq 1 110))
write_config <<EOF
[program:$PROG]
command = /bin/sleep 1000
numprocs = $N
process_name = %(program_name)s_%(process_num)03d
autostart = false
EOF
start_daemon
in_receive() { local s; read -r s _ < "/proc/$1/syscall" 2>/dev/null && [ "$s" = "$NR_MQ_TIMEDRECEIVE" ]; }
counter() { ctl --timeout 2 version 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p"; }
CLIENT=
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; kill -CONT $DAEMON_PID $CLIENT 2>/dev/null; (exit $_rc); _cleanup' EXIT

# late_reader WHAT CMD...: run droverctl CMD with the daemon paused, pause droverctl once it
# waits, resume droverd, check it survives and keeps the rest, resume droverctl.
late_reader() {
	local what=$1 rc; shift
	def0=$(counter replies_deferred)
	kill -STOP "$DAEMON_PID"
	"$DROVERCTL" -n "$NAME" --timeout 20 "$@" > "$T/out" 2> "$T/err" &
	CLIENT=$!
	wait_for 10 in_receive "$CLIENT"
	kill -STOP "$CLIENT"
	kill -CONT "$DAEMON_PID"
	log "$what: droverctl paused while droverd answers"
	# droverd must now hold the rest of the reply and go on serving others.
	stalled() { ! daemon_alive || [ "$(counter outboxes)" = 1 ]; }
	try_for 5 stalled || error "$what: no outbox while droverctl does not read (outboxes=$(counter outboxes))"
	try_for 1 eval '! daemon_alive'
	daemon_alive || fail "$what: droverd died while it held the rest of the reply: $(grep -m1 -i 'assert\|libev' "$DAEMON_LOG")"
	ctl pid > /dev/null || error "$what: droverd does not answer another client while an outbox is pending"
	kill -CONT "$CLIENT"
	wait "$CLIENT"; rc=$?
	CLIENT=
	log "$what: droverctl exit $rc, $(wc -l < "$T/out") lines, $(wc -c < "$T/out") bytes"
	[ "$rc" = "${EXPECT_RC:-0}" ] || error "$what: droverctl exited $rc: $(head -c 300 "$T/err")"
	entries=$(grep -c "^$PROG:${PROG}_[0-9][0-9][0-9]" "$T/out")
	[ "$(head -c 1 "$T/out")" = "[" ] && entries=$(grep -o "\"$PROG:${PROG}_[0-9][0-9][0-9]\"" "$T/out" | wc -l)   # --json
	[ "$entries" = "$N" ] || error "$what: not $N entries in the reply ($entries)"
	daemon_alive || fail "$what: droverd died: $(grep -m1 -i 'assert\|libev' "$DAEMON_LOG")"
	empty() { ctl version 2>/dev/null | grep -q ' outboxes=0 outbox_bytes=0'; }
	wait_for 5 empty
	[ "$(counter replies_deferred)" -gt "$def0" ] || error "$what: the reply was not deferred (replies_deferred $def0 -> $(counter replies_deferred))"
}

# A droverd that was busy (here: stopped) for longer than the outbox timeout while its client
# kept reading must not drop the rest of the reply: the timeout is for a client that takes
# nothing, not for droverd's own stall. Regression: the outbox timer ran once for the whole reply
# and fired first after the stall (a storm of 1000 exits under load blocked the loop for > 5 s),
# so `droverctl start 'storm:*'` waited for a reply that had been dropped.
stalled_daemon() {
	local rc q
	kill -STOP "$DAEMON_PID"
	"$DROVERCTL" -n "$NAME" --timeout 20 status > "$T/out" 2> "$T/err" &
	CLIENT=$!
	wait_for 10 in_receive "$CLIENT"
	kill -STOP "$CLIENT"
	kill -CONT "$DAEMON_PID"
	one_outbox() { [ "$(counter outboxes)" = 1 ]; }
	wait_for 5 one_outbox
	q=$("$HELPERS/worker-mqunlink" -l "$NAME" 2>/dev/null | grep "^$NAME\.reply\.$CLIENT\.")
	[ -n "$q" ] || fail "stall: no reply queue of droverctl $CLIENT"
	kill -STOP "$DAEMON_PID"
	kill -CONT "$CLIENT"
	drained() { "$HELPERS/ctl-mq" attr "/$q" | grep -q ' curmsgs 0$'; }
	wait_for 5 drained
	# The stall itself (not a wait for a state): longer than OUTBOX_TIMEOUT_S (5 s, reply.c).
	sleep 6
	kill -CONT "$DAEMON_PID"
	wait "$CLIENT"; rc=$?
	CLIENT=
	log "stall: droverctl exit $rc, $(wc -l < "$T/out") lines"
	[ "$rc" = 3 ] || error "stall: droverctl exited $rc after droverd's stall: $(head -c 300 "$T/err")"
	[ "$(grep -c "^$PROG:${PROG}_[0-9][0-9][0-9]" "$T/out")" = "$N" ] || error "stall: not $N entries in the reply"
	grep -q "not read within" "$DAEMON_LOG" && error "stall: droverd dropped the reply: $(grep -m1 'not read within' "$DAEMON_LOG")"
}
need_helpers ctl-mq worker-mqunlink
stalled_daemon

EXPECT_RC=3 late_reader "status (no waiter)" status
late_reader "wait STOPPED all (a waiter)" wait STOPPED all --timeout 10
# Every process is STOPPED (autostart = false): each record is "ERROR (not running)", which the
# text leaves out for "all" (as supervisorctl): the JSON document has them all.
late_reader "stop --no-wait all (a waiter)" --timeout 20 --json stop --no-wait all
daemon_alive || fail "droverd died"
pass
