#!/bin/bash
# Every building goal works as the first command on a machine without the build dependencies:
# `make run`, and `make check-build install` (two goals at once), each in a fresh copy of the source
# tree, with pkg-config finding none of inih, libsystemd, cmocka (an empty PKG_CONFIG_LIBDIR) and an
# apt-get early in PATH that, like the real one, makes the modules appear when mk/deps.sh asks for
# their packages. The Makefile and mk/deps.sh under test are the real ones; only the package manager is
# stood in for (the real one, on a real fresh Debian 12, is mk/fresh-debian.sh's business).
#   make run:         deps installed, then droverd runs the demo (its workers come up, droverctl
#                     sees them), SIGTERM ends it and make exits 0;
#   make check-build install: deps and cmocka installed (one deps step for both goals), the unit
#                     tests and helpers built, everything installed under DESTDIR.
# The ASan tree is skipped: this tests the Makefile, which builds its own tree.
# timeout: 300
. "$(dirname "$0")/lib.sh"

[ "$DROVER_SANITIZED" = 1 ] && skip "tests the Makefile's own fresh build: runs once, with the plain tree"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config missing"
for m in inih libsystemd cmocka; do
	pkg-config --exists "$m" || skip "pkg-config module $m missing: the stand-in apt-get copies the real .pc files"
done

# A copy of the source tree as a clean clone would have it (tracked and new files, nothing ignored).
copy_tree() {
	local dst=$1
	mkdir -p "$dst"
	if git -C "$SRC_DIR" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$SRC_DIR" ls-files -z -co --exclude-standard | (cd "$SRC_DIR" && tar --null -T - -cf -) |
			tar -C "$dst" -xf - || fail "cannot copy the source tree"
	else
		tar -C "$SRC_DIR" --exclude=./build -cf - . | tar -C "$dst" -xf - || fail "cannot copy the source tree"
	fi
	[ -e "$dst/build" ] && fail "the copy has a build/ already"
	chmod -R go-w "$dst"   # as a clone made with umask 022 (an archive may carry 0664 files)
	return 0
}

# The stand-in apt-get: `apt-get install ... PKG...` copies the .pc file of each -dev package it
# knows into $T/pc (where pkg-config looks, and only there), and logs what it was asked.
mkdir -p "$T/pc" "$T/bin"
cat > "$T/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >> "$T/apt.log"
[ "\$1" = install ] || [ "\$1" = update ] || exit 100
for p in "\$@"; do
	case "\$p" in
	libinih-dev) cp "$(pkg-config --variable=pcfiledir inih)/inih.pc" "$T/pc/" ;;
	libsystemd-dev) cp "$(pkg-config --variable=pcfiledir libsystemd)/libsystemd.pc" "$T/pc/" ;;
	libcmocka-dev) cp "$(pkg-config --variable=pcfiledir cmocka)/cmocka.pc" "$T/pc/" ;;
	-*|install|update) ;;
	*) echo "stand-in apt-get: unexpected package \$p" >&2; exit 100 ;;
	esac
done
exit 0
EOF
chmod 0755 "$T/bin/apt-get"
# fresh_make DIR GOAL...: make in DIR as on a machine where pkg-config finds nothing yet.
fresh_make() {
	local dir=$1; shift
	rm -f "$T/pc"/*.pc
	# Not a sub-make of the `make check` this may run under: none of its flags or variables.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u DROVER_DEPS_DONE \
		PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$T/pc" PATH="$T/bin:$PATH" make -C "$dir" "$@"
}
[ -z "$(env PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$T/pc" pkg-config --list-all 2>/dev/null)" ] ||
	fail "pkg-config still finds modules with an empty PKG_CONFIG_LIBDIR"

# --- make run -----------------------------------------------------------------------------------
copy_tree "$T/run"
# The demo under this test's instance name (the real demo's name may be in use on this machine).
sed -i "s/^name = drover-demo\$/name = $NAME/" "$T/run/conf/drover.ini"
grep -q "^name = $NAME\$" "$T/run/conf/drover.ini" || fail "conf/drover.ini has no 'name = drover-demo' line"
: > "$T/apt.log"
fresh_make "$T/run" run CFLAGS=-O0 > "$T/run.log" 2>&1 < /dev/null &
MAKE_PID=$!
log "make run: pid $MAKE_PID"
droverd_of_copy() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$T/run/build/droverd" ] && { echo "${p#/proc/}"; return 0; }
	done
	return 1
}
up() { proc_alive "$MAKE_PID" || { cat "$T/run.log"; fail "make run exited early"; }; droverd_of_copy > /dev/null; }
wait_for 180 up
DAEMON_PID=$(droverd_of_copy)
DAEMON_PIDS+=("$DAEMON_PID")
log "droverd of the copy: pid $DAEMON_PID"
grep -q "libinih-dev" "$T/apt.log" && grep -q "libsystemd-dev" "$T/apt.log" ||
	error "mk/deps.sh did not ask for libinih-dev and libsystemd-dev: $(cat "$T/apt.log")"
DROVERCTL=$T/run/build/droverctl
wait_for 30 all_in_state RUNNING counter_ 2
wait_for 30 is_state ticker RUNNING
kill -TERM "$DAEMON_PID"
wait_for 20 _gone "$MAKE_PID"
wait "$MAKE_PID"; rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$T/run.log"; error "make run exited $rc after droverd's SIGTERM"; }
DAEMON_PIDS=()
log "make run: built, ran the demo, stopped"

# --- make check-build install: two goals in one first command ---------------------------------
copy_tree "$T/cb"
: > "$T/apt.log"
fresh_make "$T/cb" check-build install CFLAGS=-O0 DESTDIR="$T/root" PREFIX=/usr > "$T/cb.log" 2>&1 < /dev/null ||
	{ tail -n 20 "$T/cb.log"; fail "make check-build install as the first command failed"; }
grep -q "libcmocka-dev" "$T/apt.log" || error "mk/deps.sh did not ask for libcmocka-dev: $(cat "$T/apt.log")"
[ "$(grep -c '^apt-get install' "$T/apt.log")" = 1 ] || error "mk/deps.sh ran more than once: $(cat "$T/apt.log")"
[ -x "$T/cb/build/tests/test-config" ] || error "make check-build built no unit test"
for f in usr/sbin/droverd usr/bin/droverctl usr/lib/libdrover.so.0 usr/include/drover.h; do
	[ -e "$T/root/$f" ] || error "make install did not install /$f"
done
"$T/root/usr/sbin/droverd" --version > /dev/null || error "the installed droverd does not run"
pass
