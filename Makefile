# Build, test and install osism-manager-reset. `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
BIN := osism-manager-reset
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
RELEASE := $(TARGET_DIR)/release/$(BIN)
GENERATED := target/generated

.PHONY: all help build test test-unprivileged lint format-check clippy install install-wrapper uninstall snapshots dry-run e2e bench deb deb-test

all: test

help:
	@echo "build            release binary, man page and shell completions (in $(GENERATED))"
	@echo "test             unit, snapshot and fake-binary end-to-end tests (no Docker needed)"
	@echo "test-unprivileged as root: the fake-binary suite once more as the user nobody"
	@echo "lint             cargo fmt --check and clippy with warnings denied"
	@echo "e2e              the suite against a real Docker engine (root; sets the engine up)"
	@echo "bench            figures against their targets on the real engine, into BENCHMARKS.md"
	@echo "                 (BENCH=\"GROUP...\": only those groups, printed, BENCHMARKS.md untouched;"
	@echo "                 startup overhead scale verification large moved-tag kept)"
	@echo "deb              the Debian package, target/debian/$(BIN)_VERSION_amd64.deb (cargo-deb)"
	@echo "deb-test         as root: build, lintian, install, enable, use, disable and purge the package"
	@echo "install          binary, plugin manifest, man page, completions under \$$(DESTDIR)\$$(PREFIX)"
	@echo "install-wrapper  the osism plugin dispatcher, as \$$(DESTDIR)\$$(PREFIX)/sbin/osism"
	@echo "uninstall        remove what install and install-wrapper put in place"
	@echo "snapshots        review pending insta snapshots"
	@echo "dry-run          build and show the plan for this machine"

build:
	$(CARGO) build --release --locked
	mkdir -p $(GENERATED)
	$(RELEASE) --generate man > $(GENERATED)/$(BIN).1
	$(RELEASE) --generate bash > $(GENERATED)/$(BIN).bash
	$(RELEASE) --generate zsh > $(GENERATED)/_$(BIN)
	$(RELEASE) --generate fish > $(GENERATED)/$(BIN).fish

test:
	$(CARGO) test --locked

# The fake-binary suite as an operator who is not root (nobody): plans then hold sudo. Built by
# root in a copy that nobody can read wherever the checkout is; the tidy tests, which run
# root's cargo, are left to `make test`.
UNPRIVILEGED ?= /tmp/osism-manager-reset-unprivileged
test-unprivileged:
	rm -rf $(UNPRIVILEGED) && mkdir -p $(UNPRIVILEGED)
	git ls-files -z | xargs -0 cp --parents -t $(UNPRIVILEGED)
	cd $(UNPRIVILEGED) && $(CARGO) test --locked --no-run --test it 2>&1 | tail -n 3
	chmod -R a+rX $(UNPRIVILEGED)
	cd /tmp && setpriv --reuid=65534 --regid=65534 --clear-groups -- env HOME=/tmp INSTA_UPDATE=no \
		$$(ls -t $(UNPRIVILEGED)/target/debug/deps/it-* | grep -v '\.d$$' | head -n 1) --skip tidy::

lint: format-check clippy

format-check:
	$(CARGO) fmt --check

clippy:
	$(CARGO) clippy --all-targets --all-features --locked -- -D warnings

install: build
	install -D -m 0755 $(RELEASE) $(DESTDIR)$(PREFIX)/bin/$(BIN)
	install -D -m 0644 plugin.toml $(DESTDIR)$(PREFIX)/share/osism/plugins/manager-reset.toml
	install -D -m 0644 $(GENERATED)/$(BIN).1 $(DESTDIR)$(PREFIX)/share/man/man1/$(BIN).1
	install -D -m 0644 $(GENERATED)/$(BIN).bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$(BIN)
	install -D -m 0644 $(GENERATED)/_$(BIN) $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$(BIN)
	install -D -m 0644 $(GENERATED)/$(BIN).fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$(BIN).fish

# In sbin, which OSISM's manager role never writes and which comes before bin in Debian's and
# Ubuntu's default PATH and in sudo's secure_path: `osism` finds the dispatcher first, and the
# dispatcher finds OSISM's own wrapper in $(PREFIX)/bin after it.
install-wrapper:
	install -D -m 0755 wrapper/osism $(DESTDIR)$(PREFIX)/sbin/osism
	install -D -m 0644 packaging/completion/osism.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/osism
	install -D -m 0644 packaging/completion/_osism $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_osism

INSTALLED := bin/$(BIN) share/osism/plugins/manager-reset.toml share/man/man1/$(BIN).1 \
	share/bash-completion/completions/$(BIN) share/zsh/site-functions/_$(BIN) \
	share/fish/vendor_completions.d/$(BIN).fish sbin/osism share/bash-completion/completions/osism \
	share/zsh/site-functions/_osism

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))
	-rmdir $(DESTDIR)$(PREFIX)/share/osism/plugins $(DESTDIR)$(PREFIX)/share/osism 2>/dev/null

snapshots:
	@command -v cargo-insta >/dev/null || { echo "install it: cargo install cargo-insta --locked"; exit 2; }
	$(CARGO) insta review --workspace

dry-run:
	$(CARGO) run --release --locked -- --dry-run

# The real-engine suite: sets up Docker, Compose and busybox (as root), then runs tests/e2e.
e2e:
	bash tests/e2e/setup.sh
	$(CARGO) test --locked --features e2e --test e2e -- --nocapture

# The Debian package, by cargo-deb (installed here when missing): the release binary, its man
# page and completions from `make build`, and a changelog made from Cargo.toml's version and
# the last commit's date, so that the version has one source and the package builds the same.
CARGO_DEB ?= $(shell command -v cargo-deb 2>/dev/null || echo $(HOME)/.cargo/bin/cargo-deb)
deb: build
	@test -x $(CARGO_DEB) || echo "make deb: no cargo-deb here; installing it from crates.io into ~/.cargo/bin"
	test -x $(CARGO_DEB) || $(CARGO) install --locked cargo-deb
	gzip -9n < $(GENERATED)/$(BIN).1 > $(GENERATED)/$(BIN).1.gz
	version=$$($(RELEASE) --version | cut -d' ' -f2); \
	date=$$(date -R -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s)); \
	printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
		$(BIN) "$$version" "$$version" \
		"osism-manager-reset developers <osism-manager-reset@osism.tech>" "$$date" \
		| gzip -9n > $(GENERATED)/changelog.gz
	$(CARGO_DEB) --no-build --locked
	@cd target/debian && sha256sum $(BIN)_*.deb

# The package's round trip, as an operator would have it (root; see tests/deb/roundtrip.sh).
deb-test: deb
	bash tests/deb/roundtrip.sh

# Benchmarks on the real engine; writes BENCHMARKS.md. BENCH names groups to run alone, printed.
BENCH ?=
bench:
	bash tests/e2e/setup.sh
	$(CARGO) bench --locked --features e2e --bench reset -- $(BENCH)
