# Sourced by setup.sh and the suite's image build scripts (systemd-host/build.sh, ara/build.sh):
# the Debian mirror apt already uses, and images kept by a hash of their recipe.

# The Debian mirror this machine's apt sources name (one-line or deb822 files); empty if none.
debian_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | grep -oE '^(URIs:|deb) +[^ ]+' | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true
}

# The tag of REPOSITORY for the recipe read from standard input (the build script, what it
# installs, what it depends on), this file included: a changed recipe is a new tag.
recipe_tag() {
    echo "$1:$( (cat; cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)"
}

# Removes the images of REPOSITORY but TAG: the older recipes' builds.
drop_older() {
    local old
    for old in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$1"); do
        [ "$old" = "$2" ] || docker image rm "$old" >/dev/null || true
    done
}
