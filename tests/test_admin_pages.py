"""Every admin page the administrators use opens (list, add, change) — with the demo data loaded."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.django_db
def test_every_admin_list_add_and_change_page_opens(client, amman):
    from geo_services.service_requests import services

    services.submit_request(
        jurisdiction_code="amman",
        service_code="pothole",
        point=None,
        address="Sweileh",
        answers={"size": ["small"]},
    )
    services.create_open311_key(jurisdiction=amman, name="app")
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    opened = 0
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info
        first = model._default_manager.first()
        if first is not None:
            assert (
                client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk])).status_code == 200
            ), info
        opened += 1
    assert opened >= 10
