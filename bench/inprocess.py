"""Calling the app in-process through Django's WSGI handler: the server's own code path, no sockets,
no test-client extras (signals, template capture), so the overhead measured is the app's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.handlers.wsgi import WSGIHandler
from django.test.client import RequestFactory

_HANDLER = WSGIHandler()
_FACTORY = RequestFactory(HTTP_HOST="127.0.0.1")


def _call(environ: dict[str, Any]) -> tuple[int, bytes]:
    status: list[str] = []

    def start_response(
        line: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        status.append(line)
        return lambda data: None

    body = b"".join(_HANDLER(environ, start_response))
    return int(status[0].split()[0]), body


def get(path: str, query: dict[str, str]) -> tuple[int, bytes]:
    # RequestFactory only builds the WSGI environ here; the handler does all the work.
    return _call(_FACTORY.get(path, query).environ)


def post_form(path: str, fields: dict[str, str]) -> tuple[int, bytes]:
    """A form-encoded POST, as Open311 clients send it (no file)."""
    return _call(
        _FACTORY.post(path, urlencode(fields), content_type="application/x-www-form-urlencoded").environ
    )
