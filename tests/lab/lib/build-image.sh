#!/usr/bin/env bash
# Builds the lab's LXD container image from this machine's own binaries: no download.
#   build-image.sh OUTDIR CA_CERT
# Writes OUTDIR/metadata.tar.gz and OUTDIR/rootfs.tar.gz (a "split" LXD image).
#
# The root filesystem holds what a real Ubuntu instance offers our probes: sh and the usual
# utilities (dash, busybox), curl, wget, getent, ping, ip, and a real DHCP client (dhcpcd: DHCPv4,
# SLAAC, RDNSS and stateless DHCPv6, writing /etc/resolv.conf). Every dynamically linked binary
# comes with the shared libraries `ldd` lists. The lab CA is the only trusted CA.
set -euo pipefail

out=${1:?usage: build-image.sh OUTDIR CA_CERT}
ca=${2:?usage: build-image.sh OUTDIR CA_CERT}

BINARIES=(/usr/bin/dash /usr/bin/curl /usr/bin/wget /usr/bin/getent /usr/bin/ping /usr/sbin/ip /usr/sbin/dhcpcd)
# busybox-static: init and the usual utilities (nslookup, nc, traceroute, ...). Its own shell
# prefers its applets over PATH (so `sh -c wget` would run busybox's wget), so /bin/sh is dash,
# as on Debian and Ubuntu.
BUSYBOX=/bin/busybox

for b in "${BINARIES[@]}" "$BUSYBOX"; do
  [[ -x $b ]] || { echo "build-image: $b is missing (see tests/lab/README.md, Setup)" >&2; exit 1; }
done

work=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,dev,proc,sys,run,tmp,root,var/lib/dhcpcd,var/log}
# merged /usr, like Debian 12 and Ubuntu
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"; chmod 700 "$root/root"

copy() {  # copy a file keeping its path (resolving the symlinks on the way)
  local src=$1 dst
  dst=$root$(readlink -f "$(dirname "$src")")/$(basename "$src")
  [[ -e $dst ]] && return 0
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
}

for b in "${BINARIES[@]}"; do
  copy "$b"
  # "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  while read -r lib; do copy "$lib"; done < <(ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
done
# the loader where binaries look for it (/lib64 is a symlink into usr/lib64 in the image)
[[ -e $root/usr/lib64/ld-linux-x86-64.so.2 ]] || { mkdir -p "$root/usr/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$root/usr/lib64/"; }

ln -s dash "$root/usr/bin/sh"
cp "$BUSYBOX" "$root/usr/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  case $applet in busybox|linuxrc) continue ;; esac
  [[ -e $root/usr/bin/$applet || -e $root/usr/sbin/$applet ]] && continue
  ln -s busybox "$root/usr/bin/$applet"
done
ln -sf ../bin/busybox "$root/usr/sbin/init"
ln -sf ping "$root/usr/bin/ping6"

# dhcpcd: its hook runner and the resolv.conf hook only
mkdir -p "$root/usr/lib/dhcpcd/dhcpcd-hooks"
cp /usr/lib/dhcpcd/dhcpcd-run-hooks "$root/usr/lib/dhcpcd/"
cp /usr/lib/dhcpcd/dhcpcd-hooks/20-resolv.conf "$root/usr/lib/dhcpcd/dhcpcd-hooks/"
cat > "$root/etc/dhcpcd.conf" <<'CONF'
# nestscope lab instance: DHCPv4, SLAAC (+RDNSS) and DHCPv6 on eth0, like a cloud image
allowinterfaces eth0
hostname
clientid
option rapid_commit
option domain_name_servers, domain_name, domain_search
require dhcp_server_identifier
slaac hwaddr
noipv4ll
# no start-up delay and no ARP probe of the offered address: instances are ready in ~1 s
nodelay
noarp
nodev
CONF

cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
dhcpcd:x:100:65534:DHCP Client Daemon:/usr/lib/dhcpcd:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"; chmod 640 "$root/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
[[ -f /etc/protocols ]] && cp /etc/protocols "$root/etc/"
[[ -f /etc/services ]] && cp /etc/services "$root/etc/"
printf 'PRETTY_NAME="Nestscope lab instance"\nNAME="nestscope-lab"\nID=nestscope-lab\n' > "$root/etc/os-release"
: > "$root/etc/resolv.conf"

# trust the lab CA and nothing else (curl/OpenSSL and wget/GnuTLS both read this bundle)
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
cp "$ca" "$root/usr/local/share/ca-certificates/nestscope-lab-ca.crt"
cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
ln -s ../../../usr/local/share/ca-certificates/nestscope-lab-ca.crt "$root/etc/ssl/certs/nestscope-lab-ca.pem"

mkdir -p "$root/etc/init.d"
cat > "$root/etc/inittab" <<'T'
::sysinit:/etc/init.d/rcS
T
cat > "$root/etc/init.d/rcS" <<'R'
#!/bin/sh
mountpoint -q /run || mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mountpoint -q /tmp || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mkdir -p /run/dhcpcd /var/lib/dhcpcd
ip link set lo up
# dhcpcd stays in the foreground (its own daemonising stalls in a container), as init's child
/usr/sbin/dhcpcd --nobackground --quiet </dev/null >/dev/null 2>&1 &
R
chmod 755 "$root/etc/init.d/rcS"

# lab-net-restart: what the lab runs in each instance after a scenario switch, so that the
# instance's addresses and resolv.conf reflect the new bridge settings at once (as after a reboot).
cat > "$root/usr/sbin/lab-net-restart" <<'N'
#!/bin/sh
# forget leases and addresses, then ask again from scratch
rm -f /var/lib/dhcpcd/*.lease /var/lib/dhcpcd/*.lease6
dhcpcd --exit --quiet >/dev/null 2>&1
i=0; while pidof dhcpcd >/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
pids=$(pidof dhcpcd) && kill -9 $pids 2>/dev/null
ip -4 addr flush dev eth0 scope global 2>/dev/null
ip -6 addr flush dev eth0 scope global 2>/dev/null
ip -4 route flush dev eth0 2>/dev/null
ip -6 route flush dev eth0 proto ra 2>/dev/null
: > /etc/resolv.conf
/usr/sbin/dhcpcd --nobackground --quiet </dev/null >/dev/null 2>&1 &
N
chmod 755 "$root/usr/sbin/lab-net-restart"

now=$(date +%s)
cat > "$work/metadata.yaml" <<M
architecture: x86_64
creation_date: $now
properties:
  description: Nestscope lab instance (busybox, curl, wget, iproute2, iputils-ping, dhcpcd)
  os: nestscope-lab
  release: "1"
  architecture: amd64
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
  /etc/hosts:
    when: [create, copy]
    template: hosts.tpl
M
mkdir -p "$work/templates"
printf '{{ container.name }}\n' > "$work/templates/hostname.tpl"
printf '127.0.0.1 localhost\n127.0.1.1 {{ container.name }}\n::1 localhost ip6-localhost ip6-loopback\n' > "$work/templates/hosts.tpl"

mkdir -p "$out"
tar -C "$work" --numeric-owner --owner=0 --group=0 -czf "$out/metadata.tar.gz" metadata.yaml templates
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | gzip -1 > "$out/rootfs.tar.gz"
