"""Identical sends racing each other (a tablet retrying while the first send is still in flight)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import close_old_connections, connection
from rest_framework.test import APIClient

from geo_services.inspections.models import AuditAction, AuditEvent, Inspection, InspectionPhoto, JobStatus
from tests.inspections.conftest import inspection_url, jpeg_bytes, photo_url, submission


def race(count: int, send) -> list[object]:
    barrier = threading.Barrier(count)
    outcomes: list[object] = []
    lock = threading.Lock()

    def attempt() -> None:
        close_old_connections()
        try:
            barrier.wait()
            result: object = send()
        except Exception as error:  # anything raised is a defect (a 500 in production)
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_puts_store_one_inspection(inspector, make_job):
    job = make_job()
    key = str(uuid.uuid4())
    photo = jpeg_bytes()
    body = submission(job, photo=photo)

    def send() -> int:
        client = APIClient()
        client.force_authenticate(inspector)
        return client.put(inspection_url(key), body, format="json").status_code

    statuses = race(6, send)
    assert sorted(statuses) == [200, 200, 200, 200, 200, 201], statuses  # type: ignore[type-var]
    assert Inspection.objects.filter(uuid=key).count() == 1
    assert InspectionPhoto.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.INSPECTION_RECEIVED).count() == 1

    photo_uuid = body["photos"][0]["uuid"]

    def send_photo() -> int:
        client = APIClient()
        client.force_authenticate(inspector)
        return client.generic("PUT", photo_url(key, photo_uuid), photo, content_type="image/jpeg").status_code

    statuses = race(4, send_photo)
    assert sorted(statuses) == [200, 200, 200, 201], statuses  # type: ignore[type-var]
    assert AuditEvent.objects.filter(action=AuditAction.PHOTO_RECEIVED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.JOB_DONE).count() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
