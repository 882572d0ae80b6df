#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those that are missing.
# Usage: scripts/system-packages.sh [run|test]
#   run:  PostGIS server, GDAL, gettext, Python venv support
#   test: the same plus Debian's chromium for the browser tests
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mode="${1:-run}"
packages=(gdal-bin libgdal32 gettext python3-venv ca-certificates postgresql-client)
# With DATABASE_URL the database lives elsewhere: no local server is needed.
if [ -z "${DATABASE_URL:-}" ]; then
    packages+=(postgresql-15 postgresql-15-postgis-3)
fi
if [ "$mode" = test ]; then
    packages+=(chromium fonts-noto-core)
fi

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    say "system packages present"
    exit 0
fi

say "installing system packages: ${missing[*]}"
if is_root; then
    apt_get=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
    apt_get=(sudo apt-get)
else
    die "missing Debian packages (${missing[*]}); run 'make setup' as root or install them with apt-get"
fi
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"
