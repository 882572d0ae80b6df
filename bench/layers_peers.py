"""The three OGC API servers of the layers benchmark, each in a process of its own on loopback.

- the app: gunicorn serving `geo_services.wsgi` (sync worker, DEBUG off) from the project's .venv;
- tipg: uvicorn serving `tipg.main:app`, configured by its TIPG_* environment variables;
- pygeoapi: gunicorn serving `pygeoapi.flask_app:APP`, with a configuration written here (the
  PostgreSQL provider, one collection per layer) and its OpenAPI document generated from it.

tipg and pygeoapi run from the benchmark's own virtualenv (`bench/peers/setup.sh`). All three read
the same database with the same user. Each runs one worker: the benchmark sends one request at a
time, so every server answers on one core while the client and PostgreSQL use the other.

Also here: a minimal HTTP client (one new connection per request for every server, as gunicorn's
sync workers close each connection anyway) and the memory figures of a worker read from /proc.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
SETUP_SCRIPT = BENCH_DIR / "peers" / "setup.sh"


class ServerFailure(RuntimeError):
    pass


def peers_venv() -> Path:
    """The peers' virtualenv, created or brought up to date by bench/peers/setup.sh first."""
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run(  # noqa: S603 - the project's own script
        [bash, str(SETUP_SCRIPT)],
        check=True,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHON": sys.executable},
        text=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    name: str
    user: str
    password: str

    @classmethod
    def current(cls) -> Database:
        from django.db import connection

        db = connection.settings_dict
        return cls(
            host=db["HOST"] or "127.0.0.1",
            port=int(db["PORT"] or 5432),
            name=db["NAME"],
            user=db["USER"] or "",
            password=db.get("PASSWORD") or "",
        )

    def url(self, scheme: str) -> str:
        password = f":{quote(self.password, safe='')}" if self.password else ""
        return f"{scheme}://{quote(self.user, safe='')}{password}@{self.host}:{self.port}/{self.name}"


# --- HTTP --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    ms: float
    content_type: str


def fetch(base_url: str, path: str, *, timeout: float = 300) -> Answer:
    """GET `path` on a new connection and read the whole body; the time covers connect to last byte."""
    host, port = base_url.removeprefix("http://").split(":")
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/geo+json, application/json"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return Answer(
        response.status, body, (time.perf_counter() - started) * 1000, response.getheader("Content-Type", "")
    )


# --- Processes ----------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The worker processes of the server (children of the process started here)."""
        return _children(self.process.pid)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: the command name may hold spaces, the last ')' ends it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@contextmanager
def serve(
    name: str, command: list[str], *, env: dict[str, str], health: str, port: int, log_dir: Path, cwd: Path
) -> Iterator[Server]:
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - interpreters and arguments made here
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise ServerFailure(f"{name} exited with {process.returncode}:\n{server.tail()}")
            try:
                if fetch(server.base_url, health, timeout=5).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailure(f"{name} did not answer {health} within 120 s:\n{server.tail()}")
            time.sleep(0.3)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_server(*, log_dir: Path, max_limit: int) -> Any:
    from django.conf import settings

    database = Database.current()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_services.settings",
        "DATABASE_URL": database.url("postgis"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "AMANAH_OGC_MAX_LIMIT": str(max_limit),
        # Tiles are measured uncached over HTTP: every answer built by PostGIS (the cached path is
        # measured in-process).
        "AMANAH_TILE_CACHE_SECONDS": "0",
        # A 100,000-feature page is one statement of a few seconds; no request here comes near this.
        "DB_STATEMENT_TIMEOUT_MS": "120000",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "geo_services.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    return serve(
        "app", command, env=env, health="/healthz", port=port, log_dir=log_dir, cwd=settings.BASE_DIR
    )


@dataclass(frozen=True)
class PeerCollection:
    """One layer as the peers see it: the relation, its key and geometry, the published columns."""

    layer_id: str
    table: str
    id_column: str
    geometry_column: str
    columns: tuple[str, ...]

    @property
    def tipg_id(self) -> str:
        return f"public.{self.table}"


def tipg_server(venv: Path, collections: list[PeerCollection], *, log_dir: Path, max_features: int) -> Any:
    database = Database.current()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database.url("postgresql"),
        "TIPG_DB_SCHEMAS": json.dumps(["public"]),
        "TIPG_DB_TABLES": json.dumps([c.tipg_id for c in collections]),
        "TIPG_MAX_FEATURES_PER_QUERY": str(max_features),
        # tipg stops a tile at 10,000 features by default; the app's tiles hold (or count) every
        # feature, so tipg is measured building complete tiles too.
        "TIPG_MAX_FEATURES_PER_TILE": str(max_features),
        # The catalogue is read once at start; no refresh in the middle of a measurement.
        "TIPG_CATALOG_TTL": "86400",
        "TIPG_DB_MAX_CONN_SIZE": "2",
        **{
            f"TIPG_TABLE_CONFIG__public_{c.table}__{key}": value
            for c in collections
            for key, value in (("pk", c.id_column), ("geomcol", c.geometry_column))
        },
    }
    command = [
        str(venv / "bin" / "uvicorn"),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return serve("tipg", command, env=env, health="/healthz", port=port, log_dir=log_dir, cwd=log_dir)


def pygeoapi_config(collections: list[PeerCollection], *, port: int, max_items: int) -> dict[str, Any]:
    database = Database.current()
    connection_data = {
        "host": database.host,
        "port": database.port,
        "dbname": database.name,
        "user": database.user,
        "search_path": ["public"],
    }
    if database.password:
        connection_data["password"] = database.password
    from bench.synthetic import MIN_LAT, MIN_LON, SPAN

    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            # Compact JSON, as the other two servers write it.
            "pretty_print": False,
            "limits": {"default_items": 100, "max_items": max_items, "on_exceed": "error"},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OpenStreetMap"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "Layers benchmark",
                "description": "pygeoapi on the benchmark's tables",
                "keywords": ["benchmark"],
                "keywords_type": "theme",
                "terms_of_service": "",
                "url": "http://127.0.0.1",
            },
            "license": {"name": "none", "url": "http://127.0.0.1"},
            "provider": {"name": "benchmark", "url": "http://127.0.0.1"},
            "contact": {
                key: "benchmark" if key != "url" else "http://127.0.0.1"
                for key in (
                    "name",
                    "position",
                    "address",
                    "city",
                    "stateorprovince",
                    "postalcode",
                    "country",
                    "phone",
                    "fax",
                    "email",
                    "url",
                    "hours",
                    "instructions",
                    "role",
                )
            },
        },
        "resources": {
            c.layer_id: {
                "type": "collection",
                "title": c.layer_id,
                "description": c.layer_id,
                "keywords": [c.layer_id],
                "extents": {
                    "spatial": {
                        "bbox": [MIN_LON, MIN_LAT, MIN_LON + SPAN, MIN_LAT + SPAN],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": connection_data,
                        "id_field": c.id_column,
                        "table": c.table,
                        "geom_field": c.geometry_column,
                        "properties": list(c.columns),
                    }
                ],
            }
            for c in collections
        },
    }


def pygeoapi_server(venv: Path, collections: list[PeerCollection], *, log_dir: Path, max_items: int) -> Any:
    port = free_port()
    config = log_dir / "pygeoapi-config.yml"
    openapi = log_dir / "pygeoapi-openapi.yml"
    # JSON is YAML: the configuration needs no YAML writer in the project's environment.
    config.write_text(json.dumps(pygeoapi_config(collections, port=port, max_items=max_items), indent=1))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    generated = subprocess.run(  # noqa: S603 - the peers' own command line, arguments made here
        [str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        check=False,
        env=env,
        cwd=log_dir,
        capture_output=True,
        text=True,
    )
    # It notes each DATE column it cannot describe ("Unsupported column type"), harmlessly.
    if generated.returncode != 0:
        raise ServerFailure(f"pygeoapi's OpenAPI generation failed:\n{generated.stderr[-3000:]}")
    command = [
        str(venv / "bin" / "gunicorn"),
        "pygeoapi.flask_app:APP",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "300",
        "--log-level",
        "warning",
    ]
    return serve(
        "pygeoapi", command, env=env, health="/conformance?f=json", port=port, log_dir=log_dir, cwd=log_dir
    )


# --- Memory of a worker ----------------------------------------------------------------------------------


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise ServerFailure(f"no {key} for process {pid}")


def resident_kib(pid: int) -> int:
    return _status_kib(pid, "VmRSS")


def peak_kib(pid: int) -> int:
    return _status_kib(pid, "VmHWM")


def reset_peak(pid: int) -> None:
    """Set the process's peak resident size (VmHWM) back to its current size (Linux >= 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def replace_worker(server: Server, *, timeout: float = 60) -> int:
    """Stop the server's worker; its master starts a fresh one, whose pid is returned once it is up."""
    (old,) = server.workers()
    os.kill(old, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = [pid for pid in server.workers() if pid != old]
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise ServerFailure(f"{server.name}: no new worker within {timeout:.0f} s")
