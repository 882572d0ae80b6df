"""A TCP proxy for HTTP/1.1 that cuts connections at random points, as a mobile network does.

Each connection the proxy accepts is, with probability `cut_rate`, cut once, in one of three ways
(a third of the cuts each):

- while the request is on its way: the server receives a random prefix of it (nothing, part of the
  head, or the head and part of the body), then the end of the stream;
- while the server works: the whole request reaches the server, and the client's side is closed at
  once; the server's answer is read and dropped. The client retries while the server is still
  handling the first attempt, so the two run at the same time;
- after the server has sent its whole answer: the client receives a random prefix of it (possibly
  nothing), then the end of the stream.

In the last two the server has done the work and the client only sees an error: the cases a retry
must not turn into a duplicate.

The rest are passed through untouched. A cut connection carries one exchange (clients here send
`Connection: close`, and the server's sync workers close every connection after one answer anyway).
Decisions come from one seeded generator, drawn in the order connections are accepted, so a
sequential client meets the same cuts on every run.

Run on its own: `python -m bench.netcut --upstream 127.0.0.1:8000 --cut-rate 0.2 --seed 1` prints the
port it listens on; when its standard input closes it prints its counts as JSON and exits.
`CuttingProxy` starts it that way, so the proxy's work does not compete with the client's for one
interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# The largest request or response head accepted; a longer one is not HTTP this proxy understands.
HEAD_LIMIT = 64 * 1024

REQUEST = "request"
IN_FLIGHT = "in-flight"
RESPONSE = "response"


@dataclass(frozen=True)
class Cut:
    kind: str  # REQUEST, IN_FLIGHT or RESPONSE
    fraction: float  # where, as a share of the message's bytes, in [0, 1)


@dataclass
class Counts:
    connections: int = 0
    passed: int = 0
    # "request/head", "request/body", "in-flight" and "response"; each also by route and, once the
    # server has answered, by status.
    cuts: Counter[str] = field(default_factory=Counter)
    unfinished: int = 0  # connections whose client or server went away before a planned cut

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "passed": self.passed,
            "cuts": dict(sorted(self.cuts.items())),
            "unfinished": self.unfinished,
        }


def content_length(head: bytes) -> int | None:
    found = _CONTENT_LENGTH.search(head)
    return int(found.group(1)) if found else None


def endpoint_of(path: str) -> str:
    """A path with its UUIDs and query left out, to count per endpoint."""
    return _UUID.sub("{uuid}", path.split("?", 1)[0])


def route_of(head: bytes) -> str:
    """The method and endpoint of a request head."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) < 2:
        return "?"
    return f"{parts[0]} {endpoint_of(parts[1])}"


class Proxy:
    def __init__(self, upstream: tuple[str, int], *, cut_rate: float, seed: int) -> None:
        self.upstream = upstream
        self.cut_rate = cut_rate
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.tasks: set[asyncio.Task[None]] = set()

    def decide(self) -> Cut | None:
        # Always three draws, so one connection's decision never shifts the next one's.
        cut, kind, fraction = self.rng.random(), self.rng.random(), self.rng.random()
        if cut >= self.cut_rate:
            return None
        return Cut(kind=(REQUEST, IN_FLIGHT, RESPONSE)[min(int(kind * 3), 2)], fraction=fraction)

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        self.counts.connections += 1
        decision = self.decide()
        server_w: asyncio.StreamWriter | None = None
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
            if decision is None:
                await self._pass(client_r, client_w, server_r, server_w)
                self.counts.passed += 1
            elif decision.kind == REQUEST:
                await self._cut_request(client_r, server_w, decision.fraction)
            elif decision.kind == IN_FLIGHT:
                await self._cut_in_flight(client_r, client_w, server_r, server_w)
            else:
                await self._cut_response(client_r, client_w, server_r, server_w, decision.fraction)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            self.counts.unfinished += 1
        finally:
            # close(), not abort(): what is still buffered for the client is delivered first.
            for writer in (server_w, client_w):
                if writer is not None:
                    writer.close()
            if task is not None:
                self.tasks.discard(task)

    async def _pass(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        server_r: asyncio.StreamReader,
        server_w: asyncio.StreamWriter,
    ) -> None:
        upstream = asyncio.ensure_future(_pipe(client_r, server_w))
        try:
            await _pipe(server_r, client_w)
        finally:
            # The server has answered and closed: the exchange is over, whether or not the client
            # has closed its side yet.
            upstream.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upstream

    async def _cut_request(
        self, client_r: asyncio.StreamReader, server_w: asyncio.StreamWriter, fraction: float
    ) -> None:
        head = await client_r.readuntil(HEAD_END)
        total = len(head) + (content_length(head) or 0)
        keep = int(fraction * total)
        if keep <= len(head):
            server_w.write(head[:keep])
            where = "head"
        else:
            server_w.write(head + await client_r.readexactly(keep - len(head)))
            where = "body"
        await server_w.drain()
        # A clean end of stream, not a reset: the server reads a request that simply stops short.
        server_w.close()
        await server_w.wait_closed()
        self.counts.cuts[f"request/{where}"] += 1
        self.counts.cuts[f"request/{where} {route_of(head)}"] += 1

    async def _cut_in_flight(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        server_r: asyncio.StreamReader,
        server_w: asyncio.StreamWriter,
    ) -> None:
        head = await _forward_request(client_r, server_w)
        client_w.close()
        await client_w.wait_closed()
        # The server is left to finish, as it would be when the client vanishes mid-request.
        answer_head, _body = await _read_answer(server_r)
        self.counts.cuts["in-flight"] += 1
        self.counts.cuts[f"in-flight {route_of(head)} -> {_status(answer_head)}"] += 1

    async def _cut_response(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        server_r: asyncio.StreamReader,
        server_w: asyncio.StreamWriter,
        fraction: float,
    ) -> None:
        head = await _forward_request(client_r, server_w)
        answer_head, body = await _read_answer(server_r)
        answer = answer_head + body
        client_w.write(answer[: int(fraction * len(answer))])
        await client_w.drain()
        client_w.close()
        await client_w.wait_closed()
        self.counts.cuts["response"] += 1
        self.counts.cuts[f"response {route_of(head)} -> {_status(answer_head)}"] += 1


async def _forward_request(client_r: asyncio.StreamReader, server_w: asyncio.StreamWriter) -> bytes:
    """The whole of one request, passed on; its head is returned."""
    head = await client_r.readuntil(HEAD_END)
    server_w.write(head + await client_r.readexactly(content_length(head) or 0))
    await server_w.drain()
    return head


async def _read_answer(server_r: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await server_r.readuntil(HEAD_END)
    length = content_length(head)
    body = await server_r.read() if length is None else await server_r.readexactly(length)
    return head, body


def _status(answer_head: bytes) -> str:
    return answer_head.split(b" ", 2)[1].decode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(64 * 1024):
        writer.write(data)
        await writer.drain()
    # The other side may have closed already; its end of stream then needs no telling.
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof() and not writer.is_closing():
            writer.write_eof()


async def serve(upstream: tuple[str, int], *, cut_rate: float, seed: int, port: int = 0) -> Counts:
    """Listen on 127.0.0.1 until standard input closes; print the port first, the counts are returned."""
    proxy = Proxy(upstream, cut_rate=cut_rate, seed=seed)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", port, limit=HEAD_LIMIT, backlog=256)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    if proxy.tasks:
        _done, stuck = await asyncio.wait(set(proxy.tasks), timeout=10)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)
    await server.wait_closed()
    return proxy.counts


class CuttingProxy:
    """The proxy as a child process: `with CuttingProxy(...) as proxy:` gives `proxy.port`; after the
    block, `proxy.counts`."""

    def __init__(self, upstream: tuple[str, int], *, cut_rate: float, seed: int) -> None:
        self.upstream = upstream
        self.cut_rate = cut_rate
        self.seed = seed
        self.port = 0
        self.counts: dict[str, Any] = {}
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> CuttingProxy:
        host, port = self.upstream
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "bench.netcut",
                "--upstream",
                f"{host}:{port}",
                "--cut-rate",
                repr(self.cut_rate),
                "--seed",
                str(self.seed),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            raise RuntimeError(f"the proxy did not start: {line!r}")
        self.port = int(line)
        return self

    def stop(self) -> dict[str, Any]:
        if self._process is None:
            return self.counts
        output, _ = self._process.communicate(input="", timeout=30)
        self._process = None
        self.counts = json.loads(output)
        return self.counts

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            with contextlib.suppress(Exception):
                self.stop()
            if self._process is not None:
                self._process.kill()
                self._process = None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.netcut", description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="host:port of the server")
    parser.add_argument("--cut-rate", type=float, default=0.2, help="share of connections cut (default 0.2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    args = parser.parse_args()
    if not 0 <= args.cut_rate <= 1:
        parser.error("--cut-rate must be from 0 to 1")
    host, _, port = args.upstream.rpartition(":")
    counts = asyncio.run(serve((host, int(port)), cut_rate=args.cut_rate, seed=args.seed, port=args.port))
    print(json.dumps(counts.as_dict()), flush=True)


if __name__ == "__main__":
    main()
