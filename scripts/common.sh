# Shared settings for the set-up scripts; sourced, not run.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="${PROJECT_ROOT}/.venv"
AMANAH_DB_PORT="${AMANAH_DB_PORT:-54329}"
AMANAH_DB_NAME="${AMANAH_DB_NAME:-amanah}"
AMANAH_DB_USER="${AMANAH_DB_USER:-amanah}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }
