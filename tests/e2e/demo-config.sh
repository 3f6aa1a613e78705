#!/bin/bash
# The demo config as `make` leaves it. `make` (the default goal) builds every program the demo
# runs; the demo's commands are shown as the paths they are (%(here)s/../build/... normalised:
# no "conf/../build" in status or the log) when the build is missing; the text status of a
# STARTING process without a worker keeps its reason ("waiting for counter"); once the programs
# are there, the demo's workers come up.
# timeout: 60
. "$(dirname "$0")/lib.sh"

# make's default goal, for an empty build directory, builds the demo's workers.
plan=$(make -n --no-print-directory -C "$SRC_DIR" DROVER_DEPS_DONE=1 BUILD="$T/b" 2>&1) || fail "make -n: $plan"
for w in demo-worker notify-demo; do
	echo "$plan" | grep -q -- "-o $T/b/examples/$w " || error "make (default goal) does not build examples/$w"
done

# A copy of conf/ with this test's instance name and a free port; build/ next to it, empty.
S=$T/src
mkdir -p "$S/build"
cp -r "$SRC_DIR/conf" "$S/conf"
port=$(free_ports 1)
sed -i -e "s/^name = .*/name = $NAME/" -e "s/8642/$port/g" "$S/conf/drover.ini"
chmod -R go-w "$S"
CONF=$S/conf/drover.ini
start_daemon
wait_for 10 eval 'refresh_status && [ -n "$(last_field counter:counter_0 description)" ]'
desc=$(last_field counter:counter_0 description)
log "counter_0: $desc"
case "$desc" in
*"'$S/build/examples/demo-worker'"*) ;;
*) error "counter_0: '$desc', want the command as $S/build/examples/demo-worker" ;;
esac
grep -q 'conf/\.\./build' "$DAEMON_LOG" && error "droverd's log has conf/../build: $(grep -m1 'conf/\.\./build' "$DAEMON_LOG")"
is_state ticker STARTING || error "ticker is $(last_field ticker state), want STARTING (waiting for counter)"
line=$(ctl status ticker)
log "status ticker: $line"
echo "$line" | grep -q 'waiting for counter' || error "the text status of ticker lacks its reason: '$line'"

# The programs appear (as `make` makes them): the demo comes up.
mkdir -p "$S/build/examples"
ln -s "$DROVER_BUILD/examples/demo-worker" "$DROVER_BUILD/examples/notify-demo" "$S/build/examples/"
ln -s "$DROVER_BUILD/droverctl" "$S/build/droverctl"
ctl start 'counter:*' >/dev/null
wait_for 20 eval 'refresh_status && [ "$(last_field counter:counter_0 state)" = RUNNING ] && [ "$(last_field counter:counter_1 state)" = RUNNING ] && [ "$(last_field ticker state)" = RUNNING ]'
pass
