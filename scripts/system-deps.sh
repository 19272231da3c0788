#!/usr/bin/env bash
# Installs the system tools vigil's collectors and tests drive: nmap and Debian's chromium, and
# python3-venv where Debian's own Python lacks venv. As root it uses apt-get; otherwise it says what
# is missing and how to install it.
set -euo pipefail
missing=()
"${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
command -v nmap >/dev/null 2>&1 || missing+=(nmap)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
else
    echo "missing system packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    [ "${CI:-}" = "true" ] && exit 1
fi
exit 0
