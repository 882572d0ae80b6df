"""Content-Security-Policy: every page is sent with a policy that runs only the app's own scripts, the
markup has no inline code for it to block, and in Chromium no page breaks the policy while its maps
still draw."""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.security.pages import EVENT_HANDLER, INLINE_SCRIPT, JAVASCRIPT_URL, client_for, demo_pages


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def nonce_of(header: str) -> str | None:
    found = re.search(r"'nonce-([^']+)'", header)
    return found.group(1) if found else None


def check_markup(page: str, header: str, where: str) -> None:
    """No inline script without the response's nonce (also in iframe srcdoc documents, which live
    under the page's policy), no event handler attribute, no javascript: URL."""
    nonce = nonce_of(header)
    documents = [page, *(html.unescape(d) for d in re.findall(r'srcdoc="([^"]*)"', page))]
    for document in documents:
        for tag in INLINE_SCRIPT.findall(document):
            assert nonce, f"{where}: an inline script but no nonce in the policy: {tag}"
            assert f'nonce="{nonce}"' in tag, f"{where}: inline script without the response's nonce: {tag}"
    assert not EVENT_HANDLER.search(page), f"{where}: {EVENT_HANDLER.search(page)}"
    assert not JAVASCRIPT_URL.search(page), f"{where}: {JAVASCRIPT_URL.search(page)}"


def check_policy(header: str, where: str) -> None:
    policy = directives(header)
    for name in ("script-src", "style-src", "default-src", "object-src", "base-uri", "frame-ancestors"):
        assert name in policy, f"{where}: no {name} in {header}"
    assert "'unsafe-inline'" not in policy["script-src"], where
    assert "'unsafe-eval'" not in policy["script-src"], where
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_every_page_has_the_policy_and_no_inline_code():
    checked = 0
    for page in demo_pages():
        response = client_for(page.role).get(page.path, follow=False)
        assert response.status_code == 200, (page.path, response.status_code)
        assert response["Content-Type"].startswith("text/html"), page.path
        header = response["Content-Security-Policy"]
        check_policy(header, page.path)
        check_markup(response.content.decode(), header, page.path)
        checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_every_admin_page_has_no_inline_code_without_the_nonce(amman):
    from django.contrib import admin

    from tests.factories import UserFactory

    client = client_for("")
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    opened = 0
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
        first = model._default_manager.first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        for url in urls:
            response = client.get(url)
            if response.status_code == 403:  # an add page the model does not offer
                continue
            assert response.status_code == 200, url
            header = response["Content-Security-Policy"]
            check_policy(header, url)
            check_markup(response.content.decode(), header, url)
            opened += 1
    assert opened >= 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/no-such-page/", "", 404),
        ("/venues/999999/", "", 404),
        ("/requests/00000000-0000-0000-0000-000000000000/", "", 404),
        ("/field/", "citizen", 403),
        ("/dispatch/", "inspector", 403),
        ("/planning/", "citizen", 403),
        ("/planning/layers/", "citizen", 403),
    ],
)
def test_error_and_forbidden_pages_have_the_policy_too(path, role, status):
    from tests.factories import UserFactory

    client = client_for("")
    if role:
        client.force_login(UserFactory.create(roles=[role]))
    response = client.get(path)
    assert response.status_code == status
    header = response["Content-Security-Policy"]
    check_policy(header, path)
    check_markup(response.content.decode(), header, path)


def test_the_nonce_is_sent_only_with_pages_that_use_it(client, db):
    # The portal's pages have no inline code: their policy offers no nonce to an injected script.
    response = client.get("/")
    assert nonce_of(response["Content-Security-Policy"]) is None
    assert "'nonce-" not in response["Content-Security-Policy"]


HOSTILE = '</script><script>alert("x")</script><style>body{display:none}</style>'


@pytest.mark.parametrize("path", ["/planning/", "/planning/districts/west/"])
def test_page_data_in_the_indicators_maps_cannot_become_a_nonced_element(db, path):
    # The maps' inline code gets the nonce by its tags, so no data may ever form a tag of its own.
    from geo_services.core.models import District
    from tests.factories import UserFactory
    from tests.indicators.town import build_town

    build_town()
    District.objects.filter(code="west").update(name_ar=HOSTILE, name_en=HOSTILE)
    client = client_for("")
    client.force_login(UserFactory.create(roles=["planner"]))
    response = client.get(f"{path}?jurisdiction=test-indicators&from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200
    (document,) = [html.unescape(d) for d in re.findall(r'srcdoc="([^"]*)"', response.content.decode())]
    assert nonce_of(response["Content-Security-Policy"])
    assert "<script>alert" not in document
    assert "<style>body" not in document
    check_markup(response.content.decode(), response["Content-Security-Policy"], path)


def test_the_basemap_server_is_the_only_outside_image_source(client, db, settings):
    policy = directives(client.get("/")["Content-Security-Policy"])
    expected = ["'self'", "data:", "blob:"]
    if settings.BASEMAP_TILE_URL:
        base = urlparse(settings.BASEMAP_TILE_URL)
        expected.append(f"{base.scheme}://{base.netloc}")
    assert policy["img-src"] == expected
    for name in ("connect-src", "worker-src", "manifest-src", "font-src", "form-action"):
        assert policy[name] == ["'self'"], name


VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_policy_in_chromium_and_the_maps_draw(live_server, browser):
    pages = demo_pages()
    server_host = urlparse(live_server.url).hostname
    problems: list[str] = []
    contexts = {}

    def context_for(role: str):
        if role not in contexts:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar-JO")
            context.add_init_script(VIOLATIONS)
            # A closed network: anything not served by the app fails.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if urlparse(route.request.url).hostname == server_host
                    else route.abort()
                ),
            )
            if role:
                session = client_for(role).cookies[settings.SESSION_COOKIE_NAME].value
                context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
                )
            contexts[role] = context
        return contexts[role]

    for entry in pages:
        page = context_for(entry.role).new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.goto(f"{live_server.url}{entry.path}")
        page.wait_for_load_state("networkidle")
        if entry.drawn:
            scope = page.frame_locator(entry.frame) if entry.frame else page
            try:
                scope.locator(entry.drawn).first.wait_for(state="attached", timeout=10_000)
            except PlaywrightTimeout:
                problems.append(f"{entry.path}: the map drew nothing ({entry.drawn})")
        violations = page.evaluate("window.__cspViolations")
        for frame in page.frames[1:]:
            violations += frame.evaluate("window.__cspViolations || []")
        if violations:
            problems.append(f"{entry.path}: {violations}")
        csp_errors = [e for e in errors if "Content Security Policy" in e or "Refused" in e]
        if csp_errors:
            problems.append(f"{entry.path}: console {csp_errors}")
        page.close()
    for context in contexts.values():
        context.close()
    assert problems == [], "\n".join(problems)
