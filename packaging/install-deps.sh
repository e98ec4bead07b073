#!/usr/bin/env bash
# Installs everything Nestscope's build, tests and lab need on Debian 12.
# Idempotent: when every package is already present it only checks and returns (no apt-get update).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev qt6-svg-dev
  libqt6sql6-sqlite libxkbcommon-dev libgl-dev
  libssh-dev libgraphviz-dev graphviz libyaml-cpp-dev libsqlite3-dev libsimdjson-dev
  # tests, sanitizers, fuzzing; CI's format and lint checks, its CPU hog, the metainfo check
  clang libclang-rt-14-dev clang-format clang-tidy stress-ng appstream desktop-file-utils flatpak-builder
  xvfb xauth curl wget fonts-dejavu-core
  poppler-utils  # pdftoppm and pdftotext read back the PDF report (tst_reports)
  # SSH tests and the lab
  openssh-server openssh-client
  lxd lxd-client dnsmasq-base busybox-static iptables nftables iproute2 procps psmisc
  dhcpcd-base iputils-ping openssl python3 bash coreutils util-linux sudo
  netcat-openbsd  # the tcp probe's nc -z path (tst_probes)
  # the .deb: cpack's dependency list (dpkg-shlibdeps), the clean root it is installed into
  dpkg-dev debootstrap
)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ $p == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: these packages are missing and I am not root (no sudo): ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
