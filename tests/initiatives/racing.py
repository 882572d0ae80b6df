"""Requests sent at the same moment, each on its own thread and database connection."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from django.db import close_old_connections, connection

from tests.initiatives.test_api import client_for


def post_together(url: str, users: Sequence[Any]) -> list[object]:
    """Each user POSTs to `url`, all released together by a barrier; the status codes, or the
    error a request raised (a defect: a 500 in production), in the order they finished."""
    barrier = threading.Barrier(len(users))
    statuses: list[object] = []
    lock = threading.Lock()

    def send(user: Any) -> None:
        close_old_connections()
        try:
            barrier.wait()
            result: object = client_for(user).post(url).status_code
        except Exception as error:
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            statuses.append(result)

    threads = [threading.Thread(target=send, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
