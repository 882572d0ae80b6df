#!/usr/bin/env bash
# Creates bench/.peers-venv and installs the servers the layers benchmark compares the app with
# (tipg, pygeoapi; pinned in bench/peers/requirements.txt) into it, apart from the project's .venv.
# Re-installs only when the requirements changed since the last install; prints the venv's path.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PEERS_VENV="${BENCH_DIR}/.peers-venv"
REQUIREMENTS="${BENCH_DIR}/peers/requirements.txt"
# The project's interpreter (Python 3.11), so both environments run the same Python.
PYTHON="${PYTHON:-${BENCH_DIR}/../.venv/bin/python}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ -x "$PYTHON" ] || { echo "error: $PYTHON not found (run make setup first)" >&2; exit 1; }

stamp="${PEERS_VENV}/.installed"
wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    echo "$PEERS_VENV"
    exit 0
fi

if [ ! -x "${PEERS_VENV}/bin/python" ]; then
    say "creating the peers' virtualenv ${PEERS_VENV#"$BENCH_DIR/../"}"
    "$PYTHON" -m venv "$PEERS_VENV"
fi
say "installing tipg and pygeoapi into the peers' virtualenv"
"${PEERS_VENV}/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
echo "$wanted" > "$stamp"
echo "$PEERS_VENV"
