#!/bin/bash
# droverctl SIGKILLed mid-request 100 times. Most are killed while blocked in
# mq_timedreceive() waiting for the answer to `wait STOPPED x` (a request the daemon holds as a
# "waiter" with an open descriptor on the reply queue); every 4th round is killed right after
# the exec instead, anywhere in start-up, queue creation or send. droverd is unaffected: x keeps
# its pid, `status` answers, the waiter of a killed client goes at once (not at its deadline),
# no outbox is left, and droverd's descriptor count returns to what it was.
#
# Reply queues: a SIGKILLed droverctl cannot run any handler, so the queue it created stays
# behind (a POSIX queue outlives its creator). droverd removes the queue of a client that died
# while it waited for an answer; the test asserts that, and removes itself, round by round, the
# queues of clients killed before their request got in (they are charged to root's
# RLIMIT_MSGQUEUE that every test shares). Normal exits (exit 0, 1, 2, 3, 4) and SIGINT (Ctrl-C),
# SIGTERM and SIGHUP must leave no /NAME.reply.* queue at all.
# Queues are listed by worker-mqunlink -l (mqueue fs mounted in a private mount namespace).
# timeout: 90
. "$(dirname "$0")/lib.sh"

need_helpers worker-sleep worker-mqunlink ctl-mq
case $(uname -m) in
x86_64) NR_MQ_TIMEDRECEIVE=243 ;;
aarch64 | riscv64) NR_MQ_TIMEDRECEIVE=180 ;;
*) skip "mq_timedreceive syscall number unknown on $(uname -m)" ;;
esac
MQ=$HELPERS/ctl-mq
KILLS=100
BATCH=5
WAIT_S=60         # the waiters' deadline: never reached, a killed client's waiter goes at once
write_config <<EOF
[program:x]
command = $WSLEEP
startsecs = 0

[program:y]
command = /bin/sleep 1000
numprocs = 3
process_name = y_%(process_num)d
startsecs = 0
EOF
start_daemon
wait_for 10 all_in_state RUNNING "" 4
names_pids > "$T/before"
fd0=$(fd_count "$DAEMON_PID")
rcv0=$(ctl version | tr ' ' '\n' | sed -n 's/^received=//p')

# reply_queues: the names of this instance's reply queues, one a line.
reply_queues() {
	"$HELPERS/worker-mqunlink" -l "$NAME" > "$T/mq.list" 2> "$T/mq.err" || fail "cannot list queues: $(cat "$T/mq.err")"
	grep "^$NAME\.reply\." "$T/mq.list"
	return 0
}
# in_receive PID: PID is blocked in mq_timedreceive (sent its request, waits for the answer).
in_receive() { local s; read -r s _ < "/proc/$1/syscall" 2>/dev/null && [ "$s" = "$NR_MQ_TIMEDRECEIVE" ]; }
idle() {
	ctl version > "$T/version" 2> /dev/null && grep -q " waiters=0 outboxes=0 outbox_bytes=0" "$T/version"
}

[ -z "$(reply_queues)" ] || fail "reply queues before the test: $(reply_queues | tr '\n' ' ')"
# The listing sees a queue that is there (so that "none left" below means something).
"$MQ" create "/$NAME.reply.1.0123abcd" 600 || fail "cannot create a probe queue"
reply_queues | grep -qx "$NAME.reply.1.0123abcd" || fail "the queue listing does not show a queue that exists"
"$MQ" unlink "/$NAME.reply.1.0123abcd"

killed=0 blocked_kills=0 leaked=0 round=0
log "SIGKILL $KILLS droverctl mid-request, $BATCH at a time"
while [ "$killed" -lt "$KILLS" ]; do
	round=$((round + 1))
	pids=()
	for ((i = 0; i < BATCH; i++)); do
		"$DROVERCTL" -n "$NAME" --timeout 5 wait STOPPED x --timeout "$WAIT_S" > /dev/null 2>&1 &
		pids+=($!)
	done
	early=0
	if [ $((round % 4)) = 0 ]; then
		early=1   # kill at once: somewhere between exec and the send
	else
		all_blocked() { local p; for p in "${pids[@]}"; do in_receive "$p" || return 1; done; }
		try_for 5 all_blocked || log "round $round: not all clients blocked in mq_timedreceive"
	fi
	nb=0 blocked=()
	for p in "${pids[@]}"; do in_receive "$p" && { nb=$((nb + 1)); blocked+=("$p"); }; done
	kill -KILL "${pids[@]}" 2>/dev/null
	for p in "${pids[@]}"; do
		{ wait "$p"; } 2>/dev/null; rc=$?
		# 137: killed; a client that was not killed in time ran its own course (exit 1: wait timed out)
		[ "$rc" = 137 ] && killed=$((killed + 1))
	done
	[ "$early" = 0 ] && blocked_kills=$((blocked_kills + nb))
	# Every killed client's waiter goes at once, and with it the queue of one that waited.
	wait_for 10 idle
	# The killed clients' queues: name /NAME.reply.PID.RANDOM.
	reply_queues > "$T/round.list"
	left=()
	for p in "${pids[@]}"; do
		q=$(grep "^$NAME\.reply\.$p\." "$T/round.list")
		[ -n "$q" ] && left+=("/$q")
	done
	for p in ${blocked[@]+"${blocked[@]}"}; do
		grep -q "^$NAME\.reply\.$p\." "$T/round.list" &&
			error "round $round: the reply queue of client $p, killed while it waited for its answer, is left behind"
	done
	leaked=$((leaked + ${#left[@]}))
	[ "${#left[@]}" -gt 0 ] && { "$MQ" unlink "${left[@]}" || error "cannot remove leaked queues ${left[*]}"; }
	# Queues of other pids than the killed ones must not exist.
	extra=$(grep -v -E "^$NAME\.reply\.($(IFS='|'; echo "${pids[*]}"))\." "$T/round.list")
	[ -z "$extra" ] || error "round $round: unexpected reply queues: $extra"
	daemon_alive || fail "droverd died in round $round"
done
log "$killed SIGKILLs in $round rounds; $blocked_kills while waiting for the reply; $leaked reply queues of clients killed earlier left behind (and removed)"
[ "$blocked_kills" -ge $((KILLS / 2)) ] || error "only $blocked_kills kills landed while droverctl waited for its reply"

wait_for 5 idle
cat "$T/version"
rcv1=$(tr ' ' '\n' < "$T/version" | sed -n 's/^received=//p')
[ $((rcv1 - rcv0)) -ge "$blocked_kills" ] || error "droverd received $((rcv1 - rcv0)) requests, $blocked_kills clients were killed waiting for a reply"
ctl status > "$T/status.out" 2>&1; rc=$?
[ "$rc" = 0 ] || error "status after the kills exited $rc: $(cat "$T/status.out")"
names_pids > "$T/after"
diff "$T/before" "$T/after" > /dev/null || error "workers changed: $(tr '\n' ' ' < "$T/before") -> $(tr '\n' ' ' < "$T/after")"
fds_back() { [ "$(fd_count "$DAEMON_PID")" -le "$fd0" ]; }
try_for 3 fds_back || error "droverd's descriptors: $fd0 before, $(fd_count "$DAEMON_PID") after the kills"
[ -z "$(reply_queues)" ] || error "reply queues left after cleanup: $(reply_queues | tr '\n' ' ')"

# --- normal exits: every exit status, no queue left -----------------------------------------
log "normal exits leave no reply queue"
for i in 1 2 3 4; do
	ctl status > /dev/null 2>&1                                  # 0
	ctl status nope > /dev/null 2>&1                             # 1
	ctl stop nope > /dev/null 2>&1                               # 1
	ctl wait STOPPED x --timeout 0.1 > /dev/null 2>&1            # 1 (timed out)
	ctl --json pid x > /dev/null 2>&1                            # 0
	ctl version > /dev/null 2>&1                                 # 0
	ctl signal BOGUS x > /dev/null 2>&1                          # 2
	"$DROVERCTL" -n "${NAME}_none" status > /dev/null 2>&1       # 4
done
ctl stop 'y:y_0' > /dev/null
ctl status > /dev/null 2>&1; [ $? = 3 ] || error "status with y_0 stopped did not exit 3"
ctl start 'y:y_0' > /dev/null
leftover=$(reply_queues)
[ -z "$leftover" ] || error "normal exits left reply queues: $(echo "$leftover" | tr '\n' ' ')"

# --- SIGINT (Ctrl-C), SIGTERM, SIGHUP while waiting for the reply -----------------------------
# A background job of a non-interactive shell starts with SIGINT ignored, and droverctl keeps an
# ignored signal ignored: env --default-signal=INT gives it the disposition a terminal's would.
for sig in INT INT TERM HUP; do
	pids=()
	for ((i = 0; i < BATCH; i++)); do
		env --default-signal=INT "$DROVERCTL" -n "$NAME" wait STOPPED x --timeout "$WAIT_S" > /dev/null 2>&1 &
		pids+=($!)
	done
	all_blocked() { local p; for p in "${pids[@]}"; do in_receive "$p" || return 1; done; }
	blocked=1
	try_for 5 all_blocked || { blocked=0; log "SIG$sig: not all clients blocked in mq_timedreceive"; }
	kill -s "$sig" "${pids[@]}" 2>/dev/null
	want=$((128 + $(kill -l "$sig")))
	for p in "${pids[@]}"; do
		{ wait "$p"; } 2>/dev/null; rc=$?
		# droverctl removes its queue, then dies of the signal (the status says so); exit 1 only
		# for one that was not waiting yet and whose wait timed out on its own.
		[ "$rc" = "$want" ] || { [ "$blocked" = 0 ] && [ "$rc" = 1 ]; } \
			|| error "droverctl got SIG$sig while waiting and exited $rc (expected death by SIG$sig: $want)"
	done
	leftover=$(reply_queues)
	[ -z "$leftover" ] || error "SIG$sig left reply queues: $(echo "$leftover" | tr '\n' ' ')"
	# shellcheck disable=SC2046 # queue names have no blanks
	[ -z "$leftover" ] || "$MQ" unlink $(sed 's|^|/|' <<< "$leftover")
	wait_for 10 idle
done
log "SIGINT, SIGTERM, SIGHUP: no reply queue left"
daemon_alive || fail "droverd died"
try_for 3 fds_back || error "droverd's descriptors: $fd0 before, $(fd_count "$DAEMON_PID") at the end"
[ "$(count_zombies_of "$DAEMON_PID")" = 0 ] || error "zombies among droverd's children"
pass
