"""Two API clients creating the same mailbox at the same moment: one wins, the other gets 409."""
import json

import pytest

from domains.models import Mailbox
from tests.api.conftest import BLF_HASH, at_once


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_address_give_one_201_and_one_409(world):
    key = world["keys"]["allowed"]

    def create(client):
        return client.post("/api/v1/mailboxes/", data=json.dumps({"address": "race@a.example",
                                                                  "password_hash": BLF_HASH}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}").status_code

    assert sorted(at_once(2, create)) == [201, 409]
    assert Mailbox.objects.filter(email="race@a.example").count() == 1
