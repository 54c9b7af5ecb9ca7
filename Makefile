# Artemis in C — one entry point.
#
#   make            build every program into bin/
#   make check      unit + bats tests, then the same under ASan+UBSan, then conformance
#   make run        build and start a node on etc/artemis.conf
#   make bench      load figures into docs/benchmarks.md
#   make install    PREFIX=/usr/local DESTDIR=
#
# Layout is discovered, not listed: libcommon/*.c is the shared library,
# cmd/<program>/*.c is one program, test/unit/test_*.c is one unit test each.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build/release
SAN     ?= 0

CC      ?= cc
PKGS     = libmicrohttpd json-c zlib sqlite3 libbsd-overlay inih libcurl libmd
WARN     = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS  ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilibcommon \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnng -lwslay -lpthread -lm
# registryd decodes every registration with json-c, which makes ~60 small
# allocations per instance: mimalloc registers 20-25 % more instances/s than
# glibc malloc there (docs/benchmarks.md). Not with the sanitizers, which bring
# their own allocator.
ifneq ($(SAN),1)
LIBS_artemis-registryd = -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state
endif

PROGRAMS  := $(notdir $(wildcard cmd/*))
LIB_SRC   := $(wildcard libcommon/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A     := $(BUILD)/libcommon.a
UNIT_SRC  := $(wildcard test/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)
UNIT_HELP := $(filter-out $(UNIT_SRC),$(wildcard test/unit/*.c))
BIN_OUT   := $(BUILD)/bin

.PHONY: all deps build programs units check check-unit check-bats check-san \
	check-conformance run bench install clean

all: deps
	@$(MAKE) --no-print-directory build
	@mkdir -p bin
	@for p in $(PROGRAMS); do ln -sf ../$(BIN_OUT)/$$p bin/$$p; done

build: $(LIB_A) units programs

deps:
	@./contrib/install-deps

programs: $(PROGRAMS:%=$(BIN_OUT)/%)
units: $(UNIT_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Each program: every .c in its folder, linked with libcommon.
define program_rule
$(BIN_OUT)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS_$(1)) $$(LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# Unit tests may test program internals: test_<prog>_*.c also links cmd/<prog>/*.c
# except main.c. Helpers shared by tests live in test/unit/*.c without the test_ prefix.
prog_objs = $(patsubst %.c,$(BUILD)/%.o,$(filter-out cmd/$(1)/main.c,$(wildcard cmd/$(1)/*.c)))
prog_of   = $(firstword $(foreach p,$(PROGRAMS),$(if $(filter test_$(p)_%,$(1)),$(p))))
define unit_rule
$(BUILD)/test/$(1): test/unit/$(1).c $(UNIT_HELP:%.c=$(BUILD)/%.o) \
		$(call prog_objs,$(call prog_of,$(1))) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -Itest/unit -o $$@ $$(filter %.c %.o %.a,$$^) $$(LIBS)
endef
$(foreach t,$(UNIT_SRC:test/unit/%.c=%),$(eval $(call unit_rule,$(t))))

# ---------------------------------------------------------------- tests
check: all
	@MAKE="$(MAKE)" ./test/check

check-unit: $(LIB_A) units
	@./test/run-unit $(BUILD) $(UNIT_BIN)

check-bats: build
	@ARTEMIS_BIN=$(CURDIR)/$(BIN_OUT) ./test/run-bats $(BUILD)

check-san:
	@$(MAKE) --no-print-directory build BUILD=build/asan SAN=1
	@$(MAKE) --no-print-directory check-unit check-bats BUILD=build/asan SAN=1

check-conformance: all
	@./test/run-conformance

# ---------------------------------------------------------------- run, bench, install
run: all
	@mkdir -p run
	exec bin/artemis up -f etc/artemis.conf

bench: all
	@WITH_BENCH=1 ./contrib/install-deps
	@./contrib/bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/artemis \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc/artemis
	for p in $(PROGRAMS); do install -m 755 $(BIN_OUT)/$$p $(DESTDIR)$(PREFIX)/bin/$$p; done
	for m in $(wildcard man/*.1); do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for m in $(wildcard man/*.5); do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done
	for m in $(wildcard man/*.8); do install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done
	cp -R share/. $(DESTDIR)$(PREFIX)/share/artemis/
	[ -e $(DESTDIR)/etc/artemis/artemis.conf ] || install -m 644 etc/artemis.conf $(DESTDIR)/etc/artemis/

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
