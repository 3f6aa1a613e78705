#!/bin/bash
# droverd under a real systemd 252 (PID 1 of an nspawn container, ../shared/tools/systemd-testbed.sh):
# `make install DESTDIR=<rootfs> PREFIX=/usr` of the tree under test, then
#   systemctl start: active/running, StatusText "N running, ...", droverctl answers at once (T38);
#   config edit + systemctl reload: same MainPID, the new program runs, StatusText follows;
#   journalctl -u droverd: structured fields (DROVER_PROCESS=, DROVER_PID=, DROVER_STATE=);
#   a wedged loop (test-only hook: DROVER_TEST_HANG_ON_SIGUSR2=1 + SIGUSR2): the watchdog kills
#   droverd, systemd restarts it (new MainPID, NRestarts+1), the old workers are gone (T39);
#   systemctl stop: inactive, no worker left.
# The base rootfs (debootstrap, ~1 min, ~160 MB, needs Debian's mirror) is cached in
# $DROVER_TESTBED_CACHE (/var/tmp/drover-testbed); each run boots a private copy of it.
# Exit 77 (SKIP) only when the rootfs cannot be built (or the testbed script is missing), with
# the reason; the ASan tree is skipped too (the container has no sanitizer runtime; the plain
# tree's run covers the same code).
# timeout: 420
. "$(dirname "$0")/lib.sh"

[ "$DROVER_SANITIZED" = 1 ] && skip "systemd-testbed runs the plain build only (no ASan runtime in the container)"
TB=${DROVER_TESTBED:-$SRC_DIR/../shared/tools/systemd-testbed.sh}
[ -f "$TB" ] || skip "testbed script $TB not found"
CACHE=${DROVER_TESTBED_CACHE:-/var/tmp/drover-testbed}
BASE=$CACHE/rootfs
PKGS=libev4,libinih1,procps
mkdir -p "$CACHE"

# --- the base rootfs (built once, shared; a lock keeps concurrent runs from building twice) ---
t0=$(now_ms)
if ! flock "$CACHE/.lock" env SDROOT="$BASE" SDSTATE="$CACHE/state-build" EXTRA_PKGS="$PKGS" \
	BUILD_TIMEOUT=300 bash "$TB" build > "$T/build.log" 2>&1; then
	tail -n 15 "$T/build.log"
	skip "cannot build the testbed rootfs (debootstrap from the host's Debian mirror): $(grep -m1 ERROR "$T/build.log")"
fi
log "base rootfs ready in $(( $(now_ms) - t0 )) ms ($(tail -n 1 "$T/build.log" | sed 's/^\[[^]]*\] //'))"

# --- a private copy with drover installed ---
RUN=$CACHE/run.$$
export SDROOT=$RUN SDSTATE=$RUN.state MACHINE=drvt$$ MAX_LIFETIME=400 EXEC_TIMEOUT=60
tb_cleanup() {
	bash "$TB" shutdown > /dev/null 2>&1
	rm -rf --one-file-system "$RUN" "$RUN.state"
}
# shellcheck disable=SC2154 # _rc is set inside the trap
trap '_rc=$?; tb_cleanup; (exit $_rc); _cleanup' EXIT
t0=$(now_ms)
flock -s "$CACHE/.lock" cp -a --reflink=auto "$BASE" "$RUN" || fail "cannot copy the rootfs"
make -s -C "$SRC_DIR" -o all BUILD="$DROVER_BUILD" DESTDIR="$RUN" PREFIX=/usr install > "$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install DESTDIR=$RUN PREFIX=/usr failed"; }
cat > "$RUN/etc/drover/conf.d/test.ini" <<'EOF2'
[program:web]
command = /bin/sleep 4242
numprocs = 2
process_name = %(program_name)s_%(process_num)d
startsecs = 0

[program:ticker]
command = /bin/sh -c 'while :; do echo tick; sleep 1; done'
startsecs = 0
EOF2
mkdir -p "$RUN/etc/systemd/system/droverd.service.d"
cat > "$RUN/etc/systemd/system/droverd.service.d/test.conf" <<'EOF2'
# e2e: a short watchdog, and the test-only hook that lets SIGUSR2 wedge the event loop.
[Service]
WatchdogSec=3
TimeoutAbortSec=5
RestartSec=1
Environment=DROVER_TEST_HANG_ON_SIGUSR2=1
LimitCORE=0
EOF2
log "rootfs copied and drover installed in $(( $(now_ms) - t0 )) ms"

t0=$(now_ms)
bash "$TB" boot > "$T/boot.log" 2>&1 || { tail -n 20 "$T/boot.log"; fail "the container does not boot"; }
log "container booted in $(( $(now_ms) - t0 )) ms"
g() { bash "$TB" exec "$@"; }
prop() { g systemctl show -p "$1" --value droverd 2>/dev/null; }
prop_is() { [[ $(prop "$1") =~ $2 ]]; }
journal() { g journalctl -b -u droverd --no-pager "$@"; }

# --- start ---
g systemctl daemon-reload
g systemctl start droverd || { journal | tail -n 30; fail "systemctl start droverd failed"; }
# Type=notify: start returns after READY=1, so droverctl must answer right away (T38).
g droverctl status > "$T/status" 2>&1 || { cat "$T/status"; error "droverctl status right after systemctl start: exit $?"; }
cat "$T/status"
[ "$(prop ActiveState)/$(prop SubState)" = active/running ] || error "droverd is $(prop ActiveState)/$(prop SubState)"
wait_for 10 prop_is StatusText '^3 running, 0 starting, 0 backoff, 0 fatal, 0 stopped'
log "StatusText: $(prop StatusText)"
pid1=$(prop MainPID)
nr0=$(prop NRestarts)

# --- reload after a config edit ---
printf '\n[program:extra]\ncommand = /bin/sleep 4243\nstartsecs = 0\n' >> "$RUN/etc/drover/conf.d/test.ini"
g systemctl reload droverd || error "systemctl reload droverd failed"
[ "$(prop MainPID)" = "$pid1" ] || error "MainPID changed on reload: $pid1 -> $(prop MainPID)"
extra_running() { g droverctl status extra 2>/dev/null | grep -q RUNNING; }
wait_for 10 extra_running
wait_for 10 prop_is StatusText '^4 running'
[ "$(prop ActiveState)" = active ] || error "after reload: $(prop ActiveState)/$(prop SubState)"
log "after reload: StatusText: $(prop StatusText)"

# --- the journal has droverd's structured fields ---
fields() { journal -o verbose > "$T/journal" 2>&1; grep -q 'DROVER_PROCESS=web:web_0' "$T/journal" &&
	grep -q 'DROVER_PID=[1-9]' "$T/journal" && grep -q 'DROVER_STATE=' "$T/journal"; }
try_for 10 fields || error "journalctl -u droverd has no DROVER_PROCESS=/DROVER_PID=/DROVER_STATE= fields"
grep -m 6 -E '^ *(DROVER_|MESSAGE=spawned)' "$T/journal"

# --- watchdog: a wedged loop gets droverd killed and restarted ---
workers_before=$(g pgrep -d, -f '^/bin/sleep 424[23]$')
log "workers before the hang: $workers_before; MainPID $pid1, NRestarts $nr0"
g systemctl kill -s SIGUSR2 --kill-who=main droverd
t0=$(now_ms)
restarted() { [ "$(prop NRestarts)" -gt "$nr0" ] && [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$pid1" ] &&
	[ "$(prop MainPID)" != 0 ]; }
wait_for 30 restarted
log "watchdog: restarted after $(( $(now_ms) - t0 )) ms: MainPID $(prop MainPID), NRestarts $(prop NRestarts)"
journal | grep -q 'Watchdog timeout' || error "the journal does not say 'Watchdog timeout'"
old_gone() { local p; for p in ${workers_before//,/ }; do g test -d "/proc/$p" && return 1; done; return 0; }
try_for 5 old_gone || error "workers of the killed droverd survive: $workers_before"
wait_for 10 prop_is StatusText '^4 running'

# --- stop: nothing left ---
g systemctl stop droverd || error "systemctl stop droverd failed"
[ "$(prop ActiveState)" = inactive ] || error "after stop: $(prop ActiveState)/$(prop SubState)"
left=$(g pgrep -f '^/bin/(sleep 424[23]|sh -c while)' || true)
[ -z "$left" ] || error "workers left after systemctl stop: $left"
journal -o short-monotonic | tail -n 25
pass
