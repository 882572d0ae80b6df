#!/usr/bin/env bash
# Creates .venv and installs the project (with its development tools) into it.
# Re-installs only when pyproject.toml changed since the last install.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

python_bin=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        python_bin="$(command -v "$candidate")"
        break
    fi
done
[ -n "$python_bin" ] || die "Python 3.11 with the venv module is needed (Debian: apt-get install python3 python3-venv)"

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv with $python_bin"
    "$python_bin" -m venv "$VENV"
fi

stamp="$VENV/.amanah-installed"
wanted="$(sha256sum "$PROJECT_ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    say "virtualenv up to date"
    exit 0
fi

say "installing the project into .venv"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e "$PROJECT_ROOT[dev]"
echo "$wanted" > "$stamp"
