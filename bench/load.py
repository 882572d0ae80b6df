"""Load (issue point 5): citizens, inspectors and planners at once against the app under gunicorn.

The data (`bench/load_data.py`) is the Amman demo plus generated venues with bookings, a year of
service requests, inspectors with a day of jobs each, and planners, in a database of the benchmark's
own (`amanah_bench_load`). The app runs under gunicorn on a free loopback port (sync workers,
DEBUG off, rate limits off: this measures capacity, not the limiter), in a process group of its own,
stopped at the end. The scenario (`bench/load_scenario.py`) runs in locust, headless, in a subprocess
(gevent's monkeypatching stays out of this process), once per step with a fixed number of simulated
people: spawned in a few seconds, then the statistics are reset and the step runs for its duration.
Per step: users, requests/s, p50/p95/p99, failures, the CPU used by gunicorn's workers and by locust
and the machine's load; per endpoint at the chosen step — the step with the most requests/s whose
aggregate p95 stays under the target with zero failures. Printed as markdown tables to paste into
docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from bench import layers_peers, load_data

BENCH_DIR = Path(__file__).resolve().parent
SCENARIO = BENCH_DIR / "load_scenario.py"
TARGET_P95_MS = 200.0
# Seconds to spawn a step's users; the statistics start after it (locust --reset-stats).
RAMP_S = 5
# Past this aggregate p95 a larger step teaches nothing more.
GIVE_UP_P95_MS = 1000.0
# Django's log line for an error answer: "Conflict: /api/v1/field/inspections/…/".
_LOG_ANSWER = re.compile(r"^([A-Z][A-Za-z -]+): (/\S*)")


class LoadFailure(RuntimeError):
    pass


@dataclass(frozen=True)
class Row:
    """One line of locust's statistics (an endpoint, or the aggregate)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float


@dataclass
class Step:
    users: int
    duration_s: int
    total: Row
    endpoints: list[Row]
    failures: list[dict[str, str]]
    server_errors: dict[str, int]
    gunicorn_cpu_s: float
    postgres_cpu_s: float
    locust_cpu_s: float
    wall_s: float
    machine_busy: float
    load_1min: tuple[float, float]

    def cores(self, seconds: float) -> float:
        return seconds / self.wall_s

    @property
    def cpu_ms_per_request(self) -> float:
        """CPU of the app's workers and their database sessions per request answered: what the
        machine's contention does not change much, so capacity on idle cores can be estimated."""
        return (self.gunicorn_cpu_s + self.postgres_cpu_s) * 1000 / max(1.0, self.total.rps * self.wall_s)

    @property
    def ok(self) -> bool:
        return self.total.failures == 0 and not self.server_errors and self.total.p95_ms < TARGET_P95_MS


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def read_stats(path: Path) -> tuple[Row, list[Row]]:
    rows = []
    total = None
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            row = Row(
                method=line["Type"],
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=_number(line["Requests/s"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
                p99_ms=_number(line["99%"]),
                mean_ms=_number(line["Average Response Time"]),
                max_ms=_number(line["Max Response Time"]),
            )
            if line["Name"] == "Aggregated":
                total = row
            else:
                rows.append(row)
    if total is None:
        raise LoadFailure(f"no aggregate line in {path}")
    return total, rows


def read_failures(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each process has used, read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu_by_pid(pids).values())


def _database_pids() -> tuple[list[int], int]:
    """The PostgreSQL sessions of the benchmark's database, and the one of the connection asking."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, pg_backend_pid() FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'"
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], rows[0][1]


class SessionCpu:
    """CPU used by the benchmark database's PostgreSQL sessions while a step runs. The app's workers
    reconnect every DB_CONN_MAX_AGE seconds, so the sessions are read every second from a thread of
    its own (with a database connection of its own): a session that ends loses at most its last
    second."""

    def __init__(self) -> None:
        # This process's own sessions (the runner's and the watching thread's) are not the app's.
        self.own: set[int] = set()
        self.before = self._read()
        self.seen: dict[int, float] = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        try:
            while not self._stop.wait(1.0):
                self.seen.update(self._read())
        finally:
            connection.close()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self.seen.update(self._read())
        return sum(used - self.before.get(pid, 0.0) for pid, used in self.seen.items() if pid not in self.own)

    def _read(self) -> dict[int, float]:
        pids, mine = _database_pids()
        self.own.add(mine)
        return _cpu_by_pid([pid for pid in pids if pid not in self.own])


def _machine_times() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def _server_errors(log: Path, since: int) -> dict[str, int]:
    """The error answers Django logged ("Conflict: /path", "Service Unavailable: /path", ...) and
    gunicorn's own errors, since a position in its log: each one is an error of the step, also when
    locust had already stopped waiting for the answer."""
    with log.open("rb") as handle:
        handle.seek(since)
        text = handle.read().decode("utf-8", "replace")
    found: Counter[str] = Counter()
    for line in text.splitlines():
        answer = _LOG_ANSWER.match(line)
        if answer:
            found[f"{answer.group(1)} {answer.group(2)}"] += 1
        elif "[ERROR]" in line or "[CRITICAL]" in line or line.startswith("Traceback"):
            found["gunicorn: " + line[-120:]] += 1
    return dict(found)


def write_fixture(path: Path, data: load_data.LoadData, *, basic_share: float) -> None:
    """What the simulated people need: read by the scenario, which imports nothing of the project."""
    j = data.jurisdiction_id
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom)::geometry AS e FROM core_district WHERE jurisdiction_id = %s) x",
            [j],
        )
        bbox = [round(v, 6) for v in cursor.fetchone()]
        # The centre of the map as people open it: a point of the central district (al-abdali in the demo).
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM core_district "
            "WHERE jurisdiction_id = %s ORDER BY ST_Distance(geom, ST_Centroid(%s::geometry)) LIMIT 1) c",
            [j, f"SRID=4326;POINT({(bbox[0] + bbox[2]) / 2} {(bbox[1] + bbox[3]) / 2})"],
        )
        centre = [round(v, 6) for v in cursor.fetchone()]
        cursor.execute("SELECT id FROM venues_venue WHERE jurisdiction_id = %s AND active ORDER BY id", [j])
        venue_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT id::text, token::text FROM service_requests_servicerequest WHERE jurisdiction_id = %s "
            "ORDER BY md5(id::text) LIMIT 2000",
            [j],
        )
        requests = [list(row) for row in cursor.fetchall()]
    fixture = {
        "api_key": data.api_key,
        "device_id": load_data.POSTED_DEVICE,
        "bbox": bbox,
        "centre": centre,
        "points": [list(p) for p in load_data.points_inside(j, 2000, seed=71)],
        "venue_ids": venue_ids,
        "requests": requests,
        "booked_from": (load_data.local_today() + timedelta(days=1)).isoformat(),
        "template_version": data.template_version,
        "inspectors": load_data.open_jobs(data),
        "planners": data.planners,
        "basic_share": basic_share,
    }
    path.write_text(json.dumps(fixture, ensure_ascii=False))


def run_step(
    *,
    server: layers_peers.Server,
    users: int,
    duration: int,
    fixture: Path,
    out_dir: Path,
    label: str,
) -> Step:
    prefix = out_dir / label
    locust = Path(sys.executable).with_name("locust")
    command = [
        str(locust),
        "-f",
        str(SCENARIO),
        "--headless",
        "--host",
        server.base_url,
        "-u",
        str(users),
        "-r",
        str(max(1, users // RAMP_S)),
        "-t",
        f"{duration + RAMP_S + 1}s",
        "--reset-stats",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    env = {**os.environ, "AMANAH_LOAD_FIXTURE": str(fixture), "PYTHONUNBUFFERED": "1"}
    workers = server.workers()
    cpu_before = _cpu_seconds(workers)
    sessions = SessionCpu()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, all_before = _machine_times()
    load_before = os.getloadavg()[0]
    log_from = server.log.stat().st_size
    wall_started = time.perf_counter()
    with (out_dir / f"{label}.log").open("wb") as output:
        result = subprocess.run(  # noqa: S603 - the venv's own locust, arguments made here
            command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        raise LoadFailure(f"locust exited with {result.returncode}; see {out_dir / f'{label}.log'}")
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    postgres_cpu = sessions.stop()
    wall = time.perf_counter() - wall_started
    busy_after, all_after = _machine_times()
    # Requests locust stopped waiting for still finish on the server: their answers (and the jobs
    # they complete) land before the next step's jobs are listed.
    time.sleep(3)
    total, endpoints = read_stats(Path(f"{prefix}_stats.csv"))
    return Step(
        users=users,
        duration_s=duration,
        total=total,
        endpoints=sorted(endpoints, key=lambda row: -row.requests),
        failures=read_failures(Path(f"{prefix}_failures.csv")),
        server_errors=_server_errors(server.log, log_from),
        gunicorn_cpu_s=_cpu_seconds(workers) - cpu_before,
        postgres_cpu_s=postgres_cpu,
        wall_s=wall,
        locust_cpu_s=(children_after.ru_utime + children_after.ru_stime)
        - (children_before.ru_utime + children_before.ru_stime),
        machine_busy=(busy_after - busy_before) / max(1.0, all_after - all_before),
        load_1min=(round(load_before, 2), round(os.getloadavg()[0], 2)),
    )


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"


def steps_table(steps: list[Step]) -> str:
    lines = [
        "| users | requests/s | p50 ms | p95 ms | p99 ms | failures | gunicorn workers | PostgreSQL sessions "
        "| CPU per request | locust | machine busy | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in steps:
        t = step.total
        mark = " ✔" if step.ok else ""
        lines.append(
            f"| {step.users} | {t.rps:,.1f}{mark} | {_ms(t.p50_ms)} | {_ms(t.p95_ms)} | {_ms(t.p99_ms)} | "
            f"{t.failures} of {t.requests:,} | {step.cores(step.gunicorn_cpu_s):.2f} cores | "
            f"{step.cores(step.postgres_cpu_s):.2f} cores | {step.cpu_ms_per_request:.1f} ms | "
            f"{step.cores(step.locust_cpu_s):.2f} cores | {step.machine_busy:.0%} | "
            f"{step.load_1min[0]} → {step.load_1min[1]} |"
        )
    return "\n".join(lines)


def endpoints_table(step: Step) -> str:
    lines = [
        "| endpoint | requests | share | req/s | p50 ms | p95 ms | p99 ms | max ms | failures |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in step.endpoints:
        lines.append(
            f"| `{row.method} {row.name}` | {row.requests:,} | {row.requests / step.total.requests:.1%} | "
            f"{row.rps:.1f} | {_ms(row.p50_ms)} | {_ms(row.p95_ms)} | {_ms(row.p99_ms)} | {_ms(row.max_ms)} | "
            f"{row.failures} |"
        )
    return "\n".join(lines)


def _print_step(step: Step) -> None:
    t = step.total
    print(
        f"  {step.users:>4} users: {t.rps:7.1f} requests/s, p50 {_ms(t.p50_ms)} / p95 {_ms(t.p95_ms)} / "
        f"p99 {_ms(t.p99_ms)} ms, {t.failures} failures of {t.requests:,}, {sum(step.server_errors.values())} "
        f"error answers logged by the server; gunicorn {step.cores(step.gunicorn_cpu_s):.2f} cores, "
        f"PostgreSQL {step.cores(step.postgres_cpu_s):.2f} cores ({step.cpu_ms_per_request:.1f} ms per request), "
        f"locust {step.cores(step.locust_cpu_s):.2f} cores, machine {step.machine_busy:.0%} busy, load "
        f"{step.load_1min[0]} -> {step.load_1min[1]}",
        flush=True,
    )
    for what, count in list(step.server_errors.items())[:10]:
        print(f"      SERVER {count}x {what}")
    for failure in step.failures[:10]:
        print(
            f"      FAILED {failure.get('Occurrences')}x {failure.get('Method')} {failure.get('Name')}: "
            f"{failure.get('Error')}"
        )


def run(
    *,
    steps: list[int],
    duration: int,
    workers: int,
    venues: int,
    bookings_per_venue: int,
    requests: int,
    inspectors: int,
    jobs_per_inspector: int,
    planners: int,
    basic_share: float = 0.0,
    warmup: int = 20,
) -> dict[str, Any]:
    started = time.perf_counter()
    data = load_data.ensure(
        venues=venues,
        bookings_per_venue=bookings_per_venue,
        requests=requests,
        inspectors=inspectors,
        jobs_per_inspector=jobs_per_inspector,
        planners=planners,
    )
    print(data.describe() + f" ({time.perf_counter() - started:.0f} s)", flush=True)
    out_dir = Path(settings.DATA_DIR) / "bench-load"
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("step-*"):
        old.unlink()
    fixture = out_dir / "fixture.json"
    database = layers_peers.Database.current()
    port = layers_peers.free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_services.settings",
        "DATABASE_URL": database.url("postgis"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # Capacity, not the limiter: the rate limits would refuse a few simulated people's steady traffic.
        "AMANAH_RATE_LIMITS_ENABLED": "0",
        "MEDIA_ROOT": str(Path(settings.DATA_DIR) / "bench-media" / "load"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "geo_services.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    # Its version from the package's metadata: importing locust would monkeypatch this process.
    print(
        f"gunicorn: {workers} sync workers on 127.0.0.1:{port}; locust {version('locust')}; steps of "
        f"{duration} s after a {RAMP_S} s ramp; {os.cpu_count()} cores",
        flush=True,
    )
    done: list[Step] = []
    with layers_peers.serve(
        "gunicorn", command, env=env, health="/healthz", port=port, log_dir=out_dir, cwd=settings.BASE_DIR
    ) as server:
        if warmup:
            write_fixture(fixture, data, basic_share=basic_share)
            warm = run_step(
                server=server,
                users=steps[0],
                duration=warmup,
                fixture=fixture,
                out_dir=out_dir,
                label="step-warmup",
            )
            print(f"  warm-up, {steps[0]} users for {warmup} s (not in the tables):")
            _print_step(warm)
        for users in steps:
            write_fixture(fixture, data, basic_share=basic_share)
            step = run_step(
                server=server,
                users=users,
                duration=duration,
                fixture=fixture,
                out_dir=out_dir,
                label=f"step-{users}",
            )
            _print_step(step)
            done.append(step)
            if step.total.p95_ms > GIVE_UP_P95_MS:
                print(f"  aggregate p95 above {GIVE_UP_P95_MS:.0f} ms: no larger step")
                break
    passing = [step for step in done if step.ok]
    chosen = max(passing, key=lambda step: step.total.rps) if passing else None
    print()
    print(steps_table(done))
    print()
    if chosen is None:
        print(f"No step kept the aggregate p95 under {TARGET_P95_MS:.0f} ms with zero failures.")
        shown = done[0]
    else:
        print(
            f"**{chosen.total.rps:,.1f} requests/s** with {chosen.users} simulated people: aggregate p95 "
            f"{chosen.total.p95_ms:.0f} ms (target < {TARGET_P95_MS:.0f} ms), 0 failures of "
            f"{chosen.total.requests:,} requests."
        )
        shown = chosen
    print()
    print(f"Per endpoint at {shown.users} users:")
    print()
    print(endpoints_table(shown))
    results = {
        "workers": workers,
        "duration_s": duration,
        "data": data.sizes,
        "steps": [asdict(step) for step in done],
        "chosen_users": chosen.users if chosen else None,
    }
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_services.settings")
    import django

    django.setup()
    run_from_args(args)


def add_arguments(parser: Any) -> None:
    group = parser.add_argument_group("load")
    group.add_argument(
        "--load-steps",
        default="25,50,100,200,300,400",
        help="simulated people per step, comma-separated (default 25,50,100,200,300,400)",
    )
    group.add_argument("--load-duration", type=int, default=45, help="seconds measured per step (default 45)")
    group.add_argument("--load-workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    group.add_argument("--load-venues", type=int, default=3000, help="generated venues (default 3000)")
    group.add_argument(
        "--load-bookings",
        type=int,
        default=10,
        help="generated bookings per venue over the week (default 10)",
    )
    group.add_argument(
        "--load-requests", type=int, default=50_000, help="generated service requests (default 50000)"
    )
    group.add_argument("--load-inspectors", type=int, default=50, help="inspector accounts (default 50)")
    group.add_argument("--load-jobs", type=int, default=24, help="jobs due today per inspector (default 24)")
    group.add_argument("--load-planners", type=int, default=10, help="planner accounts (default 10)")
    group.add_argument(
        "--load-basic-share",
        type=float,
        default=0.0,
        help="share of planners signing in with HTTP Basic instead of a token (default 0)",
    )


def run_from_args(args: Any) -> dict[str, Any]:
    from bench.database import bench_database

    steps = [int(value) for value in args.load_steps.split(",") if value.strip()]
    with bench_database(load_data.DATABASE):
        return run(
            steps=steps,
            duration=args.load_duration,
            workers=args.load_workers,
            venues=args.load_venues,
            bookings_per_venue=args.load_bookings,
            requests=args.load_requests,
            inspectors=args.load_inspectors,
            jobs_per_inspector=args.load_jobs,
            planners=args.load_planners,
            basic_share=args.load_basic_share,
        )


if __name__ == "__main__":
    main()
