"""Staff pages: the inspector's tablet app (/field/, with its service worker and web manifest), the
dispatcher's request queue (/dispatch/) and the supervisor's overview of inspections
(/dispatch/inspections/).

The views render a page shell with what its script needs (the API's addresses, the map, the page's
sentences in its language); the scripts read and write through the REST API, so the rules stay in
the domain apps' services and the views stay thin.
"""

from __future__ import annotations

import hashlib
import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fieldapp.api import views as field_api
from geo_services.core import selectors as core_selectors
from geo_services.core.errors import DomainError
from geo_services.core.models import Jurisdiction, StaffMember
from geo_services.core.roles import Role, has_role
from geo_services.portal.forms import in_language
from geo_services.portal.views import map_config
from geo_services.service_requests import selectors, services
from geo_services.service_requests.models import OPEN_STATUSES, Status

# Stand-ins for the parts of an API address the scripts fill in (see `_url_pattern`).
_UUID_MARK = "uuid-mark"
_PHOTO_MARK = "photo-mark"


def _url_pattern(name: str, *marks: str) -> str:
    """An API address with {uuid} / {photo} for the scripts to fill in."""
    url = reverse(name, args=list(marks))
    return url.replace(_UUID_MARK, "{uuid}").replace(_PHOTO_MARK, "{photo}")


# What the photo API accepts; the app converts anything else it can read to JPEG first.
PHOTO_TYPES = list(field_api.PHOTO_TYPES)

# The app shell the service worker keeps on the tablet, by static path. The page itself, the
# manifest and the icons are added by `_shell_urls`.
SHELL_STATIC = [
    "portal/site.css",
    "portal/map.js",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "fieldapp/outbox.js",
    "fieldapp/field.js",
    "fieldapp/field.css",
    "fieldapp/icons/icon-192.png",
    "fieldapp/icons/icon-512.png",
]
ICONS = [("fieldapp/icons/icon-192.png", 192), ("fieldapp/icons/icon-512.png", 512)]


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _jurisdiction_of(member: StaffMember | None) -> Jurisdiction | None:
    code = member.jurisdiction.code if member is not None else settings.AMANAH_DEFAULT_JURISDICTION
    try:
        return core_selectors.jurisdiction_by_code(code)
    except DomainError:
        # The jurisdiction is not loaded yet (a fresh installation before the demo or an import).
        return None


def _common_text() -> dict[str, str]:
    """Sentences the shared API helper shows."""
    return {
        "loading": _("Loading…"),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "signedOut": _("Your session has ended. Sign in again."),
        "outlinesFailed": _("The district outlines could not be loaded."),
    }


# --- The dispatcher's queue ------------------------------------------------------------------------


def _queue_text() -> dict[str, str]:
    """Every sentence the queue's script shows, in the page's language."""
    return {
        **_common_text(),
        "empty": _("No requests match these filters."),
        "count": _("%(shown)s of %(count)s requests"),
        "loadMore": _("Show more"),
        "overdue": _("Overdue"),
        "unassigned": _("Not assigned"),
        "saved": _("Saved."),
        "mergeConfirm": _("Merge request #%(id)s into request #%(into)s? This cannot be undone."),
        "mergeInto": _("Merge into #%(id)s"),
        "noDuplicates": _("No similar open requests nearby."),
        "publicNote": _("shown to the resident"),
        "staffNote": _("staff only"),
        "chooseInspector": _("Choose an inspector…"),
        "chooseStatus": _("Choose a status…"),
        "noTransitions": _("This request's status cannot be changed."),
        "requestTitle": _("Request #%(id)s"),
        "allDistricts": _("All districts"),
        "noContact": _("No contact details given."),
        "by": _("by %(name)s"),
    }


def _dispatchers_only(request: HttpRequest) -> HttpResponse | None:
    if not has_role(request.user, Role.DISPATCHER, Role.ADMIN):
        # An inspector who lands here is shown the way to their own app.
        context = {"is_inspector": has_role(request.user, Role.INSPECTOR)}
        return render(request, "fieldapp/forbidden.html", context, status=403)
    return None


@login_required
@require_GET
def dispatcher_queue(request: HttpRequest) -> HttpResponse:
    """The dispatcher's queue: a map and a list of the requests they may handle, and the actions.

    For dispatchers and administrators.
    """
    refused = _dispatchers_only(request)
    if refused is not None:
        return refused
    member = selectors.staff_member(request.user)
    jurisdiction = _jurisdiction_of(member)
    if jurisdiction is None:
        return render(request, "portal/unavailable.html", status=503)
    districts = (
        [
            {"code": d.code, "name": in_language(d.name_ar, d.name_en)}
            for d in sorted(member.districts.all(), key=lambda d: d.code)
        ]
        if member is not None
        else []
    )
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "api": {"requests": reverse("request-queue"), "inspectors": reverse("inspector-list")},
        "statuses": [{"value": s.value, "label": str(s.label)} for s in Status],
        "openStatuses": [s.value for s in OPEN_STATUSES],
        # The workflow's allowed moves, so the status menu offers only those (the service decides).
        "transitions": {
            str(origin): sorted(str(t) for t in targets)
            for origin, targets in services.ALLOWED_TRANSITIONS.items()
        },
        "categories": [
            {"code": c.code, "name": in_language(c.name_ar, c.name_en)}
            for c in selectors.active_categories(jurisdiction.code)
        ],
        # A dispatcher limited to some districts filters among those; otherwise all of the map's.
        "districts": districts,
        "map": map_config(jurisdiction),
        "text": _queue_text(),
    }
    context = {
        "config": config,
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "department_name": in_language(member.department.name_ar, member.department.name_en)
        if member is not None and member.department is not None
        else "",
        "statuses": config["statuses"],
        "open_statuses": config["openStatuses"],
    }
    return render(request, "fieldapp/queue.html", context)


# --- The supervisor's overview of inspections ------------------------------------------------------


def _supervisor_text() -> dict[str, str]:
    return {
        **_common_text(),
        "assigned": _("Assigned"),
        "done": _("Done"),
        "overdue": _("Overdue"),
        "cancelled": _("Cancelled"),
        "noJobs": _("No inspections are due on this day."),
        "noOverdue": _("No overdue inspections."),
        "noFailures": _("No inspection failed a critical item on this day."),
        "noInspectors": _("No inspector has jobs on this day."),
        "jobCount": _("%(count)s jobs on %(date)s"),
        "due": _("due %(date)s"),
        "score": _("score %(score)s"),
        "failedItems": _("Failed critical items: %(items)s"),
        "inspectorOf": _("Inspector: %(name)s"),
        "unassigned": _("Not assigned"),
        "jobTitle": _("Job #%(id)s"),
    }


@login_required
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    """The day's inspections at a glance: a map by state, overdue jobs, each inspector's progress and
    the inspections that failed a critical item. For dispatchers and administrators; the API limits
    each dispatcher to their districts."""
    refused = _dispatchers_only(request)
    if refused is not None:
        return refused
    member = selectors.staff_member(request.user)
    jurisdiction = _jurisdiction_of(member)
    if jurisdiction is None:
        return render(request, "portal/unavailable.html", status=503)
    # The day the jurisdiction is living, whatever zone the server runs in.
    today = timezone.localdate(timezone=ZoneInfo(jurisdiction.time_zone))
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "today": today.isoformat(),
        "api": {
            "overview": reverse("inspection-overview"),
            "jobs": reverse("inspection-jobs"),
            "templates": reverse("inspection-templates"),
        },
        "map": map_config(jurisdiction),
        "text": _supervisor_text(),
    }
    context = {
        "config": config,
        "today": today.isoformat(),
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "time_zone": jurisdiction.time_zone,
    }
    return render(request, "fieldapp/supervisor.html", context)


# --- The inspector's tablet app ----------------------------------------------------------------------


def _field_text() -> dict[str, str]:
    """Every sentence the tablet app's script shows, in the page's language."""
    return {
        **_common_text(),
        "online": _("Online"),
        "offlineNow": _("Offline: inspections are kept on this tablet and sent when the network returns."),
        "jobsFresh": _("Jobs updated at %(time)s."),
        "jobsSaved": _("No network: jobs as saved on this tablet at %(time)s."),
        "noJobsStored": _(
            "No jobs are saved on this tablet yet. Connect to the network to load today's jobs."
        ),
        "noJobs": _("No open inspections for today."),
        "route": _("%(count)s stops, %(distance)s in visiting order"),
        "moreJobs": _(
            "More jobs are due than the tablet lists: these are the %(limit)s most urgent. Ask your dispatcher to spread the rest."
        ),
        "fromPosition": _("Order from your position (±%(accuracy)s m)."),
        "noPositionOrder": _("Your position is not known: the order starts at the first job."),
        "leg": _("%(distance)s from the previous stop"),
        "firstLeg": _("%(distance)s from your position"),
        "km": _("%(km)s km"),
        "metres": _("%(m)s m"),
        "due": _("Due %(date)s"),
        "overdue": _("Overdue"),
        "doneHere": _("Done on this tablet"),
        "stop": _("Stop %(number)s"),
        "storagePersistent": _("Stored inspections are kept on this tablet until they are sent."),
        "storageBestEffort": _(
            "The browser did not promise to keep stored inspections if space runs short: sync often."
        ),
        "storageUnknown": _("This browser cannot promise to keep stored inspections."),
        "syncing": _("Sending…"),
        "allSent": _("Everything is sent."),
        "waitingCount": _("%(count)s waiting to be sent."),
        "failedCount": _("%(count)s could not be sent: see the reasons below."),
        "signInAgain": _("Your session has ended: sign in again to send the waiting inspections."),
        "noRecords": _("Nothing has been finished on this tablet today."),
        "state_waiting": _("Waiting"),
        "state_sending": _("Sending"),
        "state_sent": _("Sent"),
        "state_failed": _("Failed"),
        "retry": _("Try again"),
        "finishedAt": _("Finished at %(time)s"),
        "photoCount": _("Photos: %(count)s"),
        "result": _("Score %(score)s"),
        "passed": _("Passed"),
        "notPassed": _("Not passed"),
        "yes": _("Yes"),
        "no": _("No"),
        "required": _("Required"),
        "critical": _("Critical"),
        "scoreRange": _("From 0 to %(max)s"),
        "between": _("Between %(min)s and %(max)s"),
        "atLeast": _("At least %(min)s"),
        "atMost": _("At most %(max)s"),
        "addPhotos": _("Take or add photos"),
        "removePhoto": _("Remove this photo"),
        "photoUnreadable": _("%(name)s is not a photo this tablet can read."),
        "photoLost": _("A photo of this inspection is no longer on this tablet."),
        "answerNeeded": _("Answer this item."),
        "photoNeeded": _("Add at least one photo."),
        "numberNeeded": _("Enter a number."),
        "fixItems": _("Some items need attention: %(items)s"),
        "locating": _("Finding your position…"),
        "accuracy": _("Position captured: ±%(accuracy)s m"),
        "tooImprecise": _(
            "Less precise than the %(required)s m this checklist asks for. Move into the open and capture again."
        ),
        "tooFar": _("%(distance)s from the place to inspect; this checklist allows %(max)s."),
        "geoDenied": _("Location permission was refused: the inspection will be sent without a position."),
        "geoUnavailable": _("Your position is not available now. Try again in the open."),
        "geoUnsupported": _("This device cannot share its position."),
        "noPosition": _("No position captured yet."),
        "templateMissing": _(
            "The checklist of this job is not saved on this tablet. Connect to the network and reload."
        ),
        "saved": _("Saved on this tablet. It is sent as soon as the network allows."),
        "saveFailed": _("The inspection could not be stored on this tablet: %(reason)s"),
        "leaveConfirm": _("Leave this inspection? What you entered is not kept."),
        "jobNotFound": _("This job is not in today's list any more."),
        "signOutWaiting": _(
            "Some inspections are not sent yet. They stay on this tablet and are sent when you sign in "
            "again. Sign out?"
        ),
    }


def _shell_urls() -> list[str]:
    """The app shell's real URLs (whatever names collectstatic gave the files)."""
    return [
        reverse("fieldapp:app"),
        reverse("fieldapp:manifest"),
        *(static(path) for path in SHELL_STATIC),
    ]


def _shell_version(shell: list[str]) -> str:
    """Changes whenever a file of the shell changes, so the tablet replaces its copies.

    Static names carry no content hash unless collectstatic gave them one, so the files' bytes are
    hashed as well as their URLs.
    """
    digest = hashlib.sha256("\n".join(shell).encode())
    for path in SHELL_STATIC:
        found = finders.find(path)
        if isinstance(found, str):
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


@login_required
@require_GET
def field_app(request: HttpRequest) -> HttpResponse:
    """Today's inspections on a tablet, also offline. For inspectors; a dispatcher or administrator
    who is not an inspector is sent to the dispatchers' pages, anyone else is told who may use it."""
    if not has_role(request.user, Role.INSPECTOR):
        if has_role(request.user, Role.DISPATCHER, Role.ADMIN):
            return redirect("dispatch:queue")
        return render(request, "fieldapp/inspectors_only.html", status=403)
    member = selectors.staff_member(request.user)
    jurisdiction = _jurisdiction_of(member)
    if jurisdiction is None:
        return render(request, "portal/unavailable.html", status=503)
    config = {
        "language": _language(),
        "timeZone": jurisdiction.time_zone,
        "user": {"id": request.user.pk, "username": request.user.get_username()},
        "api": {
            "today": reverse("field-today"),
            "inspection": _url_pattern("field-inspection", _UUID_MARK),
            "photo": _url_pattern("field-inspection-photo", _UUID_MARK, _PHOTO_MARK),
        },
        "serviceWorker": reverse("fieldapp:service-worker"),
        "scope": reverse("fieldapp:app"),
        "maxPhotoBytes": settings.AMANAH_MAX_PHOTO_BYTES,
        "photoTypes": PHOTO_TYPES,
        "map": map_config(jurisdiction),
        "text": _field_text(),
    }
    context = {
        "config": config,
        "jurisdiction_name": in_language(jurisdiction.name_ar, jurisdiction.name_en),
        "is_dispatcher": has_role(request.user, Role.DISPATCHER, Role.ADMIN),
    }
    return render(request, "fieldapp/field.html", context)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The tablet app's service worker, with the shell's real URLs written in.

    Public (it holds no personal data) so that the browser can still check for a new version after
    the session has ended. `no-cache`: the browser asks every time, and the worker's version says
    whether anything changed.
    """
    shell = _shell_urls()
    page_url = reverse("fieldapp:app")
    static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    network_first = {
        reverse("field-today"): "path",
        reverse("district-list"): "url",
        # Network first so that the installed app's name follows a change of language.
        reverse("fieldapp:manifest"): "url",
    }
    context = {
        "version": _shell_version(shell),
        "page_url_json": json.dumps(page_url),
        "shell_json": json.dumps([url for url in shell if url != page_url]),
        "network_first_json": json.dumps(network_first),
        "static_prefix_json": json.dumps(static_prefix),
    }
    response = render(request, "fieldapp/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: installs /field/ on the tablet's home screen, in the page's language."""
    body = {
        "name": _("Amanah field inspections"),
        "short_name": _("Inspections"),
        "description": _("Today's inspections on a map, checklists with photos and GPS, also offline."),
        "lang": _language(),
        "dir": "rtl" if get_language_bidi() else "ltr",
        "id": reverse("fieldapp:app"),
        "start_url": reverse("fieldapp:app"),
        "scope": reverse("fieldapp:app"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f3f5f4",
        "theme_color": "#0b5a47",
        "icons": [
            {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
            for path, size in ICONS
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/manifest+json"
    )
    response["Cache-Control"] = "no-cache"
    return response
