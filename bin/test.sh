#!/usr/bin/env bash
# Builds si-mqtt and runs every test, after installing what the tests need when it is missing:
# Debian packages (the mosquitto command-line clients and mosquitto_passwd, systemd-analyze, the
# shell script linter, iptables and python3 for the kernel-level fault tests, Node.js and npm,
# Chromium for the browser test, openssl for test certificates, gcc, the C library headers and
# Paho C's for the Paho C test, Debian's Paho Python for the Paho Python test) and MQTT.js (npm ci
# in interop/mqttjs, pinned by its lock file). Lints the scripts in bin/ before building. Maven comes from ./mvnw. CI runs
# exactly this (.ci/run).
#
#   bin/test.sh [MAVEN ARGS]     e.g. bin/test.sh -Pfaults, bin/test.sh -pl core -am
#
# Packages are installed with apt-get as root, or through sudo when it needs no password;
# otherwise the script names the missing packages and stops before building.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# command the tests run, or file they compile against or import -> the Debian package providing it
declare -A NEEDED=(
  [mosquitto_pub]=mosquitto-clients
  [mosquitto_sub]=mosquitto-clients
  [mosquitto_passwd]=mosquitto
  [systemd-analyze]=systemd
  [shellcheck]=shellcheck
  [iptables-restore]=iptables
  [python3]=python3
  [node]=nodejs
  [npm]=npm
  [chromium]=chromium
  [openssl]=openssl
  [gcc]=gcc
  [/usr/include/stdio.h]=libc6-dev
  [/usr/include/MQTTClient.h]=libpaho-mqtt-dev
  [/usr/lib/python3/dist-packages/paho/mqtt/client.py]=python3-paho-mqtt
)

missing_packages() {
  local cmd
  for cmd in "${!NEEDED[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || [[ -e $cmd ]] || echo "${NEEDED[$cmd]}"
  done | sort -u
}

install_packages() {
  local -a sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "test: missing packages: $*; install them (apt-get install $*) or run as root" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test: missing packages: $*; this script installs with apt-get (Debian, Ubuntu)" >&2
    exit 1
  fi
  echo "test: installing $*" >&2
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@"
}

mapfile -t packages < <(missing_packages)
if ((${#packages[@]} > 0)); then
  install_packages "${packages[@]}"
fi

shellcheck bin/*.sh .ci/run
npm ci --prefix interop/mqttjs --no-audit --no-fund

if ((EUID != 0)); then
  echo "test: not root, so the kernel-level fault tests (tag netns: network namespaces and" \
    "firewall rules) are left out; run as root, as CI does, to include them" >&2
  set -- -Dsimqtt.exclude.netns=netns "$@"
fi

exec ./mvnw -B -ntp verify "$@"
