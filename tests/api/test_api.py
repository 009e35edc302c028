"""The REST API beyond the scope matrix: errors, passwords, audit, paging, keys, schema and docs."""
import json
import re
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client

from api.models import ApiKey
from api.services import api_key_create, api_key_revoke
from domains import passwords
from domains.audit import Actor
from domains.models import AuditEntry, Domain, Mailbox
from tests.api.conftest import ACTOR, ARGON2ID_HASH, BLF_HASH, make_key, table_snapshot

pytestmark = pytest.mark.django_db


def assert_problem(response, status):
    assert response.status_code == status, response.body
    assert response["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(response.body)
    assert response.body["status"] == status


def test_unknown_revoked_and_expired_keys_get_the_same_401(api, world):
    keys = world["keys"]
    bodies = []
    for key in (keys["revoked"], keys["expired"], "mak_00000000_" + "x" * 43, keys["allowed"] + "x", "mak_"):
        response = api("GET", "domains/", key=key)
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == "Bearer"
        bodies.append(response.body)
    assert all(body == bodies[0] for body in bodies)
    assert_problem(api("GET", "domains/"), 401)


def test_a_revoked_key_stops_working_at_once(api, world):
    key, plaintext = make_key("soon revoked", domains=[world["inside"]])
    assert api("GET", "domains/a.example/", key=plaintext).status_code == 200
    api_key_revoke(actor=ACTOR, key=key)
    assert_problem(api("GET", "domains/a.example/", key=plaintext), 401)


def test_the_key_is_stored_only_as_a_hash_and_last_use_is_recorded(api, world):
    key, plaintext = make_key("hashed", domains=[world["inside"]])
    assert plaintext.startswith(f"mak_{key.prefix}_") and len(plaintext) >= 4 + 8 + 1 + 43
    stored = ApiKey.objects.filter(pk=key.pk).values()[0]
    assert plaintext not in json.dumps(stored, default=str)
    assert stored["last_used"] is None
    api("GET", "domains/", key=plaintext)
    first_use = ApiKey.objects.get(pk=key.pk).last_used
    assert first_use is not None
    api("GET", "domains/", key=plaintext)
    assert ApiKey.objects.get(pk=key.pk).last_used == first_use  # at most one write a minute


def test_duplicate_address_and_domain_answer_409(api, world):
    before = table_snapshot()
    response = api("POST", "mailboxes/", {"address": "BOX@A.example", "password_hash": BLF_HASH},
                   key=world["keys"]["allowed"])
    assert_problem(response, 409)
    assert response.body["errors"] == {"address": ["The mailbox box@a.example exists already."]}
    response = api("POST", "domains/", {"name": "A.example."}, key=world["keys"]["all_domains"])
    assert_problem(response, 409)
    assert list(response.body["errors"]) == ["name"]
    assert table_snapshot() == before


def test_title_detail_and_messages_follow_accept_language_while_codes_and_fields_stay(api, world):
    request = ("POST", "mailboxes/", {"address": "BOX@A.example", "password_hash": BLF_HASH})
    english = api(*request, key=world["keys"]["allowed"])
    german = api(*request, key=world["keys"]["allowed"], HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert english.status_code == german.status_code == 409
    assert english.body["code"] == german.body["code"] == "conflict"
    assert (english.body["title"], german.body["title"]) == ("Conflict", "Konflikt")
    assert german.body["errors"] == {"address": ["Das Postfach box@a.example existiert bereits."]}


@pytest.mark.parametrize("stored_hash", [BLF_HASH, ARGON2ID_HASH], ids=["BLF-CRYPT", "ARGON2ID"])
def test_a_pre_hashed_password_is_stored_as_given(api, world, stored_hash):
    response = api("POST", "mailboxes/", {"address": "moved@a.example", "password_hash": stored_hash,
                                          "quota": 5 * 10**8}, key=world["keys"]["allowed"])
    assert response.status_code == 201, response.body
    assert "password" not in response.body and "password_hash" not in response.body
    mailbox = Mailbox.objects.get(email="moved@a.example")
    assert mailbox.password == stored_hash and mailbox.quota == 5 * 10**8
    assert passwords.verify_password("fixture password", mailbox.password)


def test_an_unknown_hash_scheme_is_a_field_error_and_nothing_is_stored(api, world):
    before = table_snapshot()
    response = api("POST", "mailboxes/", {"address": "moved@a.example", "password_hash": "{PLAIN}secret"},
                   key=world["keys"]["allowed"])
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["password_hash"]
    assert table_snapshot() == before


def test_field_errors_from_the_body_and_from_the_rules(api, world):
    key = world["keys"]["allowed"]
    response = api("POST", "mailboxes/", {"address": "x@a.example", "password": "short", "quota": -1}, key=key)
    assert_problem(response, 400)
    assert list(response.body["errors"]) == ["quota"]
    response = api("POST", "mailboxes/", {"address": "x@a.example", "password": "short"}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["password"]
    response = api("POST", "mailboxes/", {"address": "a+b@a.example", "password_hash": BLF_HASH}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["address"]
    response = api("POST", "mailboxes/", {"address": "x@a.example"}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["password"]


def test_a_domain_limit_answers_422(api, world):
    key = world["keys"]["allowed"]
    assert api("PATCH", "domains/a.example/", {"max_mailboxes": 1}, key=world["keys"]["all_domains"]).status_code == 200
    response = api("POST", "mailboxes/", {"address": "second@a.example", "password_hash": BLF_HASH}, key=key)
    assert_problem(response, 422)
    assert response.body["code"] == "mailbox_limit"
    assert not Mailbox.objects.filter(email="second@a.example").exists()


def test_the_audit_row_names_the_key(api, world):
    key = ApiKey.objects.get(name="billing")
    response = api("POST", "mailboxes/box@a.example/suspend/", key=world["keys"]["allowed"], REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200 and response.body["active"] is False
    entry = AuditEntry.objects.filter(action="mailbox.update").first()
    assert entry.actor_label == f"api-key:{key.prefix}:billing"
    assert entry.actor is None and entry.source_ip == "192.0.2.7"
    assert entry.before["active"] is True and entry.after["active"] is False


def test_allowed_actions_limit_what_a_key_does(api, world):
    _, plaintext = make_key("suspend only", domains=[world["inside"]], allowed_actions=["mailbox.suspend"])
    before = table_snapshot()
    assert_problem(api("DELETE", "mailboxes/box@a.example/", key=plaintext), 403)
    assert_problem(api("PATCH", "mailboxes/box@a.example/", {"quota": 1}, key=plaintext), 403)
    assert table_snapshot() == before
    assert api("POST", "mailboxes/box@a.example/suspend/", key=plaintext).status_code == 200
    # Suspending through PATCH needs the suspend action as well as the update action.
    _, update_only = make_key("update only", domains=[world["inside"]], allowed_actions=["mailbox.update"])
    assert_problem(api("PATCH", "mailboxes/box@a.example/", {"active": True}, key=update_only), 403)
    assert Mailbox.objects.get(email="box@a.example").active is False


def test_mass_assignment_is_ignored(api, world):
    response = api("PATCH", "mailboxes/box@a.example/", {"domain": "c.example", "email": "x@c.example",
                                                         "password": "{PLAIN}x", "quota": 7},
                   key=world["keys"]["allowed"])
    assert response.status_code == 200
    mailbox = Mailbox.objects.get(email="box@a.example")
    assert mailbox.domain == world["inside"] and mailbox.quota == 7 and mailbox.password == BLF_HASH


def test_the_cursor_pages_return_every_row_once(api, world):
    Mailbox.objects.bulk_create(
        Mailbox(domain=world["inside"], email=f"user{n:03d}@a.example", password=BLF_HASH) for n in range(53))
    expected = set(Mailbox.objects.filter(domain=world["inside"]).values_list("email", flat=True))
    seen, url = [], "mailboxes/?domain=a.example&page_size=10"
    while url:
        response = api("GET", url, key=world["keys"]["allowed"])
        assert response.status_code == 200
        assert len(response.body["results"]) <= 10
        seen += [row["address"] for row in response.body["results"]]
        url = response.body["next"] and response.body["next"].split("/api/v1/", 1)[1]
    assert len(seen) == len(expected) == 54 and set(seen) == expected and seen == sorted(seen)


def test_list_filters(api, world):
    key = world["keys"]["all_domains"]
    Mailbox.objects.bulk_create([Mailbox(domain=world["inside"], email="sales_1@a.example", password=BLF_HASH,
                                         active=False),
                                 Mailbox(domain=world["inside"], email="salesx1@a.example", password=BLF_HASH)])

    def addresses(query):
        return [row["address"] for row in api("GET", f"mailboxes/?{query}", key=key).body["results"]]

    assert addresses("domain=c.example") == ["box@c.example"]
    assert addresses("prefix=sales_") == ["sales_1@a.example"]  # `_` matches literally
    assert addresses("active=false") == ["sales_1@a.example"]
    assert addresses("domain=nowhere.example") == []
    assert [row["name"] for row in api("GET", "domains/?prefix=c", key=key).body["results"]] == ["c.example"]


def test_a_database_outage_answers_503(api, world, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError(2002, "Can't connect to MySQL server")

    monkeypatch.setattr("domains.selectors.domains_visible_to", unreachable)
    response = api("GET", "domains/", key=world["keys"]["allowed"])
    assert_problem(response, 503)
    assert response["Retry-After"] == "60"


def test_a_request_without_a_host_is_refused_as_problem_json(api, world):
    response = api("DELETE", "domains/a.example/", key=world["keys"]["all_domains"], HTTP_HOST="")
    assert_problem(response, 400)
    assert Domain.objects.filter(name="a.example").exists()
    page = Client().get("/login/", HTTP_HOST="")  # the panel keeps Django's own page
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_writes_need_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/mailboxes/box@a.example/suspend/",
                           HTTP_AUTHORIZATION=f"Bearer {world['keys']['allowed']}")
    assert response.status_code == 200


def test_the_management_command_creates_and_revokes_keys(api, world):
    out = StringIO()
    call_command("api_key", "create", "--name", "billing 2", "--domain", "a.example", "--read-only",
                 "--expires-days", "30", stdout=out)
    plaintext = out.getvalue().split()[-1]
    key = ApiKey.objects.get(name="billing 2")
    assert key.read_only and list(key.domains.all()) == [world["inside"]] and key.expires is not None
    assert AuditEntry.objects.filter(action="api_key.create", actor_label="command:api_key").exists()
    assert api("GET", "domains/a.example/", key=plaintext).status_code == 200
    call_command("api_key", "revoke", key.prefix, stdout=StringIO())
    assert_problem(api("GET", "domains/a.example/", key=plaintext), 401)
    assert AuditEntry.objects.filter(action="api_key.revoke").exists()


def test_only_superadmins_manage_keys(django_user_model, world):
    admin = django_user_model.objects.create_user("domainadmin", password="x" * 20)
    with pytest.raises(PermissionDenied):
        api_key_create(actor=Actor.for_user(admin), name="nope", all_domains=True, domains=[], read_only=False,
                       allowed_actions=[], expires=None)
    assert not ApiKey.objects.filter(name="nope").exists()


def test_the_schema_is_openapi_3(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/mailboxes/{address}/suspend/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_docs_page_loads_only_the_panels_own_assets(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/static/") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_domains_are_not_deleted_outside_scope_even_by_unicode_name(api, world):
    Domain.objects.filter(pk=world["other"].pk).update(name="xn--bcher-kva.example")
    assert_problem(api("DELETE", "domains/bücher.example/", key=world["keys"]["allowed"]), 404)
    assert Domain.objects.filter(name="xn--bcher-kva.example").exists()


def test_the_range_of_owners_spam_thresholds_is_read_and_set(api, world):
    key = world["keys"]["all_domains"]
    assert api("GET", "domains/a.example/", key=key).body["user_spam_threshold_max"] == "10.0"
    response = api("PATCH", "domains/a.example/", {"user_spam_threshold_min": "2.5", "user_spam_threshold_max": "7"},
                   key=key)
    assert response.status_code == 200, response.body
    assert (response.body["user_spam_threshold_min"], response.body["user_spam_threshold_max"]) == ("2.5", "7.0")
    before = table_snapshot()
    assert_problem(api("PATCH", "domains/a.example/", {"user_spam_threshold_min": "8"}, key=key), 422)
    assert_problem(api("PATCH", "domains/a.example/", {"user_spam_threshold_max": None}, key=key), 400)
    assert table_snapshot() == before
