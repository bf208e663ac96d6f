# bash completion for `osism`, as the package's plugin dispatcher runs it: `osism manager reset
# <TAB>` completes osism-manager-reset's own options; every other osism word is left to the
# completion `osism` had before this one was loaded (OSISM's own, where one is installed), or to
# file names. Nothing of the plugin is offered where `osism` is not the dispatcher.

# The completion `osism` had when this file was loaded, if any: it keeps the other words.
_osism_plugin_before=$(complete -p osism 2>/dev/null | sed -nE 's/.* -F ([^ ]+) .*/\1/p')
[ "$_osism_plugin_before" = _osism_plugin_complete ] && _osism_plugin_before=

# Whether the osism this shell runs is the plugin dispatcher (as enabled, or from make install-wrapper).
_osism_plugin_dispatcher() {
    local osism
    osism=$(type -P osism) && grep -q '^# osism plugin dispatcher' "$(readlink -f "$osism")" 2>/dev/null
}

_osism_plugin_complete() {
    if ((COMP_CWORD >= 3)) && [[ ${COMP_WORDS[1]} == manager && ${COMP_WORDS[2]} == reset ]] &&
        _osism_plugin_dispatcher; then
        if ! declare -F _osism__manager__reset >/dev/null; then
            declare -F __load_completion >/dev/null && __load_completion osism-manager-reset
        fi
        declare -F _osism__manager__reset >/dev/null || return 0
        local cur=${COMP_WORDS[COMP_CWORD]}
        COMP_WORDS=(osism-manager-reset "${COMP_WORDS[@]:3}")
        COMP_CWORD=$((COMP_CWORD - 2))
        _osism__manager__reset osism-manager-reset "$cur" "${COMP_WORDS[COMP_CWORD - 1]}"
        return
    fi
    if ((COMP_CWORD == 2)) && [[ ${COMP_WORDS[1]} == manager && reset == "${COMP_WORDS[2]}"* ]] &&
        _osism_plugin_dispatcher; then
        COMPREPLY=(reset)
    fi
    if [ -n "$_osism_plugin_before" ]; then
        local -a ours=("${COMPREPLY[@]}")
        "$_osism_plugin_before" "$@"
        COMPREPLY+=("${ours[@]}")
    fi
}

complete -F _osism_plugin_complete -o bashdefault -o default osism
