#!/usr/bin/env bash
# Stand-in for OSISM's current host wrapper, /usr/local/bin/osism (ansible-collection-services,
# roles/manager/templates/wrapper/osism.j2, as of 2026-08), behaving as it does: a warning for
# root, INTERACTIVE true only when stdin, stdout and stderr are all terminals (then -t), `update
# docker` on the host, OSISM_APPLY_RETRY and OSISM_RETRY passed on, everything else through
# `docker exec -i $PARAMETERS osismclient osism "$@"`. Before acting it appends what it saw to
# $WRAPPER_LOG: its argv (split by \x1f), the four variables (or "unset") and which of its
# streams are terminals.
seen() { if [ -n "${!1+x}" ]; then printf '%s=%s' "$1" "${!1}"; else printf '%s unset' "$1"; fi; }
terminals=""
[ -t 0 ] && terminals+=0
[ -t 1 ] && terminals+=1
[ -t 2 ] && terminals+=2
{
    printf 'argv'; for arg in "$@"; do printf '\x1f%s' "$arg"; done
    printf ' | %s | %s | %s | %s' "$(seen INTERACTIVE)" "$(seen PARAMETERS)" "$(seen OSISM_APPLY_RETRY)" "$(seen OSISM_RETRY)"
    printf ' | terminals %s\n' "${terminals:-none}"
} >> "$WRAPPER_LOG"

if [ "$(id -u)" == "0" ]; then
   echo -e "WARNING: OSISM CLI should not be used as root user\n" 1>&2
fi
PARAMETERS=${PARAMETERS:-}
if [[ -t 0 && -t 1 && -t 2 ]]; then
    INTERACTIVE=${INTERACTIVE:-true}
else
    INTERACTIVE=${INTERACTIVE:-false}
fi
if [[ $INTERACTIVE == "true" ]]; then
    PARAMETERS="$PARAMETERS -t"
fi
if [[ "$@" = *"update docker"* ]]; then
    shift
    shift
    exec osism-update-docker "$@"
fi
if [[ -n "${OSISM_APPLY_RETRY:-}" ]]; then
    PARAMETERS="$PARAMETERS --env OSISM_APPLY_RETRY=$OSISM_APPLY_RETRY"
fi
if [[ -n "${OSISM_RETRY:-}" ]]; then
    PARAMETERS="$PARAMETERS --env OSISM_RETRY=$OSISM_RETRY"
fi
docker exec -i $PARAMETERS osismclient osism "$@"
