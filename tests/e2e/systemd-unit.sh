#!/bin/bash
# Packaging: `make install DESTDIR=... PREFIX=/usr` installs the unit with the paths substituted
# and `systemd-analyze verify` accepts it without a single warning; the man pages render with
# `man --warnings` without a warning; conf/drover.ini.system lands in /etc/drover/drover.ini
# and a second install keeps an edited one.
# systemd-analyze verify checks that ExecStart= binaries exist and that the man: pages of
# Documentation= open, so it runs with --root= on the staging tree (the binaries are there) and
# MANPATH on its man pages; the root gets the host's /usr/bin/kill (ExecReload=) and the host's
# standard targets (sysinit.target ...), which verify needs to build the unit's default
# dependencies. Works offline with systemd 252.
# timeout: 60
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze missing (apt-get install systemd)"
command -v man >/dev/null || skip "man missing (apt-get install man-db)"
R=$T/stage
# -o all: install exactly the tree under test, never rebuild it (another tree's flags).
make -s -C "$SRC_DIR" -o all BUILD="$DROVER_BUILD" DESTDIR="$R" PREFIX=/usr install > "$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install failed"; }
U=$R/lib/systemd/system/droverd.service
[ -f "$U" ] || fail "no $U"
grep -n 'Exec' "$U"
grep -q '@' "$U" && fail "unsubstituted @VARS@ left in the unit: $(grep -n '@' "$U")"
grep -qx 'ExecStart=/usr/sbin/droverd -c /etc/drover/drover.ini' "$U" || fail "ExecStart= does not name /usr/sbin/droverd -c /etc/drover/drover.ini"
for k in 'Type=notify' 'KillMode=mixed' 'Restart=on-failure' 'RuntimeDirectory=drover' 'LogsDirectory=drover' \
	'ConfigurationDirectory=drover' 'NotifyAccess=main'; do
	grep -qx "$k" "$U" || fail "the unit lacks $k"
done
grep -q '^WatchdogSec=[1-9]' "$U" || fail "the unit has no WatchdogSec="
grep -q '^ExecReload=.*kill -HUP \$MAINPID' "$U" || fail "ExecReload= does not send SIGHUP to \$MAINPID"
[ -x "$R/usr/sbin/droverd" ] && [ -x "$R/usr/bin/droverctl" ] || fail "binaries not installed"
[ "$(cat "$R/etc/drover/drover.ini")" = "$(cat "$SRC_DIR/conf/drover.ini.system")" ] || fail "/etc/drover/drover.ini is not conf/drover.ini.system"

# The root verify resolves paths in.
mkdir -p "$R/usr/bin"
[ -e "$R/bin" ] || ln -s usr/bin "$R/bin"
cp /usr/bin/kill "$R/usr/bin/kill"
for u in sysinit.target basic.target network.target multi-user.target shutdown.target sockets.target \
	paths.target timers.target slices.target local-fs.target; do
	[ -e "/lib/systemd/system/$u" ] && cp "/lib/systemd/system/$u" "$R/lib/systemd/system/"
done
MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" /lib/systemd/system/droverd.service > "$T/verify.out" 2>&1
rc=$?
cat "$T/verify.out"
[ "$rc" = 0 ] || fail "systemd-analyze verify failed ($rc)"
[ -s "$T/verify.out" ] && fail "systemd-analyze verify printed warnings"
# Negative control: verify does look at the binary.
mv "$R/usr/sbin/droverd" "$R/usr/sbin/droverd.x"
MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" /lib/systemd/system/droverd.service > /dev/null 2>&1 &&
	fail "systemd-analyze verify passes without /usr/sbin/droverd: the check checks nothing"
mv "$R/usr/sbin/droverd.x" "$R/usr/sbin/droverd"

# Man pages: installed, and rendered without a single groff/man warning.
for m in man8/droverd.8 man8/droverctl.8 man5/drover.ini.5; do
	f=$R/usr/share/man/$m
	[ -f "$f" ] || { error "$m not installed"; continue; }
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" > "$T/man.out" 2> "$T/man.err" || error "man -l $m failed"
	[ -s "$T/man.err" ] && error "man --warnings -l $m: $(head -5 "$T/man.err")"
	[ "$(wc -l < "$T/man.out")" -gt 20 ] || error "man -l $m rendered only $(wc -l < "$T/man.out") lines"
done

# A second install keeps an edited config.
echo "; edited" >> "$R/etc/drover/drover.ini"
make -s -C "$SRC_DIR" -o all BUILD="$DROVER_BUILD" DESTDIR="$R" PREFIX=/usr install > "$T/install.log" 2>&1 || fail "second make install failed"
grep -qx "; edited" "$R/etc/drover/drover.ini" || fail "make install overwrote an existing /etc/drover/drover.ini"
pass
