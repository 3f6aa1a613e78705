# drover — build, run, test, bench, install.  All output lands under $(BUILD).
#
#   make            build droverd, droverctl, libdrover.{a,so}
#   make run        install missing build deps, build, run droverd on conf/drover.ini
#   make check      unit + e2e + fault tests, plain and under ASan/UBSan, fuzzers; ends "N passed, N failed"
#   make bench      drover side by side with supervisord, runit, s6 (QUICK=1 for a short run); tables in
#                   $(BUILD)/bench/, RECORD=1 also writes the tracked bench/RESULTS.md
#   make install    PREFIX=/usr/local DESTDIR=
#   make uninstall  the same variables: removes what install put

# Everything below the `else` reads `pkg-config` when make parses it, so it must be parsed after the
# build dependencies are there. A first pass (no DROVER_DEPS_DONE) therefore only installs what is
# missing (mk/deps.sh: apt-get as root, else the exact command) and then runs the goals again in a
# sub-make that reads this file afresh: every goal works as the first command on a fresh machine.
.DEFAULT_GOAL := all
NODEPS_GOALS  := clean deps uninstall

# Where install puts things (and uninstall takes them from): both passes, uninstall needs no deps.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
DESTDIR    ?=

ifeq ($(DROVER_DEPS_DONE),)

GOALS       := $(or $(MAKECMDGOALS),all)
BUILD_GOALS := $(filter-out $(NODEPS_GOALS),$(GOALS))
# What each goal needs beyond the build dependencies.
DEPS_EXTRA  := $(sort $(if $(filter check check-build,$(BUILD_GOALS)),cmocka) \
                      $(if $(filter check fuzz,$(BUILD_GOALS)),clang) \
                      $(if $(filter check,$(BUILD_GOALS)),tools supervisor daemons))
ifneq ($(BUILD_GOALS),)
.PHONY: $(BUILD_GOALS)
$(firstword $(BUILD_GOALS)):
	@sh mk/deps.sh $(DEPS_EXTRA)
	@$(MAKE) --no-print-directory DROVER_DEPS_DONE=1 $(BUILD_GOALS)
$(wordlist 2,$(words $(BUILD_GOALS)),$(BUILD_GOALS)): $(firstword $(BUILD_GOALS)) ;
endif

else

BUILD      ?= build
VERSION    := 0.1.0

CC         ?= cc
OBJCOPY    ?= objcopy
PKG_CFLAGS := $(shell pkg-config --cflags inih libsystemd 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs inih libsystemd 2>/dev/null)

WARN   := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wwrite-strings -Wno-unused-parameter -Werror
CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN  := -fsanitize=address,undefined
else
CFLAGS += -D_FORTIFY_SOURCE=2
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fstack-protector-strong -fPIC \
              -I. -Idaemon -Ilib -DDROVER_VERSION='"$(VERSION)"' -DDROVER_SYSCONFDIR='"$(SYSCONFDIR)"' \
              $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lev -lrt -lpthread

LIB_SRC    := $(sort $(wildcard lib/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c daemon/*/*.c))
CTL_SRC    := $(sort $(wildcard ctl/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test-*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/obj/%.o)
# Unit tests link everything but the two main()s.
DAEMON_LIBOBJ := $(filter-out $(BUILD)/obj/daemon/main.o,$(DAEMON_OBJ))
CTL_LIBOBJ    := $(filter-out $(BUILD)/obj/ctl/main.o,$(CTL_OBJ))
# droverctl -c FILE reads the instance name with droverd's own config reader.
CONF_OBJ      := $(filter $(BUILD)/obj/daemon/conf/%,$(DAEMON_OBJ))
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

.PHONY: all run check check-build bench install fuzz
# Everything `make run` needs, the demo worker included.
all: $(BUILD)/droverd $(BUILD)/droverctl $(BUILD)/libdrover.a $(BUILD)/libdrover.so $(BUILD)/drover.pc \
     $(BUILD)/examples/demo-worker $(BUILD)/examples/notify-demo

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# lib/ makes two libraries. libcommon.a, internal and never installed: the wire protocol, util,
# the scoreboard layout helpers and the worker API, linked into droverd, droverctl and the tests.
# libdrover.{a,so}, installed: the worker API of drover.h and what it uses, exporting drover_*
# only, so that a worker linking it (statically too) never collides with our xmalloc, strv_*...
# Its static form is one relocatable object whose other symbols are made local.
LIBDROVER_OBJ := $(addprefix $(BUILD)/obj/lib/,worker.o scoreboard.o util.o)

$(BUILD)/libcommon.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/libdrover.o: $(LIBDROVER_OBJ)
	$(LD) -r -o $(@D)/libdrover-r.o $^
	$(OBJCOPY) --wildcard --keep-global-symbol='drover_*' $(@D)/libdrover-r.o $@

$(BUILD)/libdrover.a: $(BUILD)/obj/libdrover.o
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdrover.so: $(LIBDROVER_OBJ) lib/libdrover.map
	$(CC) -shared -Wl,-soname,libdrover.so.0 -Wl,--version-script=lib/libdrover.map -o $@ $(LIBDROVER_OBJ) $(LDSAN) -lrt -lpthread

# drover.pc names the PREFIX it is for: the build tree's copy the PREFIX of the build (for use in
# place), the installed one the PREFIX of the install, written by `make install` itself (a tree
# built once and installed with another PREFIX must not install the build's).
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' lib/drover.pc.in
$(BUILD)/drover.pc: lib/drover.pc.in
	@mkdir -p $(@D)
	$(PC_SED) > $@

$(BUILD)/droverd: $(DAEMON_OBJ) $(BUILD)/libcommon.a
	$(CC) -o $@ $^ $(LDSAN) $(LDLIBS)

$(BUILD)/droverctl: $(CTL_OBJ) $(CONF_OBJ) $(BUILD)/libcommon.a
	$(CC) -o $@ $^ $(LDSAN) $(LDLIBS)

# Archives, so that a unit test links only the objects it uses.
$(BUILD)/libdroverd.a: $(DAEMON_LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdroverctl.a: $(CTL_LIBOBJ) $(CONF_OBJ)
	@rm -f $@
	ar rcs $@ $^

# (The headers a program includes are its prerequisites too, from its .d file: only its source
# and the archives go to the compiler, or gcc would precompile a header into the output.)
$(BUILD)/tests/test-ctl-%: tests/unit/test-ctl-%.c $(BUILD)/libdroverctl.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $(filter %.c %.a,$^) $(LDSAN) $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tests/test-%: tests/unit/test-%.c $(BUILD)/libdroverd.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $(filter %.c %.a,$^) $(LDSAN) $(LDLIBS) $(shell pkg-config --libs cmocka)

# The worker tests run by the thousand: static, never instrumented (an ASan process costs megabytes).
$(BUILD)/tests/worker-pause: tests/helpers/worker-pause.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $< 2>/dev/null || $(CC) -std=gnu11 $(WARN) -O2 -o $@ $<

# Test helper programs (workers, hostile clients) link libdrover as a worker does, then the
# internal library for what they need of the protocol and the scoreboard layout.
$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libdrover.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) $(LDSAN) -lrt -lpthread

check-build: all $(UNIT_BIN) $(HELPER_BIN) $(BUILD)/examples/demo-worker $(BUILD)/bench/sb-update

# Two trees: plain and ASan/UBSan; the runner prints the closing "N passed, N failed".
check:
	$(MAKE) --no-print-directory BUILD=build check-build
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 check-build
	@sh tests/run.sh build build/asan

fuzz:
	sh tests/fuzz/run.sh $(BUILD)/fuzz $(or $(FUZZ_SECONDS),30)

run: all
	./$(BUILD)/droverd -c conf/drover.ini

bench: all $(HELPER_BIN) $(BUILD)/bench/sb-update
	@sh bench/run.sh $(BUILD) $(if $(QUICK),quick,full) $(if $(RECORD),record)
	@sh bench/readiness.sh $(BUILD) $(if $(QUICK),quick,full) $(if $(RECORD),record)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib \
	           $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
	           $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	           $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/drover/conf.d
	install -m 0755 $(BUILD)/droverd $(DESTDIR)$(PREFIX)/sbin/droverd
	install -m 0755 $(BUILD)/droverctl $(DESTDIR)$(PREFIX)/bin/droverctl
	install -m 0644 $(BUILD)/libdrover.a $(DESTDIR)$(PREFIX)/lib/libdrover.a
	install -m 0755 $(BUILD)/libdrover.so $(DESTDIR)$(PREFIX)/lib/libdrover.so.0
	ln -sf libdrover.so.0 $(DESTDIR)$(PREFIX)/lib/libdrover.so
	$(PC_SED) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/drover.pc
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/drover.pc
	install -m 0644 lib/drover.h $(DESTDIR)$(PREFIX)/include/drover.h
	install -m 0644 man/drover.ini.5 $(DESTDIR)$(PREFIX)/share/man/man5/drover.ini.5
	install -m 0644 man/droverd.8 man/droverctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 ctl/droverctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/droverctl
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/droverd.service.in \
	    > $(DESTDIR)$(UNITDIR)/droverd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/droverd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/drover/drover.ini ] || \
	    install -m 0644 conf/drover.ini.system $(DESTDIR)$(SYSCONFDIR)/drover/drover.ini

# The example worker of the demo config (conf/drover.ini [program:counter]), built for `make run`.
$(BUILD)/examples/demo-worker: examples/demo-worker.c lib/drover.h $(BUILD)/libdrover.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libdrover.a $(LDSAN) -lrt -lpthread

# The demo's notify worker: the sd_notify protocol with plain sockets (no library).
$(BUILD)/examples/notify-demo: examples/notify-demo.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDSAN)

# The scoreboard update micro-benchmark (make bench).
# It builds the scoreboard objects itself (the internal library), then reports through libdrover.
$(BUILD)/bench/sb-update: bench/sb-update.c lib/drover.h $(BUILD)/libdrover.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libdrover.a $(BUILD)/libcommon.a $(LDSAN) -lrt -lpthread

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/examples $(BUILD)/bench -maxdepth 3 -name '*.d' -type f 2>/dev/null)

endif

.PHONY: clean deps uninstall
deps:
	@sh mk/deps.sh

clean:
	rm -rf build

# Exactly the files install put (the same PREFIX, SYSCONFDIR, UNITDIR and DESTDIR), and the
# directories of drover's own that are empty then. The config stays when it is not the one
# install wrote (an administrator's edits are not ours to delete), and that is said.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/droverd $(DESTDIR)$(PREFIX)/bin/droverctl \
	      $(DESTDIR)$(PREFIX)/lib/libdrover.a $(DESTDIR)$(PREFIX)/lib/libdrover.so.0 \
	      $(DESTDIR)$(PREFIX)/lib/libdrover.so $(DESTDIR)$(PREFIX)/lib/pkgconfig/drover.pc \
	      $(DESTDIR)$(PREFIX)/include/drover.h $(DESTDIR)$(PREFIX)/share/man/man5/drover.ini.5 \
	      $(DESTDIR)$(PREFIX)/share/man/man8/droverd.8 $(DESTDIR)$(PREFIX)/share/man/man8/droverctl.8 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/droverctl $(DESTDIR)$(UNITDIR)/droverd.service
	@f=$(DESTDIR)$(SYSCONFDIR)/drover/drover.ini; \
	if cmp -s conf/drover.ini.system "$$f"; then rm -f "$$f"; \
	elif [ -e "$$f" ]; then echo "uninstall: $$f kept (not the file install wrote)"; fi
	@rmdir $(DESTDIR)$(SYSCONFDIR)/drover/conf.d $(DESTDIR)$(SYSCONFDIR)/drover 2>/dev/null || true
