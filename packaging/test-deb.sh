#!/usr/bin/env bash
# Installs Nestscope's .deb into a fresh minimal Debian 12 root and runs it there: the package's
# Depends must bring everything it needs (apt-get pulls them from the machine's own Debian
# mirror, without Recommends), `nestscope --version` and `--help` must answer, a local plan must
# run to the end with its results in JSON and in a SQLite store, `nestscope topology` must draw
# offscreen, and the workbench must start on the offscreen platform and on X11 (Xvfb).
#
#   packaging/test-deb.sh BUILD_DIR     builds the package there (cpack -G DEB), then tests it
#   packaging/test-deb.sh FILE.deb      tests that package
#
#   NESTSCOPE_DEB_WORKDIR=DIR   where the root and the package cache live
#                               (default: BUILD_DIR/deb-test, or /var/tmp/nestscope-deb-test)
#   NESTSCOPE_KEEP_ROOT=1       keeps the root afterwards, to look around (chroot DIR/root)
#
# Needs root (debootstrap, chroot). Without it the test skips (exit code 77), under CI=true it
# fails. Safe to rerun: every run starts from a new root. Everything it mounts (the root's /proc,
# a /tmp/.X11-unix for Xvfb) is mounted in a private mount and PID namespace (unshare), so the mounts and
# every process started vanish with the namespace, however the test ends. Nothing is written
# outside the work folder; /var/cache/apt/archives is only read (hard-linked or copied into the
# work folder's cache so that debootstrap and apt download only what the machine does not have).
# The checks below are functions run through check(): shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

script=$(readlink -f "$0")
suite=bookworm

die() {
    echo "test-deb: $*" >&2
    exit 1
}

# --- helpers, and inside(): what runs in the namespace -----------------------------------------

# The Debian entries of this machine's apt sources (one-line and deb822 formats), for $suite and
# its -updates/-security suites, as "URI SUITE COMPONENTS..." lines.
host_debian_sources() {
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    local f
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && files+=("$f")
    done
    ((${#files[@]})) || return 0
    awk -v suite="$suite" '
        function keep(s) { return s == suite || index(s, suite "-") == 1 || index(s, suite "/") == 1 }
        function flush(   i, j, n, m, s, u) {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
                n = split(suites, s, /[ \t]+/); m = split(uris, u, /[ \t]+/)
                for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) if (keep(s[i]) && u[j] != "") print u[j], s[i], comps
            }
            types = uris = suites = comps = enabled = ""
        }
        FNR == 1 { flush(); deb822 = FILENAME ~ /\.sources$/ }
        /^[ \t]*#/ { next }
        !deb822 {
            if ($1 != "deb") next
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
            if (keep($(i + 1))) { line = $i " " $(i + 1); for (j = i + 2; j <= NF; j++) line = line " " $j; print line }
            next
        }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { next }   # a continuation line (an inline key): nothing we need
        {
            key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
            if (key == "types") types = val; else if (key == "uris") uris = val
            else if (key == "suites") suites = val; else if (key == "components") comps = val
            else if (key == "enabled") enabled = val
        }
        END { flush() }
    ' "${files[@]}" | sort -u
}

# Links (or copies, across file systems) each .deb of $1 that $2 does not have yet into $2.
share_debs() {
    local from=$1 to=$2 f
    for f in "$from"/*.deb; do
        [[ -e $f ]] || continue
        [[ -e $to/${f##*/} ]] && continue
        ln "$f" "$to/" 2>/dev/null || cp "$f" "$to/"
    done
}

inside() {
    local work=$1 deb=$2 mirror=$3
    local root=$work/root cache=$work/cache
    local debname=${deb##*/}
    local t0=$SECONDS

    echo "test-deb: debootstrap --variant=minbase $suite from $mirror"
    # In two stages, to tell dpkg in between that this root is thrown away: no fsync per file.
    if ! debootstrap --foreign --variant=minbase --cache-dir="$cache" "$suite" "$root" "$mirror" \
        >"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed (log: $work/debootstrap.log)"
    fi
    mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
    echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/90unsafe-io"
    echo "test-deb: first stage (download, unpack) in $((SECONDS - t0)) s"
    if ! env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" /debootstrap/debootstrap --second-stage \
        >>"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
        die "debootstrap --second-stage failed (log: $work/debootstrap.log)"
    fi
    echo "test-deb: minimal root made in $((SECONDS - t0)) s ($(du -sh "$root" | cut -f1))"

    # The same Debian suites and mirror settings as this machine (an image may pin a snapshot
    # whose Release files are past their Valid-Until; apt here must read them as the host does).
    host_debian_sources | sed 's/^/deb /' >"$root/etc/apt/sources.list"
    apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy)' \
        >"$root/etc/apt/apt.conf.d/90host-mirror" || true
    echo 'Acquire::Languages "none";' >>"$root/etc/apt/apt.conf.d/90host-mirror" # 6 MB nobody reads here
    # A fresh root has no /etc/hosts (an installer writes it); without it `localhost` would be
    # asked of the DNS server off this machine.
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    mount -t proc proc "$root/proc"
    cp "$deb" "$root/tmp/$debname"

    local -a in_root=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$root")
    t0=$SECONDS
    "${in_root[@]}" apt-get update -q >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get update failed"; }
    # What apt would download: take the .debs this machine already has.
    local uris
    uris=$("${in_root[@]}" apt-get install -y -q --no-install-recommends --print-uris "/tmp/$debname" 2>>"$work/apt.log") \
        || { cat "$work/apt.log" >&2; die "apt-get cannot resolve the package's dependencies"; }
    local name have=0 want=0
    while read -r _ name _; do
        [[ $name == "$debname" ]] && continue
        want=$((want + 1))
        if [[ -e $cache/$name ]]; then
            ln "$cache/$name" "$root/var/cache/apt/archives/" 2>/dev/null || cp "$cache/$name" "$root/var/cache/apt/archives/"
            have=$((have + 1))
        fi
    done < <(grep "^'" <<<"$uris")
    echo "test-deb: its dependencies: $want packages to install, $have of them from the local cache"
    if ! "${in_root[@]}" apt-get install -y -q --no-install-recommends "/tmp/$debname" >>"$work/apt.log" 2>&1; then
        tail -n 40 "$work/apt.log" >&2
        die "apt-get install ./$debname failed in the clean root"
    fi
    share_debs "$root/var/cache/apt/archives" "$cache"
    echo "test-deb: installed with its dependencies in $((SECONDS - t0)) s"
    # shellcheck disable=SC2016  # dpkg-query's own ${Field} syntax
    "${in_root[@]}" dpkg-query -W -f='test-deb: ${Package} ${Version}\ntest-deb: Depends: ${Depends}\n' nestscope

    local failed=0 version
    version=$(dpkg-deb -f "$deb" Version)
    check() { # check WHAT COMMAND...: runs COMMAND and reports it
        local what=$1
        shift
        if "$@"; then echo "test-deb: ok   $what"; else echo "test-deb: FAIL $what" >&2; failed=1; fi
    }
    answers_version() {
        local out
        out=$("${in_root[@]}" nestscope --version 2>&1) || return 1
        echo "test-deb: nestscope --version: $out"
        [[ $out == *"$version"* ]]
    }
    answers_help() {
        local out
        out=$("${in_root[@]}" env QT_QPA_PLATFORM=offscreen nestscope --help 2>&1) && [[ $out == *"nestscope run"* ]]
    }
    # local-basics only reads this machine (shell probes: routes, resolv.conf, getent hosts
    # localhost from /etc/hosts); its route and curl probes fail here (no iproute2, no curl in a
    # minimal root), which is an answer, not an error: exit code 1, status finished.
    runs_local_plan() {
        local rc=0
        "${in_root[@]}" timeout 120 nestscope run --local --plan builtin:local-basics --json - --store /tmp/run.sqlite \
            >"$root/tmp/run.json" 2>"$work/run.stderr" || rc=$?
        echo "test-deb: nestscope run: exit code $rc"
        if ((rc != 0 && rc != 1)); then
            cat "$work/run.stderr" >&2
            return 1
        fi
    }
    run_json_finished() {
        python3 - "$root/tmp/run.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
samples = run["samples"]
assert run["status"] == "finished", run["status"]
assert samples, "no samples"
sh = [s for s in samples if s.get("probe") == "sh-works"]
assert sh and all(s["status"] == "pass" for s in sh), sh
print(f"test-deb: run.json: status {run['status']}, {len(samples)} samples, "
      f"{sum(s['status'] == 'pass' for s in samples)} passed")
PY
    }
    run_stored() {
        [[ -s $root/tmp/run.sqlite ]] && python3 - "$root/tmp/run.sqlite" "$root/tmp/run.json" <<'PY'
import json, sqlite3, sys
stored = sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM samples").fetchone()[0]
written = len(json.load(open(sys.argv[2]))["samples"])
assert stored == written, f"{stored} samples in the store, {written} in the JSON"
PY
    }
    draws_topology() {
        "${in_root[@]}" timeout 120 nestscope topology --local --quiet --json /tmp/topology.json \
            --svg /tmp/topology.svg >"$work/topology.stderr" 2>&1 && grep -q "<svg" "$root/tmp/topology.svg" && return 0
        cat "$work/topology.stderr" >&2
        return 1
    }
    # The workbench must still be running when timeout stops it (exit code 124), and say
    # nothing about a missing plugin or a store it cannot open (the status bar would say that
    # much, stderr gets Qt's own warning).
    starts_workbench() { # starts_workbench NAME ENV...
        local name=$1 rc=0
        shift
        "${in_root[@]}" env "$@" timeout 5 nestscope >"$work/gui-$name.stderr" 2>&1 || rc=$?
        if ((rc != 124)) || grep -Eqi "qt platform plugin|driver not loaded|cannot open|failed to load" "$work/gui-$name.stderr"; then
            echo "test-deb: the workbench ($name) ended with exit code $rc:" >&2
            cat "$work/gui-$name.stderr" >&2
            return 1
        fi
    }

    # Only the program and its desktop integration: no test programs, static libraries, headers.
    holds_only_its_files() {
        local id='org\.nestscope\.Nestscope' listing extra
        local allowed="^\./usr/(bin/nestscope|share/applications/$id\.desktop|share/metainfo/$id\.metainfo\.xml"
        allowed+="|share/icons/hicolor/([0-9]+x[0-9]+|scalable)/apps/$id\.(png|svg)|share/doc/nestscope/.+)\$"
        listing=$(dpkg-deb -c "$deb") || return 1
        extra=$(awk '{ print $NF }' <<<"$listing" | grep -v '/$' | grep -Ev "$allowed") || true
        [[ -z $extra ]] && return 0
        echo "test-deb: files the package should not hold:" >&2
        echo "$extra" >&2
        return 1
    }
    is_stripped() {
        ! readelf -S --wide "$root/usr/bin/nestscope" | grep -q '\.debug_'
    }

    t0=$SECONDS
    check "the package holds only the program, its desktop entry, metainfo and icons" holds_only_its_files
    check "the installed program carries no debug information (stripped)" is_stripped
    check "nestscope --version names the package's version ($version)" answers_version
    check "QT_QPA_PLATFORM=offscreen nestscope --help" answers_help
    check "nestscope run --local --plan builtin:local-basics --json - --store FILE" runs_local_plan
    check "the run's JSON parses, its status is finished, sh-works passed" run_json_finished
    check "the run went into the SQLite store (the Qt SQLite driver is there)" run_stored
    check "nestscope topology --local --svg (Graphviz layout, offscreen drawing)" draws_topology
    check "the workbench starts on the offscreen platform" starts_workbench offscreen QT_QPA_PLATFORM=offscreen
    check "the workbench opened its run store (~/.local/share/Nestscope/nestscope/runs.sqlite)" \
        test -s "$root/root/.local/share/Nestscope/nestscope/runs.sqlite"
    if command -v Xvfb >/dev/null; then
        # Xvfb's socket goes to a /tmp/.X11-unix of this namespace (a tmpfs over that folder
        # only: a tmpfs over /tmp would hide the work folder when it lies under /tmp, as in a
        # clone there), no lock file is written; the client in the root reaches the server
        # through the abstract socket (same network namespace, nothing leaves it).
        mkdir -p /tmp/.X11-unix
        mount -t tmpfs -o mode=1777 tmpfs /tmp/.X11-unix
        local display=:97 xvfb i
        Xvfb "$display" -nolock -nolisten tcp -screen 0 1280x800x24 >"$work/xvfb.log" 2>&1 &
        xvfb=$!
        for ((i = 0; i < 100; i++)); do
            [[ -S /tmp/.X11-unix/X${display#:} ]] && break
            sleep 0.1
        done
        check "the workbench starts on X11 (xcb, under Xvfb)" starts_workbench xcb DISPLAY="$display" QT_QPA_PLATFORM=xcb
        kill "$xvfb" 2>/dev/null || true
        wait "$xvfb" 2>/dev/null || true
    else
        echo "test-deb: skip the workbench on X11 (no Xvfb here)"
    fi
    echo "test-deb: checks in $((SECONDS - t0)) s"
    return "$failed"
}

if [[ ${1:-} == --inside ]]; then
    shift
    inside "$@"
    exit
fi

# --- outside: the package, the work folder, the namespace, the clean-up ----------------------

start=$SECONDS
(($# == 1)) || die "usage: $0 BUILD_DIR | FILE.deb"

if [[ $(id -u) -ne 0 ]]; then
    if [[ ${CI:-} == true ]]; then die "needs root (debootstrap, chroot)"; fi
    echo "test-deb: SKIP: needs root (debootstrap, chroot)"
    exit 77
fi
for tool in debootstrap unshare chroot dpkg-deb python3; do
    command -v "$tool" >/dev/null || die "$tool is missing: run packaging/install-deps.sh"
done

if [[ -d $1 ]]; then
    build=$(cd "$1" && pwd)
    work=${NESTSCOPE_DEB_WORKDIR:-$build/deb-test}
    echo "test-deb: cpack -G DEB in $build"
    log=$(cd "$build" && cpack -G DEB 2>&1) || { echo "$log" >&2; die "cpack failed"; }
    echo "test-deb: cpack took $((SECONDS - start)) s"
    deb=$(sed -n 's/^CPack: - package: \(.*\.deb\) generated\.$/\1/p' <<<"$log" | tail -n 1)
    [[ -n $deb ]] || { echo "$log" >&2; die "cpack named no .deb"; }
else
    deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    work=${NESTSCOPE_DEB_WORKDIR:-/var/tmp/nestscope-deb-test}
fi
[[ -f $deb ]] || die "no package at $deb"
echo "test-deb: $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends | sed 's/^/test-deb:   /'

mirror=$(host_debian_sources | awk -v s="$suite" '$2 == s { print $1; exit }')
[[ -n $mirror ]] || die "no '$suite' entry in this machine's apt sources to take the mirror from"

root=$work/root
remove_root() {
    [[ -e $root ]] || return 0
    # Never delete through a mount: everything mounted there belongs to a namespace that is gone
    # by now, so a mount left under the root means something else is using it.
    if awk -v r="$root/" 'index($5 "/", r) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        die "something is mounted under $root; not removing it"
    fi
    rm -rf --one-file-system "$root"
}
finish() {
    local rc=$?
    if [[ -n ${NESTSCOPE_KEEP_ROOT:-} ]]; then
        echo "test-deb: the root is kept at $root"
    else
        remove_root
    fi
    echo "test-deb: $( ((rc == 0)) && echo passed || echo FAILED) in $((SECONDS - start)) s"
}

mkdir -p "$work/cache"
remove_root
rm -f "$work"/*.log "$work"/*.stderr
trap finish EXIT
# Killed, the EXIT trap would see the status of the last command that finished: say why instead.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
share_debs /var/cache/apt/archives "$work/cache"

unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
    bash "$script" --inside "$work" "$deb" "$mirror"
