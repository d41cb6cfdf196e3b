#!/usr/bin/env bash
# Install the Debian packages MotCua's servers need, only if missing (idempotent). Extra packages may be given
# as arguments. Runs apt-get as root, or through sudo.
set -euo pipefail
packages=(rabbitmq-server postgresql "$@")
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
# Debian starts the packaged servers on install (policy-rc.d forbids that here); ours run as private processes.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  own_policy=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ $own_policy -eq 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
echo "installed: ${missing[*]}"
