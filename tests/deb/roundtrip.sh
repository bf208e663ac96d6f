#!/usr/bin/env bash
# The Debian package's round trip, as an operator would have it, as root on a machine without
# OSISM (`make deb-test` builds the package first): lintian, the glibc it needs, install, the man
# page and completions, `osism manager reset` enabled for root, an operator and sudo by one
# command (the package's /etc/profile.d snippet gives login shells /usr/local/sbin), `osism plugin list`
# and a dry run through the dispatcher, other commands still reaching OSISM's wrapper (a
# stand-in, tests/it/fakes/osism-wrapper.sh), removed without disabling (the link goes, a foreign
# one stays), then disable and purge: no file of the package left, and `osism` is OSISM's
# wrapper again. Whatever happens, the machine is left as it was.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf 'deb-test: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { say "run me as root"; exit 2; }
export DEBIAN_FRONTEND=noninteractive

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
deb=${CARGO_TARGET_DIR:-target}/debian/osism-manager-reset_${version}_amd64.deb
[ -f "$deb" ] || fail "no $deb: run make deb"
link=/usr/local/sbin/osism
wrapper=/usr/local/bin/osism
operator=omr-deb-operator
[ -e "$wrapper" ] && fail "$wrapper exists: this test stands in for OSISM's wrapper there, so run it without OSISM"
id "$operator" >/dev/null 2>&1 && fail "the user $operator exists already"

for tool in lintian sudo man objdump; do
    command -v "$tool" >/dev/null || missing="${missing:-} $tool"
done
if [ -n "${missing:-}" ]; then
    say "installing lintian, sudo, man-db, binutils"
    apt-get install -y -q --no-install-recommends lintian sudo man-db binutils >/dev/null
fi

scratch=$(mktemp -d)
chmod 0755 "$scratch"  # the operator writes the stand-in's log in it
log=$scratch/wrapper.log
cleanup() {
    [ "$(readlink "$link" 2>/dev/null)" = /usr/lib/osism-manager-reset/osism ] && rm -f "$link"
    dpkg -s osism-manager-reset >/dev/null 2>&1 && dpkg --purge osism-manager-reset >/dev/null
    rm -f "$wrapper"
    id "$operator" >/dev/null 2>&1 && userdel --remove "$operator" 2>/dev/null
    rm -rf "$scratch" /var/tmp/osism-manager-reset.not-root.*
}
trap cleanup EXIT

say "lintian: no error, no warning"
lintian --fail-on error,warning "$deb"

say "the binary needs glibc 2.34 at most"
dpkg-deb -x "$deb" "$scratch/root"
newest=$(objdump -T "$scratch/root/usr/bin/osism-manager-reset" | grep -oE 'GLIBC_[0-9.]+' | sed 's/GLIBC_//' | sort -V | tail -n 1)
[ "$(printf '%s\n2.34\n' "$newest" | sort -V | tail -n 1)" = 2.34 ] || fail "it needs GLIBC_$newest"

say "OSISM's wrapper (a stand-in) and an operator user"
install -m 0755 tests/it/fakes/osism-wrapper.sh "$wrapper"
: > "$log"
chmod 0666 "$log"
useradd --create-home --shell /bin/bash "$operator"
as() { runuser --login "$1" --command "WRAPPER_LOG=$log $2"; }

state=/var/tmp/osism-manager-reset
state_was_there=
[ -e "$state" ] && state_was_there=1
if [ -z "$state_was_there" ]; then
    # Another user made the state directory first, and may swap it for a link at any moment:
    # the package takes nothing found there for root's.
    setpriv --reuid=65534 --regid=65534 --clear-groups -- mkdir -m 0777 "$state"
fi
say "install"
dpkg -i "$deb" >/dev/null
[ "$(stat -c '%a %U %G' "$state")" = "1777 root root" ] ||
    fail "the package did not make the state directory root's and sticky: $(stat -c '%a %U %G' "$state")"
grep -q "^d $state 1777 root root -$" /usr/lib/tmpfiles.d/osism-manager-reset.conf || fail "no tmpfiles entry for $state"
if [ -z "$state_was_there" ]; then
    set -- "$state".not-root.*
    [ -d "$1" ] && [ "$(stat -c %U "$1")" = nobody ] || fail "nobody's state directory was not moved aside: $*"
    rm -rf "$state".not-root.*
fi
dpkg -L osism-manager-reset > "$scratch/files"
[ "$(osism-manager-reset --version)" = "osism-manager-reset $version" ] || fail "--version: $(osism-manager-reset --version)"
[ "$(man -w osism-manager-reset)" = /usr/share/man/man1/osism-manager-reset.1.gz ] || fail "man -w: $(man -w osism-manager-reset)"
for completion in /usr/share/bash-completion/completions/osism-manager-reset \
    /usr/share/zsh/vendor-completions/_osism-manager-reset /usr/share/fish/vendor_completions.d/osism-manager-reset.fish; do
    grep -q -- --enable-osism-command "$completion" || fail "$completion does not complete the options"
done
[ -e "$link" ] && fail "the package itself put something at $link"
# The documents README links to are shipped beside it, so that every relative link resolves.
doc=/usr/share/doc/osism-manager-reset
for page in "$doc"/*.md "$doc"/docs/*.md; do
    for target in $(grep -o '](\([^)#]*\))' "$page" | sed 's/^](//; s/)$//' | grep -v '^[a-z]*:'); do
        [ -f "$(dirname "$page")/$target" ] || fail "$page links $target, which the package does not ship"
    done
done
for completion in /usr/share/bash-completion/completions/osism /usr/share/zsh/vendor-completions/_osism; do
    grep -q 'manager reset' "$completion" || fail "$completion does not complete osism manager reset"
done

say "before enabling, the login shells' osism is OSISM's wrapper: the profile.d snippet waits"
[ -f /etc/profile.d/osism-manager-reset.sh ] || fail "no /etc/profile.d/osism-manager-reset.sh"
as "$operator" 'type -a osism' | head -n 1 | grep -q "osism is $wrapper" ||
    fail "before --enable-osism-command: $(as "$operator" 'type -a osism' 2>&1)"

say "enable: one command as root, no dotfile edited, and the operator's next login shell has it"
osism-manager-reset --enable-osism-command --operator "$operator" > "$scratch/enable" 2>&1 ||
    { cat "$scratch/enable" >&2; fail "--enable-osism-command did not pass every check"; }
grep -q /usr/local/sbin "/home/$operator/.profile" && fail "a dotfile was edited"
# Each finds the dispatcher once, then OSISM's wrapper: the snippet adds nothing where PATH has it.
for who in "root's login shell" "$operator's login shell"; do
    grep -q "$who: \`osism\` runs the dispatcher, which chains to $wrapper" "$scratch/enable" ||
        fail "$who does not chain to $wrapper: $(cat "$scratch/enable")"
done
cat "$scratch/enable" >&2
for who in "root's login shell" "$operator's login shell" "sudo (its secure_path)"; do
    grep -q "$who: \`osism\` runs the dispatcher" "$scratch/enable" || fail "not checked for $who"
done

say "osism plugin list and a dry run through the dispatcher"
for user in root "$operator"; do
    as "$user" 'osism plugin list' | grep -qE "^osism manager reset +osism-manager-reset +$version +yes " ||
        fail "osism plugin list as $user: $(as "$user" 'osism plugin list' 2>&1)"
done
as "$operator" 'cd /tmp && osism manager reset --dry-run' > "$scratch/dry-run" ||
    fail "osism manager reset --dry-run: $(cat "$scratch/dry-run")"
grep -q '^Reset plan for the OSISM manager' "$scratch/dry-run" || fail "no plan: $(cat "$scratch/dry-run")"
as "$operator" 'osism apply facts' >/dev/null 2>&1 || true
grep -q $'^argv\x1fapply\x1ffacts ' "$log" || fail "osism apply facts did not reach OSISM's wrapper: $(cat "$log")"

say "removed without --disable-osism-command: the link goes, the snippet is inert"
dpkg --remove osism-manager-reset >/dev/null
[ -e "$link" ] || [ -L "$link" ] && fail "$link is left dangling after dpkg --remove"
: > "$log"
as "$operator" 'osism apply facts' >/dev/null 2>&1 || true
grep -q $'^argv\x1fapply\x1ffacts ' "$log" || fail "after the removal, osism is not OSISM's wrapper: $(cat "$log")"

say "a /usr/local/sbin/osism that is not the package's survives the package's removal"
dpkg -i "$deb" >/dev/null
ln -s "$wrapper" "$link"
dpkg --remove osism-manager-reset >/dev/null
[ "$(readlink "$link")" = "$wrapper" ] || fail "the removal took a link that was not its own"
rm -f "$link"

say "install again, enable, disable and purge: nothing of the package is left"
dpkg -i "$deb" >/dev/null
osism-manager-reset --enable-osism-command --operator "$operator" >/dev/null 2>&1 || fail "enable again"
osism-manager-reset --disable-osism-command
[ -e "$link" ] && fail "$link is still there"
as "$operator" 'type -a osism' | head -n 1 | grep -q "osism is $wrapper" ||
    fail "after --disable-osism-command the snippet still acts: $(as "$operator" 'type -a osism' 2>&1)"
dpkg --purge osism-manager-reset >/dev/null
while IFS= read -r path; do
    [ -d "$path" ] && continue
    [ -e "$path" ] || [ -L "$path" ] && fail "$path is left"
done < "$scratch/files"
for dir in /usr/lib/osism-manager-reset /usr/share/doc/osism-manager-reset; do
    [ -e "$dir" ] && fail "$dir is left"
done
[ -e /etc/profile.d/osism-manager-reset.sh ] && fail "the purge left /etc/profile.d/osism-manager-reset.sh"
[ -z "$state_was_there" ] && [ -e "$state" ] && fail "the purge left the empty state directory $state"
: > "$log"
as "$operator" 'osism apply facts' >/dev/null 2>&1 || true
grep -q $'^argv\x1fapply\x1ffacts ' "$log" || fail "osism is not OSISM's wrapper again: $(cat "$log")"
say "passed"
