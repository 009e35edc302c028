"""`Idempotency-Key` on POST, against the real database: replays, refusals, and a concurrent twin."""
import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from api.idempotency import purge_expired
from api.models import ApiKey, IdempotentRequest
from domains.models import AuditEntry, Mailbox
from tests.api.conftest import BLF_HASH, at_once, make_key

pytestmark = pytest.mark.django_db

NEW = {"address": "new@a.example", "password_hash": BLF_HASH}


def post(api, body, key, idempotency_key, path="mailboxes/"):
    return api("POST", path, body, key=key, HTTP_IDEMPOTENCY_KEY=idempotency_key)


def test_a_retry_gets_the_first_response_and_the_work_is_done_once(api, world):
    key = world["keys"]["allowed"]
    first = post(api, NEW, key, "order-17")
    assert first.status_code == 201, first.body
    audit_rows = AuditEntry.objects.count()

    again = post(api, NEW, key, "order-17")
    assert again.status_code == 201
    assert again.content == first.content and again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"] and again["Idempotent-Replayed"] == "true"
    assert Mailbox.objects.filter(email="new@a.example").count() == 1
    assert AuditEntry.objects.count() == audit_rows
    # Without the header the same body is a new request: the address exists now.
    assert api("POST", "mailboxes/", NEW, key=key).status_code == 409


def test_a_refusal_is_replayed_too(api, world):
    key = world["keys"]["allowed"]
    first = post(api, {"address": "box@a.example", "password_hash": BLF_HASH}, key, "dup")
    assert first.status_code == 409
    again = post(api, {"address": "box@a.example", "password_hash": BLF_HASH}, key, "dup")
    assert again.status_code == 409 and again.body == first.body


def test_the_same_key_with_another_body_or_path_is_422(api, world):
    key = world["keys"]["allowed"]
    assert post(api, NEW, key, "k1").status_code == 201
    response = post(api, {**NEW, "address": "other@a.example"}, key, "k1")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.body["code"] == "idempotency_key_reused"
    assert post(api, None, key, "k1", path="mailboxes/box@a.example/suspend/").status_code == 422
    assert not Mailbox.objects.filter(email="other@a.example").exists()
    assert Mailbox.objects.get(email="box@a.example").active is True


def test_a_key_still_in_progress_is_409(api, world):
    key = world["keys"]["allowed"]
    api_key = ApiKey.objects.get(name="billing")
    response = post(api, NEW, key, "busy")
    IdempotentRequest.objects.filter(key=api_key, idempotency_key="busy").update(status=None, body=b"")
    response = post(api, NEW, key, "busy")
    assert response.status_code == 409 and response.body["code"] == "idempotency_in_progress"
    # A row abandoned by a process that died is taken over after a while.
    IdempotentRequest.objects.filter(idempotency_key="busy").update(created=timezone.now() - timedelta(minutes=10))
    Mailbox.objects.filter(email="new@a.example").delete()
    assert post(api, NEW, key, "busy").status_code == 201


def test_other_api_keys_use_the_same_idempotency_key_independently(api, world):
    assert post(api, NEW, world["keys"]["allowed"], "shared").status_code == 201
    _, second_key = make_key("billing 2", domains=[world["inside"]])
    response = post(api, {**NEW, "address": "second@a.example"}, second_key, "shared")
    assert response.status_code == 201 and response.body["address"] == "second@a.example"
    assert IdempotentRequest.objects.filter(idempotency_key="shared").count() == 2


def test_a_5xx_is_not_stored_so_a_retry_does_the_work(api, world, monkeypatch):
    key = world["keys"]["allowed"]

    def unreachable(*args, **kwargs):
        raise OperationalError(2002, "Can't connect to MySQL server")

    with monkeypatch.context() as patch:
        patch.setattr("domains.services.mailbox_create", unreachable)
        assert post(api, NEW, key, "outage").status_code == 503
    assert not IdempotentRequest.objects.filter(idempotency_key="outage").exists()
    assert post(api, NEW, key, "outage").status_code == 201
    assert Mailbox.objects.filter(email="new@a.example").exists()


def test_refused_keys_claim_nothing_and_bad_headers_are_400(api, world):
    assert post(api, NEW, world["keys"]["read_only"], "ro").status_code == 403
    assert not IdempotentRequest.objects.exists()
    response = post(api, NEW, world["keys"]["allowed"], "x" * 256)
    assert response.status_code == 400 and list(response.body["errors"]) == ["Idempotency-Key"]
    assert not Mailbox.objects.filter(email="new@a.example").exists()


def test_expired_rows_are_purged(api, world):
    post(api, NEW, world["keys"]["allowed"], "old")
    assert purge_expired() == 0
    IdempotentRequest.objects.update(created=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1 and not IdempotentRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_do_the_work_once(world):
    """Many clients send the same request with one Idempotency-Key at once: one mailbox, every
    answer is the first 201 (replayed) or 409 (in progress), never a second creation."""
    key = world["keys"]["allowed"]

    def send(client):
        response = client.post("/api/v1/mailboxes/", data=json.dumps(NEW), content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_IDEMPOTENCY_KEY="twins")
        return response.status_code, response.content

    answers = at_once(4, send)
    assert Mailbox.objects.filter(email="new@a.example").count() == 1
    created = [content for status, content in answers if status == 201]
    assert created and all(content == created[0] for content in created)
    assert {status for status, _ in answers} <= {201, 409}
    assert AuditEntry.objects.filter(action="mailbox.create", object_repr__contains="new@a.example").count() == 1
