#!/bin/bash
# The installed libdrover (make install DESTDIR=...) defines the worker API of drover.h and no other
# global symbol, in its static and its shared form: a C worker that has its own xmalloc, strv_free,
# escape_line or proto_* links against it statically without a collision.
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null 2>&1 || skip "nm missing (binutils)"
inst=$T/inst
san=()
[ "$DROVER_SANITIZED" = 1 ] && san=(SAN=1)
make -s --no-print-directory -C "$SRC_DIR" BUILD="$DROVER_BUILD" "${san[@]}" DESTDIR="$inst" PREFIX=/usr/local \
	install > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install DESTDIR=$inst failed"; }
a=$inst/usr/local/lib/libdrover.a
so=$inst/usr/local/lib/libdrover.so.0
[ -f "$a" ] || fail "$a not installed"
[ -f "$so" ] || fail "$so not installed"
for f in "$inst"/usr/local/lib/*; do
	case ${f##*/} in libdrover.a|libdrover.so|libdrover.so.0|pkgconfig) ;; *) error "installed an internal library: $f" ;; esac
done

# The API: every DROVER_API function of the installed header.
api=$(sed -n 's/^DROVER_API [^(]*[ *]\(drover_[a-z_0-9]*\)(.*/\1/p' "$inst/usr/local/include/drover.h" | sort)
[ -n "$api" ] || fail "no DROVER_API function found in the installed drover.h"
log "API: $(echo $api)"

# defined_globals KIND FILE: the defined global symbols (static archive: the symbol table of its
# members; shared object: its dynamic symbol table and, when not stripped, its symbol table).
defined_globals() {
	case $1 in
	a) nm -g --defined-only "$2" ;;
	so) nm -D --defined-only "$2"; nm -g --defined-only "$2" 2>/dev/null ;;
	esac | awk 'NF == 3 { print $3 }' | sed 's/@.*//' | sort -u
}
for kind in a so; do
	f=$a
	[ $kind = so ] && f=$so
	syms=$(defined_globals $kind "$f")
	extra=$(echo "$syms" | grep -v '^drover_' | grep -v '^$')
	[ -z "$extra" ] || error "$f defines global symbols outside the worker API: $(echo $extra | cut -c1-400)"
	missing=$(comm -23 <(echo "$api") <(echo "$syms"))
	[ -z "$missing" ] || error "$f lacks API functions: $(echo $missing)"
	unknown=$(comm -13 <(echo "$api") <(echo "$syms" | grep '^drover_'))
	[ -z "$unknown" ] || error "$f exports drover_* functions drover.h does not declare: $(echo $unknown)"
done

# A worker with its own helpers of the same names as ours links statically and works (outside droverd
# every call answers -ENOENT).
cat > "$T/worker.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <drover.h>
void *xmalloc(size_t n);
void *xmalloc(size_t n) { return malloc(n); }
char **strv_free(char **v);
char **strv_free(char **v) { free(v); return NULL; }
void escape_line(char *out, size_t size, const char *s);
void escape_line(char *out, size_t size, const char *s) { snprintf(out, size, "%s", s); }
int proto_reply_free(void);
int proto_reply_free(void) { return 0; }
int sb_checksum(void);
int sb_checksum(void) { return 0; }
int main(void)
{
	char buf[8];
	escape_line(buf, sizeof(buf), "x");
	free(xmalloc(1));
	strv_free(NULL);
	int r = drover_status("hello %d", proto_reply_free() + sb_checksum());
	printf("%d\n", r);
	return r == -ENOENT ? 0 : 1;
}
EOF
cflags=()
[ "$DROVER_SANITIZED" = 1 ] && cflags=(-fsanitize=address,undefined)
cc -std=gnu11 -Wall -Werror "${cflags[@]}" -I"$inst/usr/local/include" -o "$T/worker" "$T/worker.c" \
	"$a" -lrt -lpthread > "$T/cc.log" 2>&1 || { cat "$T/cc.log"; error "a worker with its own xmalloc/strv_free/... does not link against the static libdrover"; }
if [ -x "$T/worker" ]; then
	out=$(env -u DROVER_NAME -u DROVER_SLOT -u DROVER_GENERATION "$T/worker" 2>&1) ||
		error "the statically linked worker failed: $out"
fi
cc -std=gnu11 -Wall -Werror "${cflags[@]}" -I"$inst/usr/local/include" -o "$T/worker-so" "$T/worker.c" \
	-L"$inst/usr/local/lib" -ldrover -lrt -lpthread > "$T/cc-so.log" 2>&1 || { cat "$T/cc-so.log"; error "the same worker does not link against the shared libdrover"; }
if [ -x "$T/worker-so" ]; then
	out=$(env -u DROVER_NAME -u DROVER_SLOT -u DROVER_GENERATION LD_LIBRARY_PATH="$inst/usr/local/lib" "$T/worker-so" 2>&1) ||
		error "the worker linked with the shared libdrover failed: $out"
fi
pass
