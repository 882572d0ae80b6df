"""Community pages, Arabic first: the partners' coverage map and table, and residents' proposals.

The views render the page shell (the jurisdiction, the service kinds, who is signed in); the pages'
scripts read and write through the public REST API (/api/v1/partners/…, /api/v1/proposals/…), so the
rules live in one place (initiatives.services / initiatives.selectors).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo_services.core import selectors as core_selectors
from geo_services.core.models import Jurisdiction
from geo_services.core.roles import Role, has_role
from geo_services.initiatives import selectors
from geo_services.initiatives.models import ProposalStatus
from geo_services.portal.views import map_config


def _unavailable(request: HttpRequest) -> HttpResponse:
    # The configured jurisdiction is not loaded yet (a fresh installation before the demo data).
    return render(request, "portal/unavailable.html", status=503)


def _name(jurisdiction: Jurisdiction) -> str:
    return jurisdiction.name_ar if (get_language() or "ar").startswith("ar") else jurisdiction.name_en


@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    """Who provides which service in which district, and where no one does: a map and a table."""
    jurisdiction = core_selectors.default_jurisdiction()
    if jurisdiction is None:
        return _unavailable(request)
    kinds = selectors.service_kinds()
    chosen = request.GET.get("service", "")
    if chosen not in {kind.code for kind in kinds}:
        chosen = kinds[0].code if kinds else ""
    config = map_config(
        jurisdiction,
        coverageUrl=reverse("partner-coverage"),
        service=chosen,
        language=get_language() or settings.LANGUAGE_CODE,
        text={
            "none": _("No one yet"),
            "separator": _(", "),
            "gaps": _("No partner provides this service in %(count)s of %(total)s districts."),
            "failed": _("The coverage could not be loaded: %(reason)s"),
        },
    )
    return render(
        request,
        "initiatives/community/coverage.html",
        {"config": config, "services": kinds, "chosen": chosen, "jurisdiction_name": _name(jurisdiction)},
    )


@require_GET
def proposals_page(request: HttpRequest) -> HttpResponse:
    """Residents' proposals on a map; a signed-in resident proposes by clicking the map and supports."""
    jurisdiction = core_selectors.default_jurisdiction()
    if jurisdiction is None:
        return _unavailable(request)
    resident = request.user.is_authenticated and has_role(request.user, Role.CITIZEN)
    config = map_config(
        jurisdiction,
        proposalsUrl=reverse("proposal-list"),
        supportUrl=reverse("proposal-support", args=[0]).replace("/0/", "/{id}/"),
        resident=resident,
        language=get_language() or settings.LANGUAGE_CODE,
        text={
            "supporters": _("Supporters: %(count)s"),
            "support": _("Support"),
            "supported": _("You support it"),
            "empty": _("No proposals yet: be the first."),
            "status": {status.value: str(status.label) for status in ProposalStatus},
            "declinedBecause": _("Declined: %(reason)s"),
            "failed": _("The request failed (HTTP %(status)s)."),
            "pointChosen": _("Place chosen: %(lat)s, %(lon)s."),
            "areaChosen": _("Area drawn."),
            "placeMissing": _("Click the map where you propose it, or draw an area."),
            "yourProposal": _("Your proposal"),
            "sent": _("Thank you: your proposal is on the map."),
            "drawStart": _("Click to start the area."),
            "drawContinue": _("Click to add corners."),
            "drawEnd": _("Click the first corner to finish."),
        },
    )
    return render(
        request,
        "initiatives/community/proposals.html",
        {
            "config": config,
            "resident": resident,
            "login_url": f"{reverse('login')}?next={request.path}",
            "jurisdiction_name": _name(jurisdiction),
        },
    )
