#!/usr/bin/env bash
# shellcheck disable=SC2154 # t_* are assigned by timed (printf -v)
# The lab's own test (ctest label "lab"): brings the lab up, checks that every scenario shows its
# documented symptom with plain commands over SSH, that scenarios switch fast, that `up` is
# idempotent and serialised, that the root namespace gains nothing but the /30 veth, and that
# `down` leaves nothing behind.
#
#   bash tests/lab/test-lab.sh
#
# Exit 0: all passed; 1: a check failed; 77: skipped (not root, or LXD missing), except with
# CI=true, where a lab that cannot run fails.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$LAB_DIR/lab
NS=nestscope-runner
STATE=/var/lib/nestscope-lab

skip() {
  if [[ ${CI:-} == true ]]; then
    echo "test-lab: FAIL (CI=true, so no skipping): $*" >&2; exit 1
  fi
  echo "test-lab: SKIP: $*" >&2; exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, LXD); run: sudo bash tests/lab/test-lab.sh"
for t in lxd lxc dnsmasq /usr/sbin/sshd nft dhcpcd ping; do
  command -v "$t" >/dev/null 2>&1 || skip "$t is missing; run packaging/install-deps.sh (see tests/lab/README.md)"
done

n=0 failed=0
T0=$SECONDS
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND exits 0
check() {
  local desc=$1 out; shift
  if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; printf '#   %s\n' "$out" | head -20; fi
}
# check_rc DESCRIPTION RC... -- COMMAND...: passes when COMMAND exits with one of RC
check_rc() {
  local desc=$1 rcs=() out rc; shift
  while [[ $1 != -- ]]; do rcs+=("$1"); shift; done
  shift
  out=$("$@" 2>&1); rc=$?
  if [[ " ${rcs[*]} " == *" $rc "* ]]; then ok "$desc (exit $rc)"; else
    not_ok "$desc (exit $rc, wanted ${rcs[*]})"; printf '#   %s\n' "$out" | head -20
  fi
}
# check_out DESCRIPTION REGEX COMMAND...: passes when COMMAND's output matches REGEX
check_out() {
  local desc=$1 re=$2 out; shift 2
  out=$("$@" 2>&1)
  if [[ $out =~ $re ]]; then ok "$desc"; else not_ok "$desc (output did not match /$re/)"; printf '#   %s\n' "$out" | head -20; fi
}
timed() {  # timed VAR COMMAND...: seconds (with ms) a command took, in VAR; returns its status
  local __v=$1 s e rc; shift
  s=$(date +%s%N); "$@"; rc=$?; e=$(date +%s%N)
  printf -v "$__v" '%d.%03d' $(((e - s) / 1000000000)) $((((e - s) / 1000000) % 1000))
  return $rc
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

SSHCFG=$(mktemp)
cleanup() {
  rm -f "$SSHCFG"
  if [[ -d /run/netns && -e /run/netns/$NS ]]; then "$LAB" down >/dev/null 2>&1; fi
}
trap cleanup EXIT

# What the root namespace looks like before: it must look the same after down, and gain only the
# lab's /30 while the lab is up.
root_snapshot() {
  {
    ip -4 -o addr show | awk '{print $2, $4}'
    ip -6 -o addr show | awk '$4 !~ /^fe80/ {print $2, $4}'
    ip -4 route show table all
    ip -6 route show table all | grep -v '^\(local \)\?fe80\|^multicast\|^ff00'
    ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'
    sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
    cat /etc/resolv.conf
    nft list ruleset 2>/dev/null
    ls -d /sys/fs/cgroup/*/lxc.* /sys/fs/cgroup/lxc.* 2>/dev/null   # the instances' cgroups
  } | sort
}
"$LAB" down >/dev/null 2>&1  # start from nothing (a lab left up is taken down)
BEFORE=$(root_snapshot)

echo "# the guard: a lab range that overlaps the machine's network is refused, nothing is changed"
out=$(NESTSCOPE_LAB_EXTRA_RANGES="192.0.2.0/25" "$LAB" up 2>&1); rc=$?
if ((rc != 0)) && [[ $out == *"refusing to start"* && ! -e /run/netns/$NS ]]; then ok "up refuses overlapping ranges"; else
  not_ok "up refuses overlapping ranges (exit $rc)"; printf '#   %s\n' "$out"
fi

echo "# up from nothing"
if ! timed t_up "$LAB" up --scenario healthy; then
  [[ ${CI:-} == true ]] || { "$LAB" down >/dev/null 2>&1; skip "the lab could not start here (see above)"; }
  not_ok "lab up"; echo "test-lab: FAIL: lab up failed" >&2; exit 1
fi
ok "lab up from nothing in ${t_up} s"
check "up took under 60 s (${t_up} s)" lt "$t_up" 60
"$LAB" ssh-config >"$SSHCFG"
SSH=(ssh -F "$SSHCFG" nestscope-lab)
on_runner() { "${SSH[@]}" "$@"; }          # as the lab user, like Nestscope
in_vm() { local vm=$1; shift; "${SSH[@]}" lxc exec "$vm" -- "$@"; }
as_root_on_runner() { ip netns exec "$NS" "$@"; }

root_gain() {  # what the root namespace has now that it did not have before, but the /30 veth
  diff <(echo "$BEFORE") <(root_snapshot) | grep '^[<>]' |
    grep -vE '^> (nslab-host|nslab-host 169\.254\.77\.1/30|169\.254\.77\.0/30 dev nslab-host .*|(local|broadcast) 169\.254\.77\.[13] dev nslab-host .*|/sys/fs/cgroup/.*lxc\..*)$'
}
check_out "root namespace gained only the lab's /30 veth" '^$' root_gain
check "root namespace has no default route via the lab" bash -c "! ip route show default | grep -q nslab-host && ! ip -6 route show default | grep -q nslab-host"

echo "# ssh as the lab user, lxc talks to the lab daemon"
check_out "ssh nestscope-lab id: /bin/sh user in the daemon's group" 'nslab-lxd' on_runner id
check_out "ssh -F \"\$(lab ssh-config --path)\" nestscope-lab lxc list" 'vm1' bash -c "ssh -F \"\$($LAB ssh-config --path)\" nestscope-lab lxc list --format csv"
check_out "the lab user's shell is /bin/sh" ':/bin/sh$' getent passwd nslab
check_out "ssh nestscope-lab lxc list shows vm1 and vm2" 'vm1,RUNNING.*vm2,RUNNING' bash -c "${SSH[*]@Q} lxc list --format csv -c ns | tr '\n' ' '"
check_out "lxc query /1.0 answers (lab LXD_DIR)" '"api_version"' on_runner lxc query /1.0

# The 5 s target for a switch is measured by tests/bench/bench_lab.sh (speed is a benchmark's
# business: here a loaded machine must not fail the suite). The test only guards against a hang.
scenario() {
  local name=$1 t
  if timed t "$LAB" scenario "$name" >/dev/null 2>&1; then ok "switch to $name in ${t} s"; else not_ok "switch to $name"; fi
  check "switch to $name did not hang (${t} s, guard 30 s)" lt "$t" 30
}

healthy_checks() {
  check_out "vm1 has IPv4 and IPv6 addresses" 'inet .*10\.77\.10\..*inet6 fd42:77:10:' in_vm vm1 ip -o addr show dev eth0
  check_out "vm1 resolv.conf comes from DHCP (bridge DNS)" 'nameserver 10\.77\.10\.1' in_vm vm1 cat /etc/resolv.conf
  check_out "vm1 resolves www.lab.test (A and AAAA)" 'fd42:77:100::80.*10\.77\.100\.80' bash -c "${SSH[*]@Q} lxc exec vm1 -- getent ahosts www.lab.test | tr '\n' ' '"
  check_out "vm1 curl -4 https://www.lab.test/ (lab CA trusted)" 'nestscope lab: www\.lab\.test over https' in_vm vm1 curl -sS -4 -m 5 https://www.lab.test/
  check_out "vm1 curl -6 https://www.lab.test/" 'over https, served by fd42:77:100::80' in_vm vm1 curl -sS -6 -m 5 https://www.lab.test/
  check_out "vm2 wget https://www.lab.test/" 'nestscope lab' in_vm vm2 wget -q -O- -T 5 https://www.lab.test/
  check_out "vm1 registry /v2/ answers 401 like Docker Hub" '^HTTP/1\.1 401 .*[Ww][Ww][Ww]-[Aa]uthenticate: Bearer realm=' in_vm vm1 curl -sS -m 5 -o /dev/null -D - https://registry.lab.test/v2/
  check "vm1 ping 10.77.100.80" in_vm vm1 ping -c1 -W2 10.77.100.80
  check "vm1 ping fd42:77:100::80" in_vm vm1 ping -c1 -W2 fd42:77:100::80
  check "vm1 reaches vm2 over the bridge" in_vm vm1 ping -c1 -W2 vm2.lxd
  check_out "runner curl https://www.lab.test/" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/
  # containment, checked without sending anything to an address outside the lab
  check_out "the wan namespace has no default route (nothing can leave the lab)" '^$' ip netns exec nestscope-wan sh -c 'ip -4 route show default; ip -6 route show default'
  check_out "the wan namespace has no link but its loopback and the runner's uplink" '^lo wan0 $' bash -c "ip netns exec nestscope-wan ip -o link show | awk -F': ' '{print \$2}' | sed 's/@.*//' | tr '\n' ' '"
  check_out "the wan DNS refuses names outside lab.test" 'REFUSED|NXDOMAIN|can.t find|server can.t' in_vm vm1 nslookup -timeout=2 example.com 10.77.100.53
}

echo "# scenario healthy"
healthy_checks

echo "# scenario ipv6-only: no IPv4 on the bridge, the runner has no IPv6 path out"
scenario ipv6-only
check_out "vm1 has only IPv6 (no inet)" '^[^ ]+ +UP +fd42:77:10:[0-9a-f:]+/64 fe80::[0-9a-f:]+/64 *$' in_vm vm1 ip -br addr show dev eth0
check_out "vm1 resolv.conf has the bridge's IPv6 DNS" 'nameserver fd42:77:10::1' in_vm vm1 cat /etc/resolv.conf
check_out "vm1 still resolves www.lab.test to its AAAA" 'fd42:77:100::80' in_vm vm1 getent hosts www.lab.test
check_rc "vm1 curl https://www.lab.test/ fails to connect" 7 28 -- in_vm vm1 curl -sS -m 5 https://www.lab.test/
check_out "runner has no IPv6 default route" '^$' on_runner ip -6 route show default
check_out "runner itself is fine over IPv4" 'nestscope lab' on_runner curl -sS -4 -m 5 https://www.lab.test/

echo "# scenario forward-drop: the runner's FORWARD policy is DROP (as Docker sets it)"
scenario forward-drop
check_out "runner FORWARD policy is DROP" '-P FORWARD DROP' as_root_on_runner iptables -S FORWARD
check_out "vm1 has its addresses" 'inet .*10\.77\.10\.' in_vm vm1 ip -o addr show dev eth0
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 https://www.lab.test/
check_rc "vm1 curl -6 times out" 28 -- in_vm vm1 curl -sS -6 -m 3 https://www.lab.test/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario nat-off: the bridge does not masquerade; the wan has no route back"
scenario nat-off
check_out "lxdbr0 ipv4.nat is false" '^false$' on_runner lxc network get lxdbr0 ipv4.nat
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 https://www.lab.test/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario ip-forward-off: the runner does not route"
scenario ip-forward-off
check_out "runner net.ipv4.ip_forward is 0" '^0$' on_runner sysctl -n net.ipv4.ip_forward
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 https://www.lab.test/
check_rc "vm1 ping times out" 1 -- in_vm vm1 ping -c1 -W2 10.77.100.80
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario dns-down: the bridge's DNS does not answer"
scenario dns-down
check_out "vm1 still has its addresses" 'inet .*10\.77\.10\.' in_vm vm1 ip -o addr show dev eth0
check_rc "vm1 getent hosts www.lab.test gets no answer" 1 2 124 143 -- in_vm vm1 timeout 4 getent hosts www.lab.test
check_rc "vm1 curl by name fails resolving" 6 28 -- in_vm vm1 curl -sS -m 3 https://www.lab.test/
check_out "vm1 curl by address works" 'nestscope lab' in_vm vm1 curl -sS -m 5 http://10.77.100.80/
check_out "runner resolves fine" 'fd42:77:100::80' on_runner getent hosts www.lab.test

echo "# scenario docker-user-drop: FORWARD jumps to DOCKER-USER, which drops the bridge's traffic"
scenario docker-user-drop
check_out "runner FORWARD policy stays ACCEPT" '-P FORWARD ACCEPT' as_root_on_runner iptables -S FORWARD
check_out "DOCKER-USER drops what lxdbr0 forwards" '-A DOCKER-USER -i lxdbr0 -j DROP' as_root_on_runner iptables -S DOCKER-USER
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 https://www.lab.test/
check_rc "vm1 curl -6 times out" 28 -- in_vm vm1 curl -sS -6 -m 3 https://www.lab.test/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario subnet-route: more specific routes send the bridge's subnets elsewhere"
scenario subnet-route
check_out "runner routes 10.77.10.0/25 to stray0" '10\.77\.10\.0/25 dev stray0' on_runner ip -4 route show
check_rc "vm1 curl -4 by address times out" 28 -- in_vm vm1 curl -sS -4 -m 3 http://10.77.100.80/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario runner-offline: the runner's uplink has no carrier"
scenario runner-offline
check_out "runner's default route is linkdown" 'default via 10\.77\.0\.1 dev uplink0 linkdown' on_runner ip -4 route show default
check_rc "runner curl fails" 7 28 -- on_runner curl -sS -4 -m 3 http://10.77.100.80/
check_rc "vm1 curl fails too" 7 28 -- in_vm vm1 curl -sS -4 -m 3 http://10.77.100.80/

echo "# scenario instance-no-dhcp: vm2 has no DHCP client, vm1 is fine"
scenario instance-no-dhcp
check_out "vm2 has no global address" '^$' in_vm vm2 ip -o addr show dev eth0 scope global
check_rc "vm2 curl fails at once" 7 -- in_vm vm2 curl -sS -4 -m 3 http://10.77.100.80/
check_out "vm1 is fine" 'nestscope lab' in_vm vm1 curl -sS -m 5 https://www.lab.test/

echo "# scenario nft-forward-drop: a native nftables forward chain with policy drop"
scenario nft-forward-drop
check_out "an nft forward base chain drops by policy" 'hook forward priority filter; policy drop;' as_root_on_runner nft list table inet nestscope_lab
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 https://www.lab.test/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario mtu-blackhole: small answers pass, a bulk download stalls"
scenario mtu-blackhole
check_out "vm1 curl https://www.lab.test/ works (a small answer)" 'nestscope lab' in_vm vm1 curl -sS -m 5 https://www.lab.test/
check_rc "vm1 1 MiB download stalls" 28 -- in_vm vm1 curl -sS -4 -m 5 -o /dev/null https://www.lab.test/bytes/1048576
check_out "runner downloads 1 MiB at once" '^1048576$' on_runner curl -sS -m 10 -o /dev/null -w '%{size_download}' https://www.lab.test/bytes/1048576

echo "# scenario policy-rule: a rule before the main table sends the bridge's traffic to a dead tunnel"
scenario policy-rule
check_out "the rule is there" 'from 10\.77\.10\.0/24 iif lxdbr0 lookup 100' on_runner ip -4 rule show
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_rc "vm1 curl -4 times out" 28 -- in_vm vm1 curl -sS -4 -m 3 http://10.77.100.80/
check_out "runner itself is fine" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/

echo "# scenario proxy-only: the web goes out only through a proxy, which the runner's sessions have"
scenario proxy-only
check_out "the runner's session has the proxy" '^https_proxy=http://proxy\.lab\.test:3128/$' on_runner sh -c 'env | grep ^https_proxy='
check_out "runner curl works through it" 'nestscope lab' on_runner curl -sS -m 5 https://www.lab.test/
check_rc "runner curl without it times out" 28 -- on_runner curl -sS --noproxy '*' -4 -m 3 http://www.lab.test/
check_out "vm1 DNS answers" '10\.77\.100\.80' in_vm vm1 getent ahosts www.lab.test
check_out "vm1 ping works" '1 received' in_vm vm1 ping -4 -c 1 -W 3 10.77.100.80
check_rc "vm1 curl times out" 28 -- in_vm vm1 curl -sS -4 -m 3 http://www.lab.test/

echo "# back to healthy, everything works again"
scenario healthy
check_rc "the runner's session has no proxy again" 1 -- on_runner sh -c 'env | grep -q _proxy='
check_out "vm2 has its address again" 'inet .*10\.77\.10\.' in_vm vm2 ip -o addr show dev eth0
healthy_checks

echo "# up is idempotent, and concurrent ups are serialised"
created=$(on_runner lxc query /1.0/instances/vm1 | grep -o '"created_at": *"[^"]*"')
timed t_up2 "$LAB" up >/dev/null 2>&1 && ok "second up in ${t_up2} s" || not_ok "second up"
"$LAB" up >/dev/null 2>&1 & p1=$!
"$LAB" up >/dev/null 2>&1 & p2=$!
wait $p1 && wait $p2 && ok "two concurrent ups both succeed" || not_ok "two concurrent ups"
check_out "vm1 was not rebuilt" "$created" on_runner lxc query /1.0/instances/vm1
check_out "up kept the scenario" '^scenario: +healthy' "$LAB" status
check_out "still healthy after the ups" 'nestscope lab' in_vm vm1 curl -sS -m 5 https://www.lab.test/

echo "# down leaves nothing behind"
timed t_down "$LAB" down >/dev/null 2>&1 && ok "down in ${t_down} s" || not_ok "down"
check_out "no lab namespace" '^$' bash -c "ip netns list | grep nestscope-"
check_out "no lab veth" '^$' bash -c "ip -o link show | grep -E 'nslab|mgmt0|uplink0|wan0'"
check_out "no lab route" '^$' bash -c "ip route show table all | grep -E '169\.254\.77|10\.77\.'; ip -6 route show table all | grep fd42:77"
check_out "no lab process" '^$' bash -c "grep -l -s -a '/var/lib/nestscope-la[b]' /proc/[0-9]*/cmdline"
check_out "no lab mount" '^$' bash -c "grep -e $STATE -e /run/netns/nestscope /proc/self/mounts"
check_out "no lab state, netns config, sudoers rule or user" '^$' bash -c "ls -d $STATE /etc/netns/nestscope-* /etc/sudoers.d/nestscope-lab 2>/dev/null; getent passwd nslab; getent group nslab-lxd"
AFTER=$(root_snapshot)
check_out "root namespace is as before" '^$' diff <(echo "$BEFORE") <(echo "$AFTER")
timed t_down2 "$LAB" down >/dev/null 2>&1 && ok "down again (nothing to do) in ${t_down2} s" || not_ok "down again"

echo "# timings: up ${t_up} s, second up ${t_up2} s, down ${t_down} s, whole test $((SECONDS - T0)) s"
echo "1..$n"
((failed == 0)) || { echo "test-lab: $failed of $n checks failed" >&2; exit 1; }
echo "test-lab: all $n checks passed"
