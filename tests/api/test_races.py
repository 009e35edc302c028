"""Two API clients creating the same mailbox at the same moment: one wins, the other gets 409."""
import json
import threading

import pytest
from django.db import connection
from django.test import Client

from domains.models import Mailbox
from tests.api.conftest import BLF_HASH


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_address_give_one_201_and_one_409(world):
    key = world["keys"]["allowed"]
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def create():
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = client.post("/api/v1/mailboxes/", data=json.dumps({"address": "race@a.example",
                                                                           "password_hash": BLF_HASH}),
                                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
            statuses.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert sorted(statuses) == [201, 409]
    assert Mailbox.objects.filter(email="race@a.example").count() == 1
