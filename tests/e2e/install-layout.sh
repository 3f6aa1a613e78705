#!/bin/bash
# make install / make uninstall into a DESTDIR, from a tree built with the default PREFIX (as
# `make` then `make install PREFIX=/usr` does): the installed drover.pc names the PREFIX of the
# install (prefix=/usr, then /opt/drover), pkg-config with it gives what a worker needs to compile
# and link against the installed drover.h and libdrover (a worker built that way runs); the files
# are exactly the expected ones; uninstall removes exactly them, and keeps an edited config.
# timeout: 120
. "$(dirname "$0")/lib.sh"

# The layout does not depend on the tree; the worker compiled below links plainly.
[ "$DROVER_SANITIZED" = 1 ] && skip "the plain tree checks the install layout"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config missing"
command -v cc >/dev/null 2>&1 || skip "cc missing"
[ -s "$DROVER_BUILD/drover.pc" ] || fail "$DROVER_BUILD/drover.pc not built"
grep -qx 'prefix=/usr/local' "$DROVER_BUILD/drover.pc" ||
	skip "the build tree was made with another PREFIX ($(grep '^prefix=' "$DROVER_BUILD/drover.pc"))"

# Not a sub-make of the `make check` this may run under: none of its flags or variables.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u DROVER_DEPS_DONE \
		make --no-print-directory -C "$SRC_DIR" BUILD="$DROVER_BUILD" "$@" < /dev/null
}

expected_files() {   # expected_files PREFIX
	local p=${1#/}
	printf '%s\n' "$p/sbin/droverd" "$p/bin/droverctl" "$p/lib/libdrover.a" "$p/lib/libdrover.so.0" \
		"$p/lib/libdrover.so" "$p/lib/pkgconfig/drover.pc" "$p/include/drover.h" \
		"$p/share/man/man5/drover.ini.5" "$p/share/man/man8/droverd.8" "$p/share/man/man8/droverctl.8" \
		"$p/share/bash-completion/completions/droverctl" lib/systemd/system/droverd.service \
		etc/drover/drover.ini | sort
}
installed_files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort); }

for prefix in /usr /opt/drover; do
	D=$T/root${prefix//\//_}
	mk install PREFIX="$prefix" DESTDIR="$D" > "$T/install.log" 2>&1 || { tail -n 20 "$T/install.log"; fail "make install PREFIX=$prefix failed"; }
	pc=$D$prefix/lib/pkgconfig/drover.pc
	grep -qx "prefix=$prefix" "$pc" || error "PREFIX=$prefix: installed drover.pc says $(grep '^prefix=' "$pc")"
	diff <(expected_files "$prefix") <(installed_files "$D") > "$T/diff" || error "PREFIX=$prefix: installed files differ (< expected, > installed): $(cat "$T/diff")"
	[ "$(readlink "$D$prefix/lib/libdrover.so")" = libdrover.so.0 ] || error "libdrover.so is not a link to libdrover.so.0"
	grep -q "^ExecStart=$prefix/sbin/droverd" "$D/lib/systemd/system/droverd.service" ||
		error "PREFIX=$prefix: the unit's ExecStart: $(grep ExecStart "$D/lib/systemd/system/droverd.service")"

	# pkg-config as a packager's build would use it: the flags point into the install.
	flags=$(PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$D$prefix/lib/pkgconfig pkg-config --cflags --libs drover) ||
		{ error "PREFIX=$prefix: pkg-config --cflags --libs drover failed"; continue; }
	case " $flags " in *" -I$D$prefix/include "*"-L$D$prefix/lib "*) ;;
	*) error "PREFIX=$prefix: pkg-config says '$flags'" ;; esac
	cat > "$T/w.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <drover.h>
int main(void)
{
	int r = drover_ready();   /* no droverd around: the library says so */
	printf("%d\n", r);
	return r == -ENOENT ? 0 : 1;
}
EOF
	# shellcheck disable=SC2086
	cc -o "$T/w" "$T/w.c" $flags > "$T/cc.log" 2>&1 || { error "PREFIX=$prefix: a worker does not build with pkg-config's flags: $(cat "$T/cc.log")"; continue; }
	out=$(env -u DROVER_NAME -u DROVER_SLOT LD_LIBRARY_PATH="$D$prefix/lib" "$T/w") ||
		error "PREFIX=$prefix: the worker built against the install says $out"

	# uninstall: nothing of ours stays; an edited config does.
	mk uninstall PREFIX="$prefix" DESTDIR="$D" > "$T/uninstall.log" 2>&1 || error "PREFIX=$prefix: make uninstall failed: $(cat "$T/uninstall.log")"
	left=$(installed_files "$D")
	[ -z "$left" ] && [ ! -e "$D/etc/drover" ] || error "PREFIX=$prefix: left after uninstall: $left $(ls -d "$D/etc/drover" 2>/dev/null)"
done

# An administrator's config outlives uninstall, which says so.
D=$T/root_edited
mk install DESTDIR="$D" > "$T/install.log" 2>&1 || fail "make install failed"
echo "; edited" >> "$D/etc/drover/drover.ini"
mk uninstall DESTDIR="$D" > "$T/uninstall.log" 2>&1 || error "make uninstall failed: $(cat "$T/uninstall.log")"
[ "$(installed_files "$D")" = etc/drover/drover.ini ] || error "with an edited config, left: $(installed_files "$D")"
grep -q "drover.ini kept" "$T/uninstall.log" || error "uninstall did not say it kept the edited config: $(cat "$T/uninstall.log")"
pass
