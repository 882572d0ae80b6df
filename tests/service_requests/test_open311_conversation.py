"""A client's whole Open311 conversation, in JSON and in XML, against the demo Amman jurisdiction.

discovery -> services -> service definition -> POST with answers and a photo -> GET requests by id,
by service_code, by status, by date -> GET requests/{id} -> GET tokens/{token} -> the photo itself.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geo_services.service_requests.models import ServiceRequest
from tests.service_requests import (
    CONTACT,
    DOWNTOWN,
    OPEN311,
    REQUEST_FIELDS,
    new_key,
    photo_upload,
    xml_items,
    xml_root,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _dates(days_ago_start: int, days_ago_end: int) -> dict[str, str]:
    now = timezone.now()
    return {
        "start_date": (now - timedelta(days=days_ago_start)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now - timedelta(days=days_ago_end)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_json_conversation(client, amman):
    key = new_key(amman)

    discovery = client.get(f"{OPEN311}discovery.json")
    assert discovery.status_code == 200
    assert discovery["Content-Type"] == "application/json; charset=utf-8"
    body = discovery.json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2/",
        "changeset": body["changeset"],
        "type": "production",
        "formats": ["application/json", "text/xml"],
    }

    services = client.get(f"{OPEN311}services.json", **EN).json()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["street-light"] == {
        "service_code": "street-light",
        "service_name": "Street light maintenance or replacement",
        "description": "A street light that is out or damaged.",
        "metadata": True,
        "type": "realtime",
        "keywords": "light, lamp, pole, إنارة, عمود",
        "group": "lighting",
    }
    assert by_code["sidewalk-damage"]["metadata"] is False
    # Arabic unless the client asks for English.
    arabic = {s["service_code"]: s for s in client.get(f"{OPEN311}services.json").json()}
    assert arabic["street-light"]["service_name"] == "صيانة أو استبدال إنارة الشوارع"

    definition = client.get(f"{OPEN311}services/street-light.json", **EN).json()
    assert definition["service_code"] == "street-light"
    problem, pole = definition["attributes"]
    assert problem["variable"] is True
    assert (problem["code"], problem["datatype"], problem["required"], problem["order"]) == (
        "problem",
        "singlevaluelist",
        True,
        1,
    )
    assert problem["description"] == "What is wrong?"
    assert problem["datatype_description"]
    assert {"key": "out", "name": "Not lit"} in problem["values"]
    assert (pole["code"], pole["datatype"], pole["required"], pole["order"], pole["values"]) == (
        "pole_number",
        "string",
        False,
        2,
        [],
    )

    posted = client.post(
        f"{OPEN311}requests.json",
        {
            "api_key": key,
            "service_code": "street-light",
            **DOWNTOWN,
            "attribute[problem]": "out",
            "attribute[pole_number]": "P-17",
            "description": "The lamp at the corner has been dark for a week.",
            "media": photo_upload(),
            **CONTACT,
        },
        **EN,
    )
    assert posted.status_code == 200, posted.content
    (created,) = posted.json()
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert created["account_id"] is None
    assert "Street Lighting" in created["service_notice"]
    stored = ServiceRequest.objects.get(pk=int(created["service_request_id"]))
    assert str(stored.token) == created["token"]
    assert stored.district.code == "al-madina"
    assert stored.department.code == "lighting"
    assert stored.attributes == {"problem": "out", "pole_number": "P-17"}
    assert stored.photo

    request_id = created["service_request_id"]
    by_id = client.get(f"{OPEN311}requests.json", {"service_request_id": request_id}, **EN).json()
    (item,) = by_id
    assert item["service_request_id"] == request_id
    assert item["status"] == "open"
    assert item["status_notes"] == ""
    assert item["service_code"] == "street-light"
    assert item["service_name"] == "Street light maintenance or replacement"
    assert item["description"] == "The lamp at the corner has been dark for a week."
    assert item["agency_responsible"] == "Street Lighting"
    assert (item["lat"], item["long"]) == (pytest.approx(31.9516), pytest.approx(35.9393))
    assert item["media_url"] == f"http://testserver/media/requests/{created['token']}/photo.jpg"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert item[name].endswith("+03:00")

    def ids(params: dict[str, str]) -> list[str]:
        response = client.get(f"{OPEN311}requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids({"service_code": "street-light"}) == [request_id]
    assert ids({"service_code": "pothole,tree-pruning"}) == []
    assert ids({"service_code": "pothole,street-light"}) == [request_id]
    assert ids({"status": "open"}) == [request_id]
    assert ids({"status": "closed"}) == []
    assert ids({"status": "open,closed"}) == [request_id]
    assert ids(_dates(1, -1)) == [request_id]
    assert ids(_dates(120, 100)) == []
    # service_request_id overrides every other argument.
    assert ids({"service_request_id": request_id, "status": "closed"}) == [request_id]

    single = client.get(f"{OPEN311}requests/{request_id}.json", **EN)
    assert single.status_code == 200
    assert single.json() == by_id

    token = client.get(f"{OPEN311}tokens/{created['token']}.json")
    assert token.json() == [{"service_request_id": request_id, "token": created["token"]}]

    photo = client.get(item["media_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"


def test_xml_conversation(client, amman):
    key = new_key(amman)

    discovery = xml_root(client.get(f"{OPEN311}discovery.xml"))
    assert discovery.tag == "discovery"
    assert [child.tag for child in discovery] == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = discovery.find("endpoints") or []
    assert endpoint.tag == "endpoint"
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2/"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["application/json", "text/xml"]

    services = xml_root(client.get(f"{OPEN311}services.xml", **EN))
    assert services.tag == "services"
    by_code = {s["service_code"]: s for s in xml_items(services, "service")}
    assert by_code["pest-control"]["metadata"] == "true"
    assert by_code["sidewalk-damage"]["metadata"] == "false"
    assert by_code["pest-control"]["type"] == "realtime"
    assert by_code["pest-control"]["service_name"] == "Disease vectors (pest control)"

    definition = xml_root(client.get(f"{OPEN311}services/pest-control.xml", **EN))
    assert definition.tag == "service_definition"
    assert definition.findtext("service_code") == "pest-control"
    (attribute,) = definition.findall("attributes/attribute")
    assert attribute.findtext("variable") == "true"
    assert attribute.findtext("code") == "pests"
    assert attribute.findtext("datatype") == "multivaluelist"
    assert attribute.findtext("required") == "true"
    assert attribute.findtext("order") == "1"
    values = {v.findtext("key"): v.findtext("name") for v in attribute.findall("values/value")}
    assert values["rodents"] == "Rodents"
    assert len(values) == 4

    posted = client.post(
        f"{OPEN311}requests.xml",
        {
            "api_key": key,
            "service_code": "pest-control",
            **DOWNTOWN,
            "attribute[pests][]": ["rodents", "flies"],
            "description": "Rats near the bins.",
            "media": photo_upload(),
            **CONTACT,
        },
    )
    assert posted.status_code == 200, posted.content
    created_root = xml_root(posted)
    assert created_root.tag == "service_requests"
    (created,) = xml_items(created_root, "request")
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert created["account_id"] == ""
    request_id, token = created["service_request_id"], created["token"]
    stored = ServiceRequest.objects.get(pk=int(request_id))
    assert stored.attributes == {"pests": ["rodents", "flies"]}

    def items(path: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
        response = client.get(f"{OPEN311}{path}", params or {}, **EN)
        assert response.status_code == 200, response.content
        root = xml_root(response)
        assert root.tag == "service_requests"
        return xml_items(root, "request")

    (item,) = items("requests.xml", {"service_request_id": request_id})
    assert list(item) == list(REQUEST_FIELDS)
    assert item["status"] == "open"
    assert item["service_code"] == "pest-control"
    assert item["agency_responsible"] == "Public Health"
    assert float(item["lat"]) == pytest.approx(31.9516)
    assert float(item["long"]) == pytest.approx(35.9393)
    assert item["requested_datetime"].endswith("+03:00")
    assert item["media_url"] == f"http://testserver/media/requests/{token}/photo.jpg"

    assert [r["service_request_id"] for r in items("requests.xml", {"service_code": "pest-control"})] == [
        request_id
    ]
    assert items("requests.xml", {"service_code": "pothole"}) == []
    assert [r["service_request_id"] for r in items("requests.xml", {"status": "open"})] == [request_id]
    assert items("requests.xml", {"status": "closed"}) == []
    assert [r["service_request_id"] for r in items("requests.xml", _dates(1, -1))] == [request_id]
    assert items("requests.xml", _dates(120, 100)) == []

    assert items(f"requests/{request_id}.xml") == [item]
    assert items(f"tokens/{token}.xml") == [{"service_request_id": request_id, "token": token}]

    photo = client.get(item["media_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
