"""A tablet for the field app's browser tests: a Chromium context the size of a tablet, located at
the demo park and cut off from every host but the live server; signing in; reading the app's
IndexedDB; filling the park checklist; a record of what reached the server; and screenshots
(AMANAH_SCREENSHOT_DIR=/some/folder keeps one of each step there)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from django.core.signals import request_started
from playwright.sync_api import BrowserContext

from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD
from tests.fieldapp import builders

TABLET = {"width": 800, "height": 1280}


class ServerLog:
    """The paths the live server was asked for while `recording` is on."""

    def __init__(self) -> None:
        self.recording = False
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, sender: object, environ: dict | None = None, **kwargs: object) -> None:
        if self.recording and environ is not None:
            with self._lock:
                self.paths.append(environ.get("PATH_INFO", ""))


@contextmanager
def server_log() -> Iterator[ServerLog]:
    log = ServerLog()
    request_started.connect(log, dispatch_uid="field-tablet-server-log")
    try:
        yield log
    finally:
        request_started.disconnect(dispatch_uid="field-tablet-server-log")


@contextmanager
def tablet(browser, live_server) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A tablet-sized context near the park, reaching only the live server: the context, and the
    app's own requests that failed."""
    server_host = urlparse(live_server.url).hostname
    lon, lat = builders.KING_PARK
    context = browser.new_context(
        viewport=TABLET,
        has_touch=True,
        is_mobile=True,
        locale="ar-JO",
        timezone_id="Asia/Amman",
        geolocation={"latitude": lat + 0.0002, "longitude": lon + 0.0002, "accuracy": 8},
        permissions=["geolocation"],
    )
    failed_local = record_local_failures(context, server_host)

    def only_this_server(route):
        if urlparse(route.request.url).hostname == server_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_this_server)
    try:
        yield context, failed_local
    finally:
        context.close()


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/field/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/field/$"))
    snapshot(page, "field-0-sign-in")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/field/")


def wait_for_service_worker(page) -> None:
    """Until the worker is active and controls this page (its install cached the app's shell)."""
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.state === 'activated'",
        timeout=20_000,
    )


def stored_photo_blobs(page) -> int:
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("amanah-field");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const request = open.result.transaction("photos").objectStore("photos").count();
                request.onsuccess = () => { resolve(request.result); open.result.close(); };
                request.onerror = () => reject(request.error);
            };
        })"""
    )


def fill_the_park_checklist(page) -> None:
    # The radio inputs sit under large labels (the touch targets); tap the labels.
    page.locator('[data-item="clean"] label', has=page.locator('input[value="true"]')).tap()
    page.locator('[data-item="lighting"] label', has=page.locator('input[value="3"]')).tap()
    page.fill('input[name="item-benches"]', "6")
    page.locator('[data-item="surface"] label', has=page.locator('input[value="worn"]')).tap()
    page.fill('textarea[name="item-notes"]', "مقعدان بحاجة إلى دهان")
    page.set_input_files(
        '[data-photo-input="evidence"]',
        files=[{"name": "park.jpg", "mimeType": "image/jpeg", "buffer": builders.jpeg()}],
    )
    page.locator('[data-gallery="evidence"] .photo-thumb img').wait_for()


def snapshot(page, name: str) -> None:
    folder = os.environ.get("AMANAH_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
