# Build, test and install osism-manager-reset. `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
BIN := osism-manager-reset

.PHONY: all help build test lint format-check clippy install snapshots dry-run e2e

all: test

help:
	@echo "build      release binary in target/release/$(BIN)"
	@echo "test       unit, snapshot and fake-binary end-to-end tests (no Docker needed)"
	@echo "lint       cargo fmt --check and clippy with warnings denied"
	@echo "install    binary to \$$(DESTDIR)\$$(PREFIX)/bin, plugin.toml to .../share/osism/plugins"
	@echo "snapshots  review pending insta snapshots"
	@echo "dry-run    build and show the plan for this machine"
	@echo "e2e        the suite against a real Docker engine (root; sets the engine up)"

build:
	$(CARGO) build --release --locked

test:
	$(CARGO) test --locked

lint: format-check clippy

format-check:
	$(CARGO) fmt --check

clippy:
	$(CARGO) clippy --all-targets --all-features --locked -- -D warnings

install: build
	install -D -m 0755 target/release/$(BIN) $(DESTDIR)$(PREFIX)/bin/$(BIN)
	install -D -m 0644 plugin.toml $(DESTDIR)$(PREFIX)/share/osism/plugins/manager-reset.toml

snapshots:
	@command -v cargo-insta >/dev/null || { echo "install it: cargo install cargo-insta --locked"; exit 2; }
	$(CARGO) insta review --workspace

dry-run:
	$(CARGO) run --release --locked -- --dry-run

# The real-engine suite: sets up Docker, Compose and busybox (as root), then runs tests/e2e.
e2e:
	bash tests/e2e/setup.sh
	$(CARGO) test --locked --features e2e --test e2e -- --nocapture
