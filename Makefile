# protokoll — one GNU Makefile for the library, the CLI, tests, fuzzing and benchmarks.
#
#   make                 build libprotokoll.a and ./protokoll
#   make test            build and run every test; last line "N passed, N failed"
#   make test SANITIZE=address,undefined
#   make demo            index the bundled corpus plus a generated archive and show a trend
#   make bench           measure speed and size (bench/RESULTS.md)
#   make deps            install the Debian packages the build needs (apt-get)
#   make fuzz FUZZ_TIME=60
#   make valgrind        the test suite under valgrind memcheck (slow; not part of make test)

CC       ?= cc
comma    := ,
SANITIZE ?=
WERROR   ?=
DEPS_PKGS = libpcre2-dev libjansson-dev libstemmer-dev libutf8proc-dev zlib1g-dev libdeflate-dev pkg-config hunspell-sv wswedish
TEST_PKGS = python3 python3-snowballstemmer

ifeq ($(SANITIZE),)
BUILD    := build/release
OPT      ?= -O3 -g
else
BUILD    := build/san-$(subst $(comma),-,$(SANITIZE))
OPT      ?= -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
endif

PKGS     := libpcre2-8 jansson zlib libutf8proc libdeflate
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(if $(WERROR),-Werror) \
            $(SANFLAGS) -Iinclude -Isrc $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lstemmer -lpthread -lm
LDFLAGS  += $(SANFLAGS)

LIB_SRC  := $(sort $(wildcard src/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libprotokoll.a
BIN      := $(BUILD)/protokoll

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test demo bench bench-peers deps check-deps fuzz valgrind clean
all: check-deps protokoll

# ./protokoll always points at the release build; sanitizer builds stay in build/.
protokoll: $(BIN)
ifeq ($(SANITIZE),)
	@ln -sf $(BIN) protokoll
endif

check-deps:
	@missing=""; \
	for p in libpcre2-8:libpcre2-dev jansson:libjansson-dev zlib:zlib1g-dev libutf8proc:libutf8proc-dev libdeflate:libdeflate-dev; do \
	  pkg-config --exists $${p%%:*} 2>/dev/null || missing="$$missing $${p#*:}"; \
	done; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	[ -f /usr/include/libstemmer.h ] || [ -f /usr/local/include/libstemmer.h ] || missing="$$missing libstemmer-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "protokoll: missing build dependencies:$$missing"; \
	  echo "  install them with: make deps   (runs: apt-get install -y$$missing)"; \
	  exit 1; \
	fi

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(DEPS_PKGS) $(TEST_PKGS) >/dev/null && echo "protokoll: dependencies installed"

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/harness.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# Fuzz targets double as regression tests: replayed over tests/fuzz/<target>/ by a plain main.
$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< tests/fuzz/replay_main.c $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

test: 
	@$(MAKE) --no-print-directory check-deps >/dev/null 2>&1 || $(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN) $(FUZZ_REPLAY) $(BENCH_BIN) protokoll
	@BUILD=$(BUILD) sh tests/run.sh

valgrind:
	@command -v valgrind >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq valgrind >/dev/null; }
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN) $(FUZZ_REPLAY) $(BENCH_BIN) protokoll
	@BUILD=$(BUILD) sh tests/valgrind.sh

demo:
	@$(MAKE) --no-print-directory check-deps >/dev/null 2>&1 || $(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory protokoll $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/demo.sh

bench:
	@$(MAKE) --no-print-directory protokoll $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/run.sh

bench-peers:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq sqlite3 libsqlite3-dev liblucene8-java default-jdk-headless >/dev/null && echo "protokoll: benchmark peers installed"

FUZZ_TIME ?= 60
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc $(PKG_CFLAGS)
fuzz:
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do \
	  t=$$(basename $$f .c); \
	  clang $(FUZZ_CFLAGS) -o build/fuzz/$$t $$f $(LIB_SRC) $(LDLIBS) || exit 1; \
	  mkdir -p tests/fuzz/$$t build/fuzz/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_TIME)s (new inputs in build/fuzz/corpus/$$t, crashes in tests/fuzz/$$t/)"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_TIME) -artifact_prefix=tests/fuzz/$$t/crash- \
	    build/fuzz/corpus/$$t tests/fuzz/$$t 2>&1 | tail -n 3; \
	done

clean:
	rm -rf build protokoll

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
