"""Idempotency-Key on POST, PUT and PATCH: replay, reuse with another body, concurrency, expiry."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from registry.models import Enterprise, Facility
from wasteparks.api import idempotency
from wasteparks.models import IdempotencyRecord

from .conftest import bearer, error_of

FACILITIES = "/api/v1/facilities/"


def _yard(enterprise, name="Yard 9"):
    return {"enterprise": enterprise.pk, "name": name, "kind": "yard", "capacity_t": "80"}


def test_a_retry_with_the_same_key_and_body_replays_and_writes_nothing(erp_x, enterprise_x):
    first = erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    enterprise_before = Enterprise.objects.get(pk=enterprise_x.pk).updated_at
    again = erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Facility.objects.count() == 1
    assert Enterprise.objects.get(pk=enterprise_x.pk).updated_at == enterprise_before


def test_a_patch_retry_is_replayed_too(erp_x, enterprise_x):
    path = f"/api/v1/enterprises/{enterprise_x.pk}/"
    first = erp_x.patch(path, {"contact_name": "李娜"}, HTTP_IDEMPOTENCY_KEY="p-1")
    updated_at = Enterprise.objects.get(pk=enterprise_x.pk).updated_at
    again = erp_x.patch(path, {"contact_name": "李娜"}, HTTP_IDEMPOTENCY_KEY="p-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert Enterprise.objects.get(pk=enterprise_x.pk).updated_at == updated_at


def test_the_same_key_with_another_body_is_422_and_writes_nothing(erp_x, enterprise_x):
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    response = erp_x.post(FACILITIES, _yard(enterprise_x, "Other yard"), HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert list(Facility.objects.values_list("name", flat=True)) == ["Yard 9"]


def test_the_same_key_on_another_endpoint_is_422(erp_x, enterprise_x):
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201
    response = erp_x.patch(f"/api/v1/enterprises/{enterprise_x.pk}/", {"contact_name": "x"}, HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 422


def test_keys_belong_to_their_client(erp_x, erp_y, enterprise_x, enterprise_y):
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert erp_y.post(FACILITIES, _yard(enterprise_y), HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Facility.objects.count() == 2


def test_a_failed_request_keeps_no_record_so_a_corrected_retry_goes_through(erp_x, enterprise_x):
    bad = {**_yard(enterprise_x), "capacity_t": "-1"}
    assert erp_x.post(FACILITIES, bad, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 400
    assert not IdempotencyRecord.objects.exists() and not Facility.objects.exists()
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-4").status_code == 201


@pytest.mark.parametrize("key", ["", " ", "x" * 256])
def test_an_unusable_key_is_400(erp_x, enterprise_x, key):
    response = erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]
    assert not Facility.objects.exists()


def test_records_expire_after_24_hours(erp_x, enterprise_x):
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-5").status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency.purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_expired_key_is_a_new_request(erp_x, enterprise_x):
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-6").status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = erp_x.post(FACILITIES, _yard(enterprise_x, "Yard 10"), HTTP_IDEMPOTENCY_KEY="k-6")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Facility.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_make_one_write(erp_x, enterprise_x, monkeypatch):
    store = idempotency.store

    def slow_store(claim, response):
        time.sleep(0.5)  # hold the first request's transaction open while the second arrives
        store(claim, response)

    monkeypatch.setattr(idempotency, "store", slow_store)
    token = erp_x.token
    start = threading.Barrier(2)
    responses = []

    def send():
        try:
            start.wait(5)
            responses.append(bearer(token).post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(response.status_code for response in responses) == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(response.get("Idempotent-Replayed", "") for response in responses) == ["", "true"]
    assert Facility.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_retry_after_a_failed_first_attempt_writes_once(erp_x, enterprise_x):
    bad = {**_yard(enterprise_x), "capacity_t": "-1"}
    assert erp_x.post(FACILITIES, bad, HTTP_IDEMPOTENCY_KEY="k-7").status_code == 400
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-7").status_code == 201
    assert erp_x.post(FACILITIES, _yard(enterprise_x), HTTP_IDEMPOTENCY_KEY="k-7").status_code == 201
    assert Facility.objects.count() == 1


def test_the_daily_purge_task_drops_records_older_than_a_day(erp_x, enterprise_x):
    from datetime import timedelta

    from django.utils import timezone

    from registry.tasks import purge_idempotency_records

    body = {"enterprise": enterprise_x.pk, "name": "暂存间B", "kind": "warehouse", "capacity_t": "5"}
    assert erp_x.post("/api/v1/facilities/", body, HTTP_IDEMPOTENCY_KEY="k-old").status_code == 201
    assert (
        erp_x.post("/api/v1/facilities/", {**body, "name": "暂存间C"}, HTTP_IDEMPOTENCY_KEY="k-new").status_code == 201
    )
    IdempotencyRecord.objects.filter(key="k-old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-new"]
