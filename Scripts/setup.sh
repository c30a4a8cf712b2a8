#!/usr/bin/env bash
# Installs the Debian packages beian builds and runs with, when any is missing.
set -euo pipefail
packages=(libpcap-dev libmaxminddb-dev libxml2-dev libidn2-dev zlib1g-dev libbrotli-dev libdeflate-dev libsqlite3-dev sqlite3 pkg-config publicsuffix zip gzip psl mmdb-bin tshark python3 openssl tcpreplay iproute2 libxml2-utils wrk chromium curl)
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
# Tests write their own small MaxMind databases with the mmdb-writer PyPI package; the
# conformance of generated worlds reads their WARC files with warcio; the h2c conformance
# serves HTTP/2 with h2.
for module in mmdb_writer warcio h2; do
    python3 -c "import $module" 2> /dev/null && continue
    package="${module/_/-}"
    echo "setup: installing $package (PyPI)"
    if ! python3 -m pip --version > /dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get install -y -qq --no-install-recommends python3-pip > /dev/null
    fi
    # Debian's own python3 refuses system-wide installs without the flag.
    python3 -m pip install --quiet --disable-pip-version-check "$package" 2> /dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$package"
done
