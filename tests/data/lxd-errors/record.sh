#!/bin/sh
# Records what the real LXD client prints when it cannot reach its daemon, for tst_lxderror:
#   tests/data/lxd-errors/record.sh        (as root: the permission case runs lxc as nobody)
# Nothing here touches a running daemon: each case points LXD_DIR at a folder of its own under
# a temporary directory, with no socket, a socket nobody listens on, or a socket only root may
# use. The default socket (/var/lib/lxd/unix.socket) is used for the first case only when it is
# absent, so that the fixture carries the path people see.
#   <case>.txt    what the command printed (stdout and stderr)
#   commands.txt  case, exit status, command
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v lxc >/dev/null 2>&1 || { echo "record.sh: lxc is not installed" >&2; exit 2; }
# A fixed folder, so that a new recording differs from the last only where lxc's words do.
tmp=/tmp/nestscope-lxd-errors
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -m 755 "$tmp" "$tmp/missing" "$tmp/refused" "$tmp/denied" "$tmp/emptybin" "$tmp/home"
# lxc writes its configuration into HOME on first use (and says so, once: the first case below
# shows what a new user sees); nobody gets a home of its own.
mkdir -m 755 "$tmp/home-nobody"
chown nobody "$tmp/home-nobody"
# A socket file that nobody listens on (bound, never listening): connect() is refused.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/refused/unix.socket"
# A socket only root may use, as LXD's is for a user outside the lxd group.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/denied/unix.socket"
chmod 600 "$tmp/denied/unix.socket"

printf '# What lxc %s printed, recorded by tests/data/lxd-errors/record.sh\n' "$(lxc --version)" >"$here/commands.txt"
printf '# columns (tab-separated): case, exit status, command\n' >>"$here/commands.txt"
record() { # record CASE COMMAND...
    name=$1; shift
    rc=0
    "$@" >"$here/$name.txt" 2>&1 </dev/null || rc=$?
    printf '%s\t%s\t%s\n' "$name" "$rc" "$*" >>"$here/commands.txt"
}
if [ ! -e /var/lib/lxd/unix.socket ] && [ -z "${LXD_DIR:-}" ]; then
    record daemon-not-running env HOME="$tmp/home" lxc query /1.0
else
    record daemon-not-running env HOME="$tmp/home" LXD_DIR="$tmp/missing" lxc query /1.0
fi
record connection-refused env HOME="$tmp/home" LXD_DIR="$tmp/refused" lxc query /1.0
record permission-denied setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME="$tmp/home-nobody" LXD_DIR="$tmp/denied" lxc query /1.0
record networks-daemon-not-running env HOME="$tmp/home" LXD_DIR="$tmp/missing" lxc query '/1.0/networks?recursion=1'
# The client missing, as a remote shell reports it: dash (Debian's sh) and bash.
record client-not-found-sh env -i PATH="$tmp/emptybin" /bin/sh -c 'lxc query /1.0'
record client-not-found-bash env -i PATH="$tmp/emptybin" /bin/bash -c 'lxc query /1.0'
# Not about the socket: nobody may not read the configuration lxc keeps in a home that root's
# runs above created (a "permission denied" that no group membership cures).
record config-unreadable setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME="$tmp/home" LXD_DIR="$tmp/missing" lxc query /1.0
