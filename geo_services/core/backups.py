"""Backups of the project's database: pg_dump's custom format out, pg_restore into a new database.

A restore never writes over an existing database: it creates the one it is told to, restores in a
single transaction (so a failed restore leaves nothing half-written behind, and the new database is
dropped again) and reports the row count of every table, to compare with the source.
The PostgreSQL tools of the server's own major version are used when installed (a newer pg_dump
writes archives an older pg_restore cannot read).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.utils.translation import gettext as _

from geo_services.core.errors import Conflict, InvalidInput

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class RestoreReport:
    database: str
    table_counts: dict[str, int]


def _tool(name: str) -> str:
    """The PostgreSQL client tool matching the server's major version, else the one on PATH."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10_000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.is_file():
        return str(versioned)
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(_("%(tool)s is not installed (package postgresql-client).") % {"tool": name})
    return found


def _connection_args(database: dict[str, Any], name: str) -> tuple[list[str], dict[str, str]]:
    args = ["--host", str(database.get("HOST") or "127.0.0.1"), "--port", str(database.get("PORT") or 5432)]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    env = {**os.environ, "PGDATABASE": name}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments
    if result.returncode != 0:
        raise InvalidInput(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": result.stderr.strip()[-2000:]},
            code="backup_failed",
        )


def dump_database(path: Path) -> Path:
    """The project's database into `path` (pg_dump custom format, without owners or grants)."""
    database = connections["default"].settings_dict
    args, env = _connection_args(database, database["NAME"])
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)],
        env,
    )
    return path


def restore_database(path: Path, *, into: str) -> RestoreReport:
    """Restore the archive `path` into a new database `into` on the project's server, in one
    transaction; on failure the new database is dropped again."""
    if not _DATABASE_NAME.match(into):
        raise InvalidInput(
            _("%(name)r is not a database name this command creates: lower-case letters, digits and _.")
            % {"name": into[:70]}
        )
    if not path.is_file():
        raise InvalidInput(_("There is no backup file %(path)s.") % {"path": path})
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [into])
        if cursor.fetchone():
            raise Conflict(
                _("The database %(name)s exists already; a restore only creates a new one.") % {"name": into},
                code="database_exists",
            )
        cursor.execute(f'CREATE DATABASE "{into}"')  # checked name
    database = connections["default"].settings_dict
    args, env = _connection_args(database, into)
    try:
        _run(
            [
                _tool("pg_restore"),
                *args,
                "--dbname",
                into,
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                str(path),
            ],
            env,
        )
        counts = table_counts(into)
    except Exception:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{into}"')  # checked name
        raise
    return RestoreReport(database=into, table_counts=counts)


def table_counts(name: str | None = None) -> dict[str, int]:
    """Rows of every table of the public schema, in the project's database or the one named."""
    database = dict(connections["default"].settings_dict)
    if name is not None:
        database["NAME"] = name
    with psycopg.connect(
        host=database.get("HOST") or "127.0.0.1",
        port=database.get("PORT") or 5432,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname=database["NAME"],
    ) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts: dict[str, int] = {}
        for table in tables:
            row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608 - catalogue names
            counts[table] = row[0] if row else 0
        return counts


def default_backup_path() -> Path:
    from django.utils import timezone

    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.AMANAH_BACKUP_DIR) / f"amanah-{stamp}.dump"
