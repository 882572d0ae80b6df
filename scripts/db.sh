#!/usr/bin/env bash
# The project's own PostGIS cluster: initdb into .data/postgres, listening on 127.0.0.1 only.
# Usage: scripts/db.sh start|stop|status|create
#
# PostgreSQL refuses to run as root. As root the server runs as the unprivileged `postgres`
# user, and because a clone may sit in a folder that user cannot enter (a mode-700 home), the
# cluster's files then live in /var/lib/amanah/<hash of the clone's path>/ and
# .data/postgres is a link to them. As any other user the cluster is .data/postgres itself.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pg_bin=""
for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then pg_bin="$dir"; break; fi
done
[ -n "$pg_bin" ] || die "PostgreSQL server binaries not found; run scripts/system-packages.sh"

data_link="$PROJECT_ROOT/.data/postgres"
mkdir -p "$PROJECT_ROOT/.data"

if is_root; then
    run_as=postgres
    id "$run_as" >/dev/null 2>&1 || die "the 'postgres' system user is missing (it comes with Debian's postgresql-common)"
    cluster_home="/var/lib/amanah/$(printf '%s' "$PROJECT_ROOT" | sha256sum | cut -c1-16)"
    data_dir="$cluster_home/postgres"
    install -d -m 755 /var/lib/amanah
    install -d -m 700 -o "$run_as" -g "$run_as" "$cluster_home"
    if [ -e "$data_link" ] && [ ! -L "$data_link" ]; then
        die ".data/postgres is a cluster made by a non-root user; run as that user, or move it away"
    fi
    ln -sfn "$data_dir" "$data_link"
    as_server_user() { (cd / && runuser -u "$run_as" -- "$@"); }
else
    cluster_home="$PROJECT_ROOT/.data"
    data_dir="$data_link"
    as_server_user() { "$@"; }
fi
log_file="$cluster_home/server.log"

psql_admin() {
    "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$AMANAH_DB_PORT" -U "$AMANAH_DB_USER" "$@"
}

is_ready() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$AMANAH_DB_PORT" -U "$AMANAH_DB_USER"; }

init_cluster() {
    [ -f "$data_dir/PG_VERSION" ] && return 0
    say "initialising PostGIS cluster in .data/postgres"
    as_server_user "$pg_bin/initdb" -D "$data_dir" -U "$AMANAH_DB_USER" --auth-local=trust \
        --auth-host=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    # Loopback only; the Unix socket lives inside the cluster so no system folder is needed.
    cat >> "$data_dir/postgresql.conf" <<CONF

# --- Amanah project-local cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data_dir'
max_connections = 200
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
CONF
    if is_root; then chown "$run_as:$run_as" "$data_dir/postgresql.conf"; fi
}

start() {
    init_cluster
    if as_server_user "$pg_bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
        # Line 4 of postmaster.pid is the port this cluster listens on (another cluster may hold ours).
        if [ "$(sed -n 4p "$data_dir/postmaster.pid" 2>/dev/null)" = "$AMANAH_DB_PORT" ] && is_ready; then
            say "PostGIS cluster already running on 127.0.0.1:$AMANAH_DB_PORT"
            return 0
        fi
        say "cluster running on another port; restarting on $AMANAH_DB_PORT"
        as_server_user "$pg_bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
    fi
    say "starting PostGIS cluster on 127.0.0.1:$AMANAH_DB_PORT"
    if ! as_server_user "$pg_bin/pg_ctl" -D "$data_dir" -l "$log_file" -o "-p $AMANAH_DB_PORT" -w -t 60 start >/dev/null; then
        tail -n 20 "$log_file" >&2 || true
        die "the PostGIS cluster did not start (is port $AMANAH_DB_PORT taken? set AMANAH_DB_PORT)"
    fi
}

create() {
    start
    if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$AMANAH_DB_NAME'")" != 1 ]; then
        say "creating database $AMANAH_DB_NAME"
        psql_admin -d postgres -c "CREATE DATABASE \"$AMANAH_DB_NAME\""
    fi
    psql_admin -d "$AMANAH_DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis"
}

stop() {
    if [ -f "$data_dir/PG_VERSION" ] && as_server_user "$pg_bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
        say "stopping PostGIS cluster"
        as_server_user "$pg_bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
    else
        say "PostGIS cluster not running"
    fi
}

status() {
    if [ -f "$data_dir/PG_VERSION" ]; then
        as_server_user "$pg_bin/pg_ctl" -D "$data_dir" status || true
    else
        echo "no cluster initialised yet"
    fi
}

case "${1:-}" in
    start) start ;;
    create) create ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: $0 start|stop|status|create" ;;
esac
