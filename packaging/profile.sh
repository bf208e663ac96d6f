# osism-manager-reset: `osism manager reset` for every login shell, once an administrator has
# run `osism-manager-reset --enable-osism-command` (which links /usr/local/sbin/osism to the
# plugin dispatcher); until then, and after --disable-osism-command, this does nothing.
# Debian gives users other than root no /usr/local/sbin, and OSISM's own osism is in
# /usr/local/bin, so the dispatcher's directory goes first where it does not come first yet.
if [ "$(readlink /usr/local/sbin/osism 2>/dev/null)" = /usr/lib/osism-manager-reset/osism ]; then
    case ":$PATH:" in
        *:/usr/local/sbin:/usr/local/bin:* | *:/usr/local/sbin:*:/usr/local/bin:*) ;;
        *) PATH=/usr/local/sbin:$PATH; export PATH ;;
    esac
fi
