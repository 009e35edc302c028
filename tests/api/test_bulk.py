"""Bulk creation through the API: all or nothing, errors by item, scope for the whole request."""
import time

import pytest

from domains.models import Alias, AuditEntry, Mailbox
from tests.api.conftest import ARGON2ID_HASH, BLF_HASH, make_key, table_snapshot

pytestmark = pytest.mark.django_db


def assert_problem(response, status):
    assert response.status_code == status, response.body
    assert response["Content-Type"] == "application/problem+json" and response.body["status"] == status


def test_mailboxes_are_created_together_with_an_audit_row_each(api, world):
    items = [{"address": "Ann@A.example", "password_hash": BLF_HASH, "quota": 10**6},
             {"address": "bob@a.example", "password": "a long enough password here", "display_name": "Bob"},
             {"address": "carl@a.example", "password_hash": ARGON2ID_HASH, "active": False}]
    response = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"])
    assert response.status_code == 201, response.body
    assert [row["address"] for row in response.body["mailboxes"]] == ["ann@a.example", "bob@a.example",
                                                                      "carl@a.example"]
    assert all("password" not in row and "password_hash" not in row for row in response.body["mailboxes"])
    ann, carl = Mailbox.objects.get(email="ann@a.example"), Mailbox.objects.get(email="carl@a.example")
    assert ann.password == BLF_HASH and ann.quota == 10**6 and carl.active is False
    audit = AuditEntry.objects.filter(action="mailbox.create", actor_label__startswith="api-key:")
    assert sorted(audit.values_list("object_repr", flat=True)) == ["ann@a.example", "bob@a.example",
                                                                   "carl@a.example"]


def test_every_refused_item_is_named_and_nothing_is_written(api, world):
    before, audit_rows = table_snapshot(), AuditEntry.objects.count()
    items = [{"address": "fine@a.example", "password_hash": BLF_HASH},
             {"address": "a+b@a.example", "password_hash": BLF_HASH},
             {"address": "weak@a.example", "password": "short"},
             {"address": "plain@a.example", "password_hash": "{PLAIN}x"},
             {"address": "fine@a.example", "password_hash": BLF_HASH}]
    response = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"])
    assert_problem(response, 422)
    assert set(response.body["errors"]) == {"mailboxes[1].address", "mailboxes[2].password",
                                            "mailboxes[3].password_hash", "mailboxes[4].address"}
    assert table_snapshot() == before and AuditEntry.objects.count() == audit_rows


def test_an_existing_address_is_409_and_nothing_is_written(api, world):
    before = table_snapshot()
    items = [{"address": "new@a.example", "password_hash": BLF_HASH}, {"address": "box@a.example",
                                                                        "password_hash": BLF_HASH}]
    response = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"])
    assert_problem(response, 409)
    assert response.body["errors"] == {"mailboxes[1].address": ["The mailbox box@a.example exists already."]}
    assert table_snapshot() == before


def test_one_item_outside_the_keys_domains_makes_the_request_404(api, world):
    before = table_snapshot()
    for outside in ("new@c.example", "new@nowhere.example"):
        items = [{"address": "new@a.example", "password_hash": BLF_HASH},
                 {"address": outside, "password_hash": BLF_HASH}]
        assert_problem(api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"]), 404)
        aliases = [{"source": "new@a.example", "destinations": ["box@a.example"]},
                   {"source": outside, "destinations": ["box@a.example"]}]
        assert_problem(api("POST", "aliases/bulk/", {"aliases": aliases}, key=world["keys"]["allowed"]), 404)
    assert table_snapshot() == before


def test_bodies_of_the_wrong_shape_are_400_by_item(api, world):
    key = world["keys"]["allowed"]
    response = api("POST", "mailboxes/bulk/", {"mailboxes": [{"address": "x@a.example"}, {"quota": -1}]}, key=key)
    assert_problem(response, 400)
    assert set(response.body["errors"]) == {"mailboxes[1].address", "mailboxes[1].quota"}
    assert_problem(api("POST", "mailboxes/bulk/", {"mailboxes": []}, key=key), 400)
    assert_problem(api("POST", "mailboxes/bulk/", [{"address": "x@a.example"}], key=key), 400)
    too_many = [{"address": f"u{n}@a.example", "password_hash": BLF_HASH} for n in range(10_001)]
    assert_problem(api("POST", "mailboxes/bulk/", {"mailboxes": too_many}, key=key), 400)
    assert not Mailbox.objects.filter(email="x@a.example").exists()


def test_the_key_must_be_allowed_to_create(api, world):
    _, plaintext = make_key("no create", domains=[world["inside"]], allowed_actions=["mailbox.update"])
    body = {"mailboxes": [{"address": "new@a.example", "password_hash": BLF_HASH}]}
    assert_problem(api("POST", "mailboxes/bulk/", body, key=plaintext), 403)
    assert not Mailbox.objects.filter(email="new@a.example").exists()


def test_aliases_are_created_together_or_not_at_all(api, world):
    key = world["keys"]["allowed"]
    items = [{"source": "Sales@A.example", "destinations": ["box@a.example", "x@r.test"]},
             {"source": "@a.example", "destinations": ["box@a.example"]}]
    response = api("POST", "aliases/bulk/", {"aliases": items}, key=key)
    assert response.status_code == 201, response.body
    assert response.body["aliases"] == [{"source": "sales@a.example", "destinations": ["box@a.example", "x@r.test"]},
                                        {"source": "@a.example", "destinations": ["box@a.example"]}]
    before = table_snapshot()
    items = [{"source": "new@a.example", "destinations": ["box@a.example"]},
             {"source": "info@a.example", "destinations": ["box@a.example"]}]
    response = api("POST", "aliases/bulk/", {"aliases": items}, key=key)
    assert_problem(response, 409)
    assert list(response.body["errors"]) == ["aliases[1].source"]
    response = api("POST", "aliases/bulk/", {"aliases": [{"source": "loop@a.example",
                                                          "destinations": ["loop@a.example"]}]}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["aliases[0].source"]
    assert table_snapshot() == before
    assert not Alias.objects.filter(source="new@a.example").exists()


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_pre_hashed_mailboxes_in_one_request_and_its_replay(api, world, capsys):
    items = [{"address": f"user{n:05d}@a.example", "password_hash": BLF_HASH} for n in range(10_000)]
    started = time.monotonic()
    response = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"],
                   HTTP_IDEMPOTENCY_KEY="import-1")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.body
    assert len(response.body["mailboxes"]) == 10_000
    assert Mailbox.objects.filter(domain=world["inside"]).count() == 10_001
    replay = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"],
                 HTTP_IDEMPOTENCY_KEY="import-1")
    assert replay.status_code == 201 and replay.content == response.content
    assert Mailbox.objects.filter(domain=world["inside"]).count() == 10_001
    with capsys.disabled():
        print(f"\nbulk create of 10,000 pre-hashed mailboxes: {elapsed:.2f} s")


def test_a_body_over_the_size_limit_is_a_413_problem_and_nothing_is_written(api, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    before = table_snapshot()
    items = [{"address": f"user{number}@a.example", "password_hash": BLF_HASH} for number in range(50)]
    response = api("POST", "mailboxes/bulk/", {"mailboxes": items}, key=world["keys"]["allowed"])
    assert_problem(response, 413)
    assert "2000 bytes" in response.body["detail"]
    assert table_snapshot() == before
