# berth — build, test and demo.  See README.md.
#
#   make            build/berthd and build/berth
#   make demo       install what is missing, build, run the lab demo
#   make check      install what is missing, then every test (sanitizer build)
#   make bench      benchmarks (figures, not verdicts)

CC       ?= cc
PKGS     := libnl-3.0 libnl-route-3.0 libmnl libnftnl libcap jansson libevent libevent_pthreads libcurl \
            libarchive libcrypto ldns zlib
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu11 -D_GNU_SOURCE $(WARN) -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# build/ is the normal build; build-asan/ the sanitizer build that make check runs.
B        ?= build
LIB_SRC  := $(sort $(wildcard core/*.c drivers/*.c ipam/*.c runtime/*.c))
LIB_SRC  := $(filter-out core/main.c core/dns-main.c runtime/shim-main.c runtime/fsio-main.c,$(LIB_SRC))
CLI_SRC  := $(filter-out cli/main.c,$(sort $(wildcard cli/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps demo check unit integration compat bench asan format format-check clean
# berth-shim stays small (it runs beside every container); the file system
# helper that needs libarchive is a binary of its own.
# berth-dns, the embedded resolver, outlives berthd restarts as the shims do.
SHIM     := $(B)/berth-shim $(B)/berth-fsio $(B)/berth-dns
all: $(B)/berthd $(B)/berth $(SHIM)

# Quiet unless V=1.
Q        := $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libberth.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

# The version API reports the commit and the build time.
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
$(B)/obj/core/api-system.o: override CFLAGS += -DBERTH_GIT_COMMIT='"$(GIT_COMMIT)"' \
	-DBERTH_BUILD_TIME='"$(BUILD_TIME)"'

$(B)/berthd: $(B)/obj/core/main.o $(B)/libberth.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/berth-fsio: $(B)/obj/runtime/fsio-main.o $(B)/libberth.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/berth-dns: $(B)/obj/core/dns-main.o $(B)/libberth.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/berth-shim: $(B)/obj/runtime/shim-main.o $(B)/libberth.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libberthcli.a: $(CLI_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(B)/berth: $(B)/obj/cli/main.o $(B)/libberthcli.a $(B)/libberth.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link both libraries: everything but the two main()s.
$(B)/tests/%: tests/unit/%.c $(B)/libberthcli.a $(B)/libberth.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(B)/libberthcli.a $(B)/libberth.a \
		$(LDLIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(B)/obj/core/main.d $(B)/obj/cli/main.d \
	$(B)/obj/runtime/shim-main.d $(B)/obj/runtime/fsio-main.d $(B)/obj/core/dns-main.d $(UNITS:=.d)

deps:
	@scripts/deps.sh

# The sanitizer build: same sources, own directory.
asan:
	@$(MAKE) --no-print-directory B=build-asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
		build-asan/berthd build-asan/berth $(SHIM:$(B)/%=build-asan/%) $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)

unit: asan
	@set -e; for t in $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%); do \
		echo "== $$t"; $$t; done

integration: asan
	@BERTH_BIN=$(CURDIR)/build-asan tests/run-bats.sh tests/integration

compat: asan
	@BERTH_BIN=$(CURDIR)/build-asan tests/run-bats.sh tests/compat

check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit
	@BERTH_BIN=$(CURDIR)/build-asan tests/run-bats.sh tests/integration tests/compat

demo: deps
	@$(MAKE) --no-print-directory all
	@BERTH_BIN=$(CURDIR)/build scripts/demo.sh

bench: all
	@scripts/deps.sh bench
	@BERTH_BIN=$(CURDIR)/build tests/bench/run.sh

FMT_SRC = $(wildcard core/*.[ch] drivers/*.[ch] ipam/*.[ch] runtime/*.[ch] cli/*.[ch] tests/unit/*.[ch])
format:
	clang-format -i $(FMT_SRC)

format-check:
	@clang-format --dry-run --Werror $(FMT_SRC) && echo "format: ok"

clean:
	rm -rf build build-asan
