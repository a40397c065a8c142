# repro: the two commands of the README are `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
# repro itself is always the release build, a fully static executable (see Package.swift): it is
# what `make install` installs, what the demo runs and what the command-line tests run. The tests'
# own code is built in TEST_CONFIG (debug: quicker to build, with @testable imports).
TEST_CONFIG ?= debug
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: all deps build test test-corpus fuzz demo install clean lock

all: build

deps:
	scripts/install-deps.sh build

build: deps
	$(SWIFT) build -c release

# The tests run with a temp root of their own (TMPDIR), made fresh for each run and removed after
# it, so that nothing an earlier run left in /tmp can make them pass (scripts/run-tests.sh).
test:
	scripts/install-deps.sh test
	scripts/test-venv.sh >/dev/null
	$(SWIFT) build -c release
	$(SWIFT) build -c $(TEST_CONFIG) --build-tests
	scripts/run-tests.sh $(SWIFT) test -c $(TEST_CONFIG) --skip-build

# Only the corpus of real upstream projects (Tests/ReproCLITests/CorpusTests.swift), which `make test`
# runs too: downloads pinned by SHA-256, built in scripts/corpus-toolchain.sh's toolchain.
test-corpus:
	scripts/install-deps.sh test
	scripts/test-venv.sh >/dev/null
	$(SWIFT) build -c release
	$(SWIFT) build -c $(TEST_CONFIG) --build-tests
	scripts/run-tests.sh $(SWIFT) test -c $(TEST_CONFIG) --skip-build --filter CorpusTests

# The parsers of hostile input under libFuzzer, FUZZ_SECONDS (default 60) each, from the seeds in
# fuzz/corpus (scripts/fuzz.sh; docs/testing.md). `make test` runs the same targets for a few
# seconds each as a seeded mutation test, without libFuzzer.
fuzz:
	scripts/install-deps.sh build
	scripts/fuzz.sh

demo:
	scripts/install-deps.sh demo
	$(SWIFT) build -c release
	REPRO_BIN=$(BIN)/repro scripts/demo.sh

# Refreshes the committed base lock toolchains/debian-bookworm-build.toml (and the copy built into
# repro) from the current Debian archive: every .deb of minbase + build-essential pinned.
lock:
	$(SWIFT) build -c release
	scripts/lock-base-toolchain.sh $(BIN)/repro

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/repro $(DESTDIR)$(PREFIX)/share/repro/profiles $(DESTDIR)$(PREFIX)/share/repro/toolchains
	install -m 0755 $(BIN)/repro $(DESTDIR)$(PREFIX)/bin/repro
	install -m 0755 $(BIN)/repro-fetch $(DESTDIR)$(PREFIX)/libexec/repro/repro-fetch
	for f in profiles/*.toml; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/repro/profiles/ || true; done
	for f in toolchains/*.toml; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/repro/toolchains/ || true; done

clean:
	rm -rf .build
