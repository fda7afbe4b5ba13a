#!/usr/bin/env bash
# Install the Debian packages the test suite drives as real components (PostgreSQL 15 with
# PostGIS, Mosquitto, Chromium, GDAL, Java for the Spark engine). Services are not started here: the test fixtures start
# their own private instances when nothing answers. Idempotent: installs only what is missing.
set -euo pipefail
APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 mosquitto chromium gdal-bin default-jre-headless)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "the tests need these Debian packages: ${missing[*]}" >&2
  echo "install them once with:  sudo apt-get install -y ${missing[*]}   (then run make test again)" >&2
  exit 1
fi
echo "installing Debian packages the tests use: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
