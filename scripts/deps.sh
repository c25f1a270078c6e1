#!/bin/sh
# deps.sh - install the Debian packages orchsim needs, only those missing.
#
#   scripts/deps.sh          install what is missing (idempotent, non-interactive)
#   scripts/deps.sh --check  exit 0 if everything is present, 1 otherwise; installs nothing
#
# Works as root or through sudo. Optional: OpenMPI (for the MPI sweep launcher) is
# installed too, but the build works without it.
set -eu

PKGS="build-essential pkg-config libgsl-dev libcjson-dev libcsv-dev libcriterion-dev \
gnuplot-nox clang libclang-rt-14-dev clang-format valgrind openmpi-bin libopenmpi-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ "${1:-}" = "--check" ]; then
    [ -z "$missing" ] && exit 0
    echo "deps.sh: missing:$missing" >&2
    exit 1
fi

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
else
    echo "deps.sh: need root or sudo to install:$missing" >&2
    exit 1
fi

echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
