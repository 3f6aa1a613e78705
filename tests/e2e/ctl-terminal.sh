#!/bin/bash
# droverctl status on a terminal: states coloured (RUNNING green; STARTING, BACKOFF, STOPPING
# yellow; FATAL, UNKNOWN and an EXITED other than exit 0 red; STOPPED plain), lines cut at the
# terminal's width (TIOCGWINSZ, else $COLUMNS), counted in visible columns; --color forces colour,
# --no-color and a non-empty NO_COLOR suppress it; without a terminal the bytes are as before.
# status --watch: one table per interval (a blank line between them) with CPU% and RSS from /proc,
# in place on a terminal, exit 0 on SIGTERM and SIGINT; with --json a usage error.
# timeout: 90
. "$(dirname "$0")/lib.sh"

write_config <<'EOF2'
[program:busy]
command = /bin/sh -c 'while :; do :; done'
startsecs = 0

[program:idle]
command = /bin/sleep 1000
startsecs = 0

[program:starting]
command = /bin/sleep 1000
startsecs = 600

[program:stopped]
command = /bin/sleep 1000
autostart = false

[program:fatal]
command = /bin/sh -c 'exit 2'
startsecs = 5
startretries = 0

[program:bad]
command = /bin/sh -c 'exit 3'
startsecs = 0
autorestart = false

[program:clean]
command = /bin/true
startsecs = 0
autorestart = false

[program:a_program_with_a_long_name_to_pass_sixty_columns]
command = /bin/sleep 1000
startsecs = 0
EOF2
start_daemon
wait_for 20 eval 'is_state busy RUNNING && is_state idle RUNNING && is_state starting STARTING &&
	is_state fatal FATAL && is_state bad EXITED && is_state clean EXITED &&
	is_state a_program_with_a_long_name_to_pass_sixty_columns RUNNING'

ESC=$'\033'
# uptimes tick between two calls: compare the rest
norm() { sed -E 's/uptime [0-9:]+/uptime X/'; }
strip_sgr() { sed -E "s/${ESC}\\[[0-9;]*m//g"; }

# Not a terminal: no escape byte, and exactly the table --no-color and NO_COLOR print.
plain=$(ctl status | norm)
[ -n "$plain" ] || error "status printed nothing"
case $plain in *"$ESC"*) error "escape bytes without a terminal: $(printf %q "$plain")" ;; esac
[ "$(ctl --no-color status | norm)" = "$plain" ] || error "--no-color changed the table"
[ "$(NO_COLOR=1 ctl status | norm)" = "$plain" ] || error "NO_COLOR changed the table"
# today's layout: the name column 3 wider than the longest name (48), the state 10 wide
grep -qE '^idle {47}RUNNING {3}pid [0-9]+, uptime X$' <<< "$plain" || error "layout changed: $plain"

# --color: each state in its colour, and with the escapes taken out the same table (alignment
# counts visible columns).
col=$(ctl --color status | norm)
log "--color: $(printf %q "$col")"
[ "$(echo "$col" | strip_sgr)" = "$plain" ] || error "--color table differs from the plain one beyond its colours"
want() {   # NAME SGR STATE
	grep -qE "^$1 +${ESC}\\[$2m$3${ESC}\\[0m" <<< "$col" || error "$1: want $3 in colour $2"

}
want busy 32 RUNNING
want starting 33 STARTING
want fatal 31 FATAL
want bad 31 EXITED
grep -qE "^stopped +STOPPED " <<< "$col" || error "STOPPED must be plain"
grep -qE "^clean +EXITED " <<< "$col" || error "EXITED with exit 0 must be plain"
[ "$(NO_COLOR=1 ctl --color status | norm | strip_sgr)" = "$plain" ] || error "--color table under NO_COLOR"
grep -q "$ESC" <<< "$(NO_COLOR=1 ctl --color status)" || error "--color must win over NO_COLOR"

# A terminal 60 columns wide: colour by default, no line wider than 60, the long one cut at 60.
pty() { "$PY" "$E2E_DIR/ctl_pty.py" "$@"; }
tty_out=$(pty 60 "$DROVERCTL" -n "$NAME" status); rc=$?
log "tty 60: $(printf %q "$tty_out")"
[ "$rc" = 3 ] || error "status on a terminal: exit $rc, want 3 (stopped processes)"
grep -q "${ESC}\\[32mRUNNING" <<< "$tty_out" || error "no colour on a terminal"
widest=$(echo "$tty_out" | strip_sgr | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }')
[ "$widest" = 60 ] || error "widest line on a 60-column terminal: $widest columns, want 60 (cut)"
[ "$(echo "$tty_out" | wc -l)" = 8 ] || error "a line wrapped or went missing: $(echo "$tty_out" | wc -l) lines"
# NO_COLOR on a terminal: no escapes; the width still applies
nc_out=$(NO_COLOR=1 pty 60 "$DROVERCTL" -n "$NAME" status)
case $nc_out in *"$ESC"*) error "NO_COLOR on a terminal: escapes" ;; esac
nc_out=$(pty 60 "$DROVERCTL" -n "$NAME" --no-color status)
case $nc_out in *"$ESC"*) error "--no-color on a terminal: escapes" ;; esac
# A terminal that does not know its width: $COLUMNS
cols_out=$(COLUMNS=50 NO_COLOR=1 pty 0 "$DROVERCTL" -n "$NAME" status)
widest=$(echo "$cols_out" | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }')
[ "$widest" = 50 ] || error "COLUMNS=50: widest line $widest"

# --watch on a terminal: in place (home + clear), SIGINT ends it with 0.
w_out=$(pty 80 "$DROVERCTL" -n "$NAME" status --watch 0.3 busy); rc=$?
[ "$rc" = 0 ] || error "status --watch on a terminal: exit $rc after SIGINT"
grep -qF "${ESC}[H${ESC}[2J" <<< "$w_out" || error "--watch on a terminal does not redraw in place"

# --watch without a terminal: tables separated by blank lines, CPU% and RSS, SIGTERM -> 0.
"$DROVERCTL" -n "$NAME" status --watch 1 busy idle stopped > "$T/watch.out" 2> "$T/watch.err" &
wpid=$!
wait_for 15 eval '[ "$(grep -c "^NAME " "$T/watch.out")" -ge 3 ]'
kill -TERM "$wpid"
wait "$wpid"; rc=$?
log "watch: $(cat "$T/watch.out")"
[ "$rc" = 0 ] || error "status --watch: exit $rc after SIGTERM ($(cat "$T/watch.err"))"
[ "$(grep -c '^$' "$T/watch.out")" -ge 2 ] || error "--watch tables not separated by blank lines"
grep -qE '^NAME +STATE +CPU% +RSS +DESCRIPTION$' "$T/watch.out" || error "--watch: no header with CPU% and RSS"
# after the first table CPU% is over the interval: the busy loop's highest, the idle one's
busy_cpu=$(awk '/^busy / { n++; if (n > 1) { v = $3; sub("%", "", v); if (v + 0 > m) m = v + 0 } } END { print m + 0 }' "$T/watch.out")
idle_cpu=$(awk '/^idle / { n++; if (n > 1) { v = $3; sub("%", "", v); if (v + 0 > m) m = v + 0 } } END { print m + 0 }' "$T/watch.out")
log "CPU%: busy $busy_cpu, idle $idle_cpu"
awk -v b="$busy_cpu" 'BEGIN { exit !(b > 20) }' || error "busy loop at $busy_cpu% CPU (want > 20)"
awk -v i="$idle_cpu" 'BEGIN { exit !(i < 5) }' || error "sleeping worker at $idle_cpu% CPU (want < 5)"
grep -qE '^busy +RUNNING +[0-9.]+% +[0-9.]+[KMG] +pid [0-9]+' "$T/watch.out" || error "busy: no CPU%/RSS"
grep -qE '^idle +RUNNING +[0-9.]+% +[0-9.]+[KMG] +pid [0-9]+' "$T/watch.out" || error "idle: no CPU%/RSS"
grep -qE '^stopped +STOPPED +- +- ' "$T/watch.out" || error "stopped: CPU/RSS must be '-'"

# --watch with --json (either place), or a bad interval: usage errors
ctl --json status --watch > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || error "--json status --watch: exit $rc, want 2"
ctl status --watch --json > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || error "status --watch --json: exit $rc, want 2"
ctl status --watch=abc > /dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || error "status --watch=abc: exit $rc, want 2"

pass
