#!/bin/bash
# An environment_file that is a FIFO (whose open blocks until a writer comes) or a device is
# refused at spawn time with a clear error, and droverd keeps serving meanwhile: it never blocks
# on a path a config names. A directory is refused the same way; a symlink to a regular file works.
# timeout: 60
. "$(dirname "$0")/lib.sh"

mkfifo "$T/fifo.env"
mkdir "$T/dir.env"
echo 'FROM_LINK=yes' > "$T/real.env"
ln -s "$T/real.env" "$T/link.env"
write_config <<EOF
[program:fifo]
command = /bin/sleep 1000
environment_file = $T/fifo.env
autostart = false
startretries = 0

[program:device]
command = /bin/sleep 1000
environment_file = /dev/zero
autostart = false
startretries = 0

[program:dir]
command = /bin/sleep 1000
environment_file = $T/dir.env
autostart = false
startretries = 0

[program:link]
command = /bin/sleep 1000
environment_file = $T/link.env
startsecs = 0
EOF
start_daemon
wait_for 10 is_state link RUNNING
tr '\0' '\n' < "/proc/$(pid_of link)/environ" | grep -qx 'FROM_LINK=yes' || error "environment_file through a symlink not read"

ctl start --no-wait fifo > /dev/null
# droverd answers while (and after) the start reads the FIFO.
timeout 5 "${CTL_PREFIX[@]}" "$DROVERCTL" -n "$NAME" --timeout 3 version > /dev/null ||
	fail "droverd does not answer after a start whose environment_file is a FIFO: it blocks in open()"
wait_for 5 is_state fifo FATAL
desc=$(last_field fifo description)
log "fifo: $desc"
case $desc in *fifo.env*"not a regular file"*) ;; *) error "the spawn error does not say the FIFO is not a regular file: $desc" ;; esac

ctl start --no-wait device > /dev/null
wait_for 5 is_state device FATAL
desc=$(last_field device description)
case $desc in */dev/zero*"not a regular file"*) ;; *) error "the spawn error does not say /dev/zero is not a regular file: $desc" ;; esac

ctl start --no-wait dir > /dev/null
wait_for 5 is_state dir FATAL
desc=$(last_field dir description)
case $desc in *dir.env*) ;; *) error "the spawn error does not name the directory: $desc" ;; esac

# Nobody ever wrote the FIFO: droverd still stops cleanly.
stop_daemon TERM 10
[ "$DAEMON_STATUS" = 0 ] || error "droverd exited $DAEMON_STATUS"
pass
