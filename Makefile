# mtasts build: the binary, tests, sanitizer and fuzz builds, demo, benchmark, install.
#
#   make            build ./mtasts (optimised, -Werror)
#   make deps       install the Debian packages the build, tests and test world need
#   make test       build and run every test (unit, vectors, fuzz smoke, integration)
#   make asan       the same test suite built with ASan + UBSan (clang)
#   make fuzz       libFuzzer harnesses for the parsers, FUZZ_SECONDS each (default 60)
#   make fuzz-seed  seed the fuzzers' corpora from every vector and hostile fixture
#   make demo       the main job: scan data/sample on the local test world and report
#   make bench      the benchmark of the scanner against the 1,000,000-domain bench world
#   make install    PREFIX=/usr/local: binary and man page
#   make format     apply .clang-format to every C file
#
# Sources are picked up by folder; each folder builds one static library, so a unit test
# links only the layers it needs.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
PKGS     := libcares libcurl openssl sqlite3 libzstd libidn2 jansson gmime-3.0 libzip zlib libpsl
OPT      ?= -O2 -g
CFLAGS   += $(OPT) -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -fno-common \
            -D_FORTIFY_SOURCE=2 -fstack-protector-strong
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -I. $(PKG_CFLAGS) -D_GNU_SOURCE
LDLIBS   += $(PKG_LIBS) -lpthread -lm
BIN      ?= mtasts

RULES_SRC   := $(wildcard rules/*.c)
LIB_SRC     := $(wildcard lib/*.c)
STORE_SRC   := $(wildcard store/*.c)
REPORTS_SRC := $(wildcard reports/*.c)
TLSRPT_SRC  := $(wildcard tlsrpt/*.c)
SCANNER_SRC := $(filter-out scanner/main.c,$(wildcard scanner/*.c scanner/*/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBRULES   := $(BUILD)/librules.a
LIBMT      := $(BUILD)/libmt.a
LIBSTORE   := $(BUILD)/libstore.a
LIBREPORTS := $(BUILD)/libreports.a
LIBTLSRPT  := $(BUILD)/libtlsrpt.a
LIBSCANNER := $(BUILD)/libscanner.a
# Link order: a library comes before the ones it uses.
ALL_LIBS := $(LIBSCANNER) $(LIBREPORTS) $(LIBTLSRPT) $(LIBSTORE) $(LIBRULES) $(LIBMT)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_HDRS  := $(wildcard tests/unit/*.h)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps test tests asan asan-bin fuzz fuzz-build fuzz-seed demo bench install format clean check-format
.DEFAULT_GOAL := all

all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(LIBRULES): $(call obj,$(RULES_SRC))
$(LIBMT): $(call obj,$(LIB_SRC))
$(LIBSTORE): $(call obj,$(STORE_SRC))
$(LIBREPORTS): $(call obj,$(REPORTS_SRC))
$(LIBTLSRPT): $(call obj,$(TLSRPT_SRC))
$(LIBSCANNER): $(call obj,$(SCANNER_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(call obj,scanner/main.c) $(ALL_LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: tests/unit/test_<layer>_*.c links the layer and the ones below it.
$(BUILD)/tests/test_rules_%: tests/unit/test_rules_%.c $(UNIT_HDRS) $(LIBRULES) $(LIBMT)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBRULES) $(LIBMT) $(LDLIBS)
# The corpus replay also runs the IMAP FETCH harness (tlsrpt/imap_fetch.c, pure).
$(BUILD)/tests/test_rules_corpus: tests/unit/test_rules_corpus.c $(UNIT_HDRS) $(wildcard tests/fuzz/*.c tests/fuzz/*.h) $(LIBTLSRPT) $(LIBRULES) $(LIBMT)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBTLSRPT) $(LIBRULES) $(LIBMT) $(LDLIBS)
$(BUILD)/tests/test_lib_%: tests/unit/test_lib_%.c $(UNIT_HDRS) $(LIBMT)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBMT) $(LDLIBS)
$(BUILD)/tests/test_store_%: tests/unit/test_store_%.c $(UNIT_HDRS) $(LIBSTORE) $(LIBRULES) $(LIBMT)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBSTORE) $(LIBRULES) $(LIBMT) $(LDLIBS)
$(BUILD)/tests/test_%: tests/unit/test_%.c $(UNIT_HDRS) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

tests: $(BIN) $(UNIT_TESTS) $(BUILD)/latency-proxy

# The test world's delay proxy (`world up --latency` builds its own copy on demand); built
# here too so the project's warning flags check it.
$(BUILD)/latency-proxy: scripts/world/latency_proxy.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -D_GNU_SOURCE $(LDFLAGS) -o $@ $<

deps:
	bash scripts/install-deps.sh

# The test command of the README and of .ci/run. The integration suite scan_sanitizers scans
# the world with the ASan + UBSan + LSan binary built here.
test: tests fuzz-build asan-bin
	MTASTS_BIN=$(abspath $(BIN)) MTASTS_BUILD=$(BUILD) \
	    MTASTS_ASAN_BIN=$(abspath build/asan-scan/mtasts) tests/run

# The binary alone under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer is part
# of ASan), in its own build folder.
asan-bin:
	$(MAKE) BUILD=build/asan-scan BIN=build/asan-scan/mtasts CC=clang \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" build/asan-scan/mtasts

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/mtasts CC=clang \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" test

# libFuzzer harnesses (clang): tests/fuzz/fuzz_<name>.c, each linked with the rules.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -D_GNU_SOURCE
FUZZ_LIBS    := $(shell pkg-config --libs jansson 2>/dev/null)
build/fuzz/%: tests/fuzz/%.c $(RULES_SRC) $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(RULES_SRC) $(LIB_SRC) $(FUZZ_LIBS)
# The MIME extraction harness also links the tlsrpt/ extractors and GMime, zlib, libzip.
FUZZ_MIME_SRC := tlsrpt/payload.c tlsrpt/mime.c
build/fuzz/fuzz_tlsrpt_mime: tests/fuzz/fuzz_tlsrpt_mime.c $(RULES_SRC) $(LIB_SRC) $(FUZZ_MIME_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(RULES_SRC) $(LIB_SRC) $(FUZZ_MIME_SRC) $(PKG_LIBS)
# The IMAP FETCH harness links the pure literal reader of tlsrpt/.
build/fuzz/fuzz_imap_fetch: tests/fuzz/fuzz_imap_fetch.c tlsrpt/imap_fetch.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< tlsrpt/imap_fetch.c
fuzz-build: $(FUZZ_BINS)
# Seeds tests/fuzz/corpus/ from every vector and hostile fixture (commit what it adds).
fuzz-seed: tests
	tests/fuzz/seed-corpus
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzzers

demo: $(BIN)
	MTASTS_BIN=$(abspath $(BIN)) bash scripts/demo.sh

bench: $(BIN)
	MTASTS_BIN=$(abspath $(BIN)) bash scripts/bench.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/mtasts
	install -m 0644 docs/mtasts.1 $(DESTDIR)$(PREFIX)/share/man/man1/mtasts.1
	install -d $(DESTDIR)$(PREFIX)/share/mtasts
	install -m 0755 scripts/snapshot.sh $(DESTDIR)$(PREFIX)/share/mtasts/snapshot.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build $(BIN)
