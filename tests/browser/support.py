"""Shared pieces of the browser tests."""

from __future__ import annotations

from urllib.parse import urlparse


def record_local_failures(context, server_host: str) -> list[str]:
    """URLs of the app's own requests that failed while the test ran.

    A request the browser itself cancels because the page moved on (net::ERR_ABORTED: a fetch still
    in flight when the test navigates) is not a failure of the app and is left out.
    """
    failed: list[str] = []

    def on_failed(request) -> None:
        if urlparse(request.url).hostname == server_host and request.failure != "net::ERR_ABORTED":
            failed.append(f"{request.url} ({request.failure})")

    context.on("requestfailed", on_failed)
    return failed
