"""Kill a process in the middle of a write, at a known point rather than by timing luck.

The test holds, on a connection of its own, a lock that the write needs only after it has written
rows; starts the write in a real process (a management command, or the app served by gunicorn);
waits until PostgreSQL shows that process's backend waiting for the lock with rows already written
(its transaction has an id and holds RowExclusiveLock on the tables it wrote); SIGKILLs the process
(its whole process group); releases the lock; and waits until the orphaned backend is gone. A backend
blocked on a lock only notices its closed socket once the statement ends, so it finishes the statement,
finds no client and rolls the transaction back.

Every child process runs with its own `application_name` (libpq's PGAPPNAME) so its backends can be
told apart from the test's and from anyone else's.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import requests
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 25


def _connection_settings() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {
        "dbname": db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }


def database_url() -> str:
    """The database the test runs on (pytest-django's test database), for a child process."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgis://{credentials}@{host}:{port}/{db['NAME']}"


def connect(*, autocommit: bool) -> psycopg.Connection[Any]:
    params = {k: v for k, v in _connection_settings().items() if v is not None}
    return psycopg.connect(autocommit=autocommit, **params)


def new_app_name(purpose: str) -> str:
    return f"amanah-kill-{purpose}-{uuid.uuid4().hex[:8]}"


def child_env(app_name: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PGAPPNAME": app_name,
        # The lock wait must not be cut short by the web statement limit: the kill ends it.
        "DB_STATEMENT_TIMEOUT_MS": "120000",
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


@contextmanager
def holding(statement: str, params: Sequence[Any] = ()) -> Iterator[psycopg.Connection[Any]]:
    """Run `statement` in an open transaction of a connection of its own, and keep the transaction
    (and so the lock it took) open until the block ends or the lock is released (rollback)."""
    holder = connect(autocommit=False)
    try:
        holder.execute(statement, params)
        yield holder
    finally:
        holder.rollback()
        holder.close()


@dataclass(frozen=True)
class BlockedBackend:
    pid: int
    xid: str | None
    wait_event: str
    written: frozenset[str]  # tables on which it holds RowExclusiveLock: it has written there
    waiting_for: frozenset[str]  # relations (if any) whose lock it waits for


def _backends(monitor: psycopg.Connection[Any], app_name: str) -> list[tuple[Any, ...]]:
    return monitor.execute(
        "SELECT pid, wait_event_type, wait_event, backend_xid::text FROM pg_stat_activity"
        " WHERE application_name = %s",
        [app_name],
    ).fetchall()


def wait_until_blocked(app_name: str, process: subprocess.Popen[Any]) -> BlockedBackend:
    """Wait until a backend of `app_name` waits for a lock; fail if the process ends first."""
    deadline = time.monotonic() + WAIT_SECONDS
    with connect(autocommit=True) as monitor:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the process ended before reaching the lock:\n{output_of(process)}")
            for pid, wait_type, wait_event, xid in _backends(monitor, app_name):
                if wait_type != "Lock":
                    continue
                locks = monitor.execute(
                    "SELECT c.relname, l.mode, l.granted FROM pg_locks l"
                    " JOIN pg_class c ON c.oid = l.relation WHERE l.pid = %s",
                    [pid],
                ).fetchall()
                return BlockedBackend(
                    pid=pid,
                    xid=xid,
                    wait_event=wait_event,
                    written=frozenset(
                        r for r, mode, granted in locks if granted and mode == "RowExclusiveLock"
                    ),
                    waiting_for=frozenset(r for r, _mode, granted in locks if not granted),
                )
            time.sleep(0.05)
    raise AssertionError(f"no backend of {app_name} waited for the lock in {WAIT_SECONDS} s")


def wait_until_gone(app_name: str) -> None:
    """Wait until PostgreSQL has ended every backend of `app_name` (and so rolled back its transaction)."""
    deadline = time.monotonic() + WAIT_SECONDS
    with connect(autocommit=True) as monitor:
        while time.monotonic() < deadline:
            if not _backends(monitor, app_name):
                return
            time.sleep(0.05)
    raise AssertionError(f"the backends of {app_name} were still there after {WAIT_SECONDS} s")


def kill(process: subprocess.Popen[Any]) -> None:
    """SIGKILL the process and every process of its group (gunicorn's master and workers)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=WAIT_SECONDS)


def output_of(process: subprocess.Popen[Any]) -> str:
    log = getattr(process, "log_path", None)
    return Path(log).read_text(errors="replace") if log else ""


def _start(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, arguments made here
            args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    process.log_path = log_path  # type: ignore[attr-defined]
    return process


def start_command(args: Sequence[str], *, app_name: str, log_path: Path) -> subprocess.Popen[bytes]:
    """`manage.py <args>` in a process (and process group) of its own, on the test's database."""
    return _start([sys.executable, "manage.py", *args], child_env(app_name), log_path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AppServer:
    """The app served by gunicorn (one worker) on a free loopback port, on the test's database."""

    def __init__(self, *, app_name: str, log_path: Path, media_root: Path) -> None:
        self.app_name = app_name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--timeout",
            "120",
            "geo_services.wsgi:application",
        ]
        self.process = _start(args, child_env(app_name, MEDIA_ROOT=str(media_root)), log_path)
        try:
            self._wait_until_serving()
        except BaseException:
            kill(self.process)
            raise

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn ended:\n{output_of(self.process)}")
            try:
                # The socket is bound before the worker has loaded the app: the first answer waits.
                requests.get(f"{self.url}/api/v1/", timeout=10)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer in {WAIT_SECONDS} s:\n{output_of(self.process)}")

    def kill(self) -> None:
        kill(self.process)


@contextmanager
def app_server(*, app_name: str, log_path: Path, media_root: Path) -> Iterator[AppServer]:
    server = AppServer(app_name=app_name, log_path=log_path, media_root=media_root)
    try:
        yield server
    finally:
        server.kill()
