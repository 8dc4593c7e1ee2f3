# keymail - an OpenPGP keyserver robot by mail.
#
#   make            build build/keymail
#   make check      install missing packages, build, run every test
#   make demo       run the robot on sample mails against a private PostgreSQL
#   make asan       the whole test suite under AddressSanitizer + UBSan
#   make install    PREFIX=/usr/local; also creates $(SYSCONFDIR)/keymail (/etc),
#                   never writes a configuration there
#
# Layers (includes only go downward): util <- pgp <- recon <- store, mail <- cmd <- serve <- keymail.c;
# net (the HTTP adapter, util only) <- serve

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SHAREDIR  ?= $(PREFIX)/share/keymail
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
B         ?= build

CC        ?= cc
PKGS       = libpq libgcrypt libetpan libpcre2-8 libmicrohttpd
CFLAGS    ?= -O2 -g
WARN       = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
             -Wpointer-arith -Wcast-qual -Wsign-compare
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Every mail starts keymail afresh, and loading shared objects is most of
# what a short run costs (bench/analysis.md, "The mail path"). libetpan
# (only its MIME parser is used) is linked from Debian's libetpan.a when
# it is there: that drops libetpan, libdb-5.3 and liblockfile from every
# start, some 15 % of its instructions. SHARED_ETPAN=1 links it as a
# shared library instead (as a distribution that wants every library's
# security update without a rebuild would). libetpan's pkg-config file
# also carries Debian's link flags (no PIE, relro, now): only the last
# two are kept, on purpose, below.
ETPAN_A   := $(firstword $(wildcard $(shell pkg-config --variable=libdir libetpan 2>/dev/null)/libetpan.a))
ifeq ($(SHARED_ETPAN)$(if $(ETPAN_A),,none),)
ETPAN_LIBS = -Wl,-Bstatic -letpan -Wl,-Bdynamic
else
ETPAN_LIBS = -letpan
endif
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libetpan,$(PKGS)) 2>/dev/null) $(ETPAN_LIBS)
LDFLAGS   += -Wl,-z,relro -Wl,-z,now
CPPFLAGS  += -Isrc -I$(B)/gen -D_GNU_SOURCE -DKM_HELP_DIR='"$(SHAREDIR)/help"' $(PKG_CFLAGS)
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS)
LDLIBS    += $(PKG_LIBS) -lm

UTIL_SRCS  = $(sort $(wildcard src/util/*.c))
PGP_SRCS   = $(sort $(wildcard src/pgp/*.c src/pgp/gcrypt/*.c))
RECON_SRCS = $(sort $(wildcard src/recon/*.c))
MAIL_SRCS  = $(sort $(wildcard src/mail/*.c))
STORE_SRCS = $(sort $(wildcard src/store/*.c)) $(B)/gen/store_schema.c
CMD_SRCS   = $(sort $(wildcard src/cmd/*.c))
NET_SRCS   = $(sort $(wildcard src/net/*.c))
SERVE_SRCS = $(sort $(wildcard src/serve/*.c))
LIB_SRCS   = $(UTIL_SRCS) $(PGP_SRCS) $(RECON_SRCS) $(MAIL_SRCS) $(STORE_SRCS) \
             $(CMD_SRCS) $(NET_SRCS) $(SERVE_SRCS)
LIB_OBJS   = $(patsubst %.c,$(B)/obj/%.o,$(patsubst $(B)/%,%,$(LIB_SRCS)))

UNIT_SRCS  = $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS  = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS  = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY = $(patsubst tests/fuzz/%.c,$(B)/tests/replay_%,$(FUZZ_SRCS))

SQL_FILES  = $(sort $(wildcard sql/[0-9]*.sql))

.PHONY: all check unit e2e demo asan install clean deps bench bench-1m bench-serve fuzz

all: $(B)/keymail

$(B)/keymail: $(B)/obj/src/keymail.o $(B)/libkeymail.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libkeymail.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: %.c $(wildcard src/*/*.h src/*/*/*.h) | $(B)/gen/store_schema.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The schema is compiled into the binary so `keymail initdb` needs no files.
$(B)/gen/store_schema.c: $(SQL_FILES) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(B)/tests/%_test: tests/unit/%_test.c $(wildcard tests/unit/*.h) $(B)/libkeymail.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkeymail.a $(LDLIBS)

# Test drivers for the end-to-end scripts (not installed).
$(B)/tests/control-verdict: tests/tools/control_verdict.c $(wildcard tests/unit/*.h) $(B)/libkeymail.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkeymail.a $(LDLIBS)

# Fuzz targets also build as plain programs that replay the saved corpus.
$(B)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay_main.c $(wildcard tests/fuzz/*.h) $(B)/libkeymail.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(B)/libkeymail.a $(LDLIBS)

# Test programs that drive the library from the e2e scripts (not installed).
$(B)/tests/tools/%: tests/tools/%.c $(B)/libkeymail.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libkeymail.a $(LDLIBS)

deps:
	sh scripts/deps.sh

check: deps
	$(MAKE) all-tests
	sh tests/run $(B)

all-tests: $(B)/keymail $(UNIT_BINS) $(FUZZ_REPLAY) $(B)/bench/kmgen \
    $(B)/tests/control-verdict $(B)/tests/tools/km_encrypt

unit: $(UNIT_BINS)

demo: deps
	$(MAKE) $(B)/keymail
	sh scripts/demo.sh $(B)

asan:
	$(MAKE) B=build/asan CC=clang \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" check

# Coverage-guided fuzzing with libFuzzer (clang). New corpus entries land in
# tests/fuzz/corpus/<target>, crashes in tests/fuzz/crashes/<target>; both
# are replayed by `make check`. FUZZ_SECONDS per target, FUZZ_JOBS in parallel.
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_TARGETS  = $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
fuzz:
	$(MAKE) B=build/fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build/fuzz/libkeymail.a
	@for t in $(FUZZ_TARGETS); do \
	    clang $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build/fuzz/$$t tests/fuzz/$$t.c build/fuzz/libkeymail.a $(LDLIBS) || exit 1; \
	    mkdir -p tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t; \
	    echo "fuzzing $$t for $(FUZZ_SECONDS)s x $(FUZZ_JOBS) jobs"; \
	    build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -max_len=65536 -rss_limit_mb=2048 \
	        -artifact_prefix=tests/fuzz/crashes/$$t/ tests/fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1; \
	    tail -n 3 fuzz-*.log 2>/dev/null; rm -f fuzz-*.log; \
	done

# The synthetic key corpus generator (bench/kmgen.c): the import test and
# the benchmarks use it. It calls libgcrypt directly (bench/, not src/).
$(B)/bench/kmgen: bench/kmgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -pthread -o $@ bench/kmgen.c \
	    $$(pkg-config --libs libgcrypt) -lm

# What one verification costs libgcrypt, by kind (the crypto floor of
# the benchmark).
$(B)/bench/vcost: bench/vcost.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ bench/vcost.c $$(pkg-config --libs libgcrypt)

# Import throughput, store size and command latency, side by side with
# onak (bench/RESULTS.md), then keymail serve (bench/RESULTS-serve.md).
# Not part of `make check`. bench-1m adds the store of 1,000,000 keys
# (long: run it when the machine is quiet).
bench: $(B)/keymail $(B)/bench/kmgen $(B)/bench/vcost
	sh bench/run.sh $(B)
	sh bench/serve.sh $(B)

bench-1m: $(B)/keymail $(B)/bench/kmgen $(B)/bench/vcost
	BENCH_1M=1 sh bench/run.sh $(B)

# keymail serve alone: LMTP against keymail filter on the same mails, and
# HKP requests/s (bench/RESULTS-serve.md); part of `make bench`.
bench-serve: $(B)/keymail $(B)/bench/kmgen
	sh bench/serve.sh $(B)

install: $(B)/keymail
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/help $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(B)/keymail $(DESTDIR)$(BINDIR)/keymail
	install -m 644 help/* $(DESTDIR)$(SHAREDIR)/help/
	install -m 644 man/keymail.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/keymail.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 scripts/keymail-sync.service scripts/keymail-sync.timer scripts/keymail-serve.service $(DESTDIR)$(SHAREDIR)/
	install -m 644 scripts/keymail-recon.service scripts/keymail-recon.timer $(DESTDIR)$(SHAREDIR)/
	install -m 644 sql/roles.sql $(DESTDIR)$(SHAREDIR)/
	install -m 644 scripts/keymail.conf.example scripts/msmtprc.example $(DESTDIR)$(SHAREDIR)/
	install -d -m 755 $(DESTDIR)$(SYSCONFDIR)/keymail

clean:
	rm -rf build
