"""Field app pages. The dispatcher's queue is one page whose script talks to the staff REST API."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import DomainError
from geo_services.core.roles import Role, has_role
from geo_services.portal.forms import in_language
from geo_services.portal.views import map_config
from geo_services.service_requests import selectors, services
from geo_services.service_requests.models import OPEN_STATUSES, Status


def _page_text() -> dict[str, str]:
    """Every sentence the queue's script shows, in the page's language."""
    return {
        "loading": _("Loading…"),
        "empty": _("No requests match these filters."),
        "count": _("%(shown)s of %(count)s requests"),
        "loadMore": _("Show more"),
        "overdue": _("Overdue"),
        "unassigned": _("Not assigned"),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "signedOut": _("Your session has ended. Sign in again."),
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
        "outlinesFailed": _("The district outlines could not be loaded."),
        "allDistricts": _("All districts"),
        "noContact": _("No contact details given."),
        "by": _("by %(name)s"),
    }


@login_required
@require_GET
def dispatcher_queue(request: HttpRequest) -> HttpResponse:
    """The dispatcher's queue: a map and a list of the requests they may handle, and the actions."""
    if not has_role(request.user, Role.DISPATCHER, Role.ADMIN):
        return render(request, "fieldapp/forbidden.html", status=403)
    member = selectors.staff_member(request.user)
    code = member.jurisdiction.code if member is not None else settings.AMANAH_DEFAULT_JURISDICTION
    try:
        jurisdiction = core_selectors.jurisdiction_by_code(code)
    except DomainError:
        # The jurisdiction is not loaded yet (a fresh installation before the demo or an import).
        return render(request, "portal/unavailable.html", status=503)
    districts = (
        [
            {"code": d.code, "name": in_language(d.name_ar, d.name_en)}
            for d in sorted(member.districts.all(), key=lambda d: d.code)
        ]
        if member is not None
        else []
    )
    requests_url = reverse("request-queue")
    config = {
        "language": get_language() or settings.LANGUAGE_CODE,
        "timeZone": jurisdiction.time_zone,
        "api": {"requests": requests_url, "inspectors": reverse("inspector-list")},
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
        "text": _page_text(),
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
