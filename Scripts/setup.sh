#!/usr/bin/env bash
# Installs the Debian packages beian builds and runs with, when any is missing.
set -euo pipefail
packages=(libpcap-dev libmaxminddb-dev libxml2-dev libidn2-dev zlib1g-dev pkg-config publicsuffix zip gzip psl)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" > /dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
command -v swift > /dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
