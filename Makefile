# repro: the two commands of the README are `make demo` and `make test`.
PREFIX ?= /usr/local
SWIFT ?= swift
# repro itself is always the release build, a fully static executable (see Package.swift): it is
# what `make install` installs, what the demo runs and what the command-line tests run. The tests'
# own code is built in TEST_CONFIG (debug: quicker to build, with @testable imports).
TEST_CONFIG ?= debug
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: all deps build release test test-corpus fuzz demo install install-files man clean lock

all: build

deps:
	scripts/install-deps.sh build

build: deps
	$(MAKE) release

# The release build, stripped: each binary's debug information and symbols move to a file beside
# it (BIN/repro.debug, BIN/repro-fetch.debug), which the binary names in its .gnu_debuglink
# section for gdb. A binary SwiftPM did not relink this time is stripped already and keeps its
# .debug file. Unstripped, repro is 3 times the size (docs/benchmarks.md, "Binary size").
# The C code of the dependencies (BoringSSL above all) is compiled with a section per function and
# per datum, so that the linker's --gc-sections drops what repro never calls: 0.5 MB. A plain
# `swift build -c release` builds without these flags, and the next `make release` rebuilds.
RELEASE_FLAGS := -Xcc -ffunction-sections -Xcc -fdata-sections
release:
	$(SWIFT) build -c release $(RELEASE_FLAGS)
	@for f in $(BIN)/repro $(BIN)/repro-fetch; do \
	    if readelf -S "$$f" | grep -q '\.debug_info'; then \
	        objcopy --only-keep-debug "$$f" "$$f.debug" && chmod 0644 "$$f.debug" && \
	        objcopy --strip-all --add-gnu-debuglink="$$f.debug" "$$f" "$$f.stripped" && \
	        mv "$$f.stripped" "$$f" || exit 1; \
	    fi; \
	done

# The tests run with a temp root of their own (TMPDIR), made fresh for each run and removed after
# it, so that nothing an earlier run left in /tmp can make them pass (scripts/run-tests.sh).
# The code's layout is the committed .swift-format's (swift-format comes with the Swift toolchain):
# `make format` applies it, and `make lint`, the first step of `make test`, fails on any line it
# would change, and on any function in Sources longer than 60 lines that
# scripts/long-functions.allow does not name with its reason (scripts/long-functions.py).
SWIFT_SOURCES := Package.swift Sources Tests fuzz
format:
	$(SWIFT) format --in-place --recursive --parallel $(SWIFT_SOURCES)

lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES)
	python3 scripts/long-functions.py --max 60 Sources

test: lint
	scripts/install-deps.sh test
	scripts/test-venv.sh >/dev/null
	$(MAKE) release
	$(SWIFT) build -c $(TEST_CONFIG) --build-tests
	scripts/run-tests.sh $(SWIFT) test -c $(TEST_CONFIG) --skip-build

# Only the corpus of real upstream projects (Tests/ReproCLITests/CorpusTests.swift), which `make test`
# runs too: downloads pinned by SHA-256, built in scripts/corpus-toolchain.sh's toolchain.
test-corpus:
	scripts/install-deps.sh test
	scripts/test-venv.sh >/dev/null
	$(MAKE) release
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
	$(MAKE) release
	REPRO_BIN=$(BIN)/repro scripts/demo.sh

# Refreshes the committed base lock toolchains/debian-bookworm-build.toml (and the copy built into
# repro) from the current Debian archive: every .deb of minbase + build-essential pinned.
lock:
	$(MAKE) release
	scripts/lock-base-toolchain.sh $(BIN)/repro

# `install` builds, then places the files; `install-files` only places them, from BIN (the tests
# run it with DESTDIR and the binaries they test). The debug files, when BIN has them, go under
# $(PREFIX)/lib/debug at the binaries' own paths (with PREFIX=/usr, /usr/lib/debug/usr/bin/repro.debug,
# where gdb looks by default). The man page is committed (docs/man/repro.1,
# made from the parser by `make man` and checked current by the tests); the shell completions are
# written by the installed binary itself.
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share

install: build
	$(MAKE) install-files BIN=$(BIN)

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/repro $(DESTDIR)$(DATADIR)/repro/profiles $(DESTDIR)$(DATADIR)/repro/toolchains
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 $(BIN)/repro $(DESTDIR)$(PREFIX)/bin/repro
	install -m 0755 $(BIN)/repro-fetch $(DESTDIR)$(PREFIX)/libexec/repro/repro-fetch
	if [ -e $(BIN)/repro.debug ]; then install -D -m 0644 $(BIN)/repro.debug $(DESTDIR)$(PREFIX)/lib/debug$(PREFIX)/bin/repro.debug; fi
	if [ -e $(BIN)/repro-fetch.debug ]; then install -D -m 0644 $(BIN)/repro-fetch.debug $(DESTDIR)$(PREFIX)/lib/debug$(PREFIX)/libexec/repro/repro-fetch.debug; fi
	for f in profiles/*.toml; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(DATADIR)/repro/profiles/ || true; done
	for f in toolchains/*.toml; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(DATADIR)/repro/toolchains/ || true; done
	install -m 0644 docs/man/repro.1 $(DESTDIR)$(MANDIR)/man1/repro.1
	$(BIN)/repro --generate-completion-script bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/repro
	$(BIN)/repro --generate-completion-script zsh > $(DESTDIR)$(DATADIR)/zsh/site-functions/_repro
	$(BIN)/repro --generate-completion-script fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/repro.fish
	chmod 0644 $(DESTDIR)$(DATADIR)/bash-completion/completions/repro $(DESTDIR)$(DATADIR)/zsh/site-functions/_repro $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/repro.fish

# Regenerates the committed man page from the built parser (InstallTests checks it is current).
man:
	$(MAKE) release
	$(BIN)/repro --experimental-dump-help | python3 scripts/manpage.py "repro $$($(BIN)/repro --version)" > docs/man/repro.1

clean:
	rm -rf .build
