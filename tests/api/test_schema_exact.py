"""The API and its schema agree outside the happy path: OPTIONS on every route, query strings and
bodies the schema refuses are refused, and what the API accepts the schema allows."""
from urllib.parse import unquote

import jsonschema
import jsonschema_rs
import pytest
from django.urls import reverse

from accounts.services.admins import admin_create
from api import urls as api_urls
from api.models import ApiKey
from api.services import api_key_create
from domains import services
from tests.api.conftest import ACTOR, BLF_HASH, table_snapshot
from webhooks.models import Subscription

# A value for each path parameter of the API's routes: rows of the `world` fixture.
# (`id` names stored mail, of which `world` has none: OPTIONS reads no object anyway; and webhook
# subscriptions, where the routes' names start with "webhook": those of world's keys, by the key.)
EXISTING = {"name": "a.example", "address": "box@a.example", "source": "info@a.example", "id": 1,
            "prefix": "00000000", "username": "nobody", "webhook": "all_domains", "selector": "m20260101"}
MISSING = {"name": "missing.example", "address": "nobody@a.example", "source": "nothing@a.example", "id": 10**9,
           "prefix": "11111111", "username": "missing", "webhook": 10**9, "selector": "missing"}
OUT_OF_SCOPE = {"name": "c.example", "address": "box@c.example", "source": "info@c.example", "id": 2,
                "prefix": "22222222", "username": "other", "webhook": "other_domain", "selector": "m20260101"}


def _webhook_id(value):
    if isinstance(value, int):
        return value
    return Subscription.objects.filter(api_key__name={"all_domains": "everything", "other_domain": "other"}[value]
                                       ).values_list("pk", flat=True).get()


def api_paths(values):
    """Every route of the API's URLconf, with `values` for its path parameters."""
    for pattern in api_urls.urlpatterns:
        names = pattern.pattern.converters.keys()
        kwargs = {name: values[name] for name in names}
        if pattern.name.startswith("webhook") and "id" in kwargs:
            kwargs["id"] = _webhook_id(values["webhook"])
        yield reverse(f"api:{pattern.name}", kwargs=kwargs)


def options(client, path, key):
    return client.options(path, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_options_answers_200_on_every_route(client, world):
    key = world["keys"]["all_domains"]
    answers = {path: options(client, path, key) for path in api_paths(EXISTING)}
    assert len(answers) == len(api_urls.urlpatterns) > 15
    assert {path: response.status_code for path, response in answers.items()} == dict.fromkeys(answers, 200)


def test_options_tells_nothing_about_objects_that_are_missing_or_out_of_scope(client, world):
    key = world["keys"]["allowed"]  # a.example only
    for existing, missing, out_of_scope in zip(api_paths(EXISTING), api_paths(MISSING), api_paths(OUT_OF_SCOPE),
                                               strict=True):
        answers = [options(client, path, key) for path in (existing, missing, out_of_scope)]
        assert [response.status_code for response in answers] == [200] * 3, existing
        assert answers[0].content == answers[1].content == answers[2].content, existing


def test_options_needs_a_key(client, world):
    for path in api_paths(EXISTING):
        if "/schema/" not in path and "/docs/" not in path:
            assert client.options(path).status_code == 401, path


def list_paths():
    """The routes that answer cursor pages, with the existing rows in their path."""
    for pattern, path in zip(api_urls.urlpatterns, api_paths(EXISTING), strict=True):
        if getattr(getattr(pattern.callback, "view_class", None), "pagination_class", None):
            yield path


@pytest.mark.parametrize("query", [
    "page_size=null&page_size=null", "page_size=5&page_size=5", "page_size=null", "page_size=", "page_size=1.5",
    "page_size=0", "page_size=-1", "page_size=1001", "prefix=a&prefix=b", "cursor=x&cursor=y",
])
def test_a_list_refuses_a_query_its_schema_refuses(client, world, query):
    key = world["keys"]["all_domains"]
    paths = list(list_paths())
    assert len(paths) == 11
    for path in paths:
        response = client.get(f"{path}?{query}", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 400, (path, query, response.content)
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "invalid" and set(body["errors"]) == {query.partition("=")[0]}, body


def test_a_list_takes_page_sizes_from_1_to_1000(client, world):
    key = world["keys"]["all_domains"]
    gone = services.mailbox_create(actor=ACTOR, domain=world["inside"], local_part="gone", password_hash=BLF_HASH)
    services.mailbox_delete(actor=ACTOR, mailbox=gone)  # a row of stored mail, and a webhook delivery
    parent = ApiKey.objects.get(name="everything")  # a key it made, an admin account
    api_key_create(actor=ACTOR, name="child", all_domains=True, domains=[], read_only=True, allowed_actions=[],
                   expires=None, parent=parent)
    admin_create(actor=ACTOR, username="someone", email="", password="a long enough admin password",
                 is_superuser=False, domains=[world["inside"]])
    for path in list_paths():
        for size in ("1", "1000"):
            response = client.get(f"{path}?page_size={size}", HTTP_AUTHORIZATION=f"Bearer {key}")
            assert response.status_code == 200, (path, size)
            assert len(response.json()["results"]) >= 1


def request_schema(client, component, field):
    schema = client.get("/api/v1/schema/?format=json").json()["components"]["schemas"][component]
    return schema["properties"][field]


ACCEPTED_THRESHOLDS = [0, 5, 5.5, 0.3, 999.9, "0", "7", "5.5", "999.9"]
# More than one decimal is refused as a number too (the schema: multipleOf 0.1), as by the panel.
REFUSED_THRESHOLDS = [-1, 1000, 5.55, 0.30000000000000004, 1e-17, "-1", "5.", ".5", " 5", "1e2", "5.55", "abc", "",
                      True, [5]]


@pytest.mark.parametrize("value", ACCEPTED_THRESHOLDS)
def test_a_spam_threshold_the_api_accepts_is_one_the_schema_allows(api, client, world, value):
    key = world["keys"]["all_domains"]
    response = api("PATCH", "mailboxes/box@a.example/", {"spam_threshold": value}, key=key)
    assert response.status_code == 200, response.body
    # A validator that takes JSON numbers as the decimals they are written as (Schemathesis's): to
    # Python's jsonschema, 0.3 is no multiple of 0.1 (binary floats).
    assert jsonschema_rs.validator_for(request_schema(client, "PatchedMailboxUpdateIn", "spam_threshold")
                                       ).is_valid(value)


@pytest.mark.parametrize("value", REFUSED_THRESHOLDS)
def test_a_spam_threshold_the_schema_refuses_is_refused_and_nothing_changes(api, client, world, value):
    key = world["keys"]["all_domains"]
    before = api("GET", "mailboxes/box@a.example/", key=key).body
    response = api("PATCH", "mailboxes/box@a.example/", {"spam_threshold": value}, key=key)
    assert response.status_code in (400, 422) and response["Content-Type"] == "application/problem+json"
    assert "spam_threshold" in response.body["errors"]
    assert api("GET", "mailboxes/box@a.example/", key=key).body == before
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, request_schema(client, "PatchedMailboxUpdateIn", "spam_threshold"))


def schema_of(client):
    return client.get("/api/v1/schema/?format=json").json()


def field_schema(schema, component, field):
    found = schema["components"]["schemas"][component]["properties"][field]
    return found.get("items", found) if field == "destinations" else found


# (request, component, field, value): requests found refused by the API though the schema allowed
# them; now the schema says so. And values the API takes, which the schema must keep allowing.
REFUSED = [
    ("POST", "mailboxes/", {"address": "type"}, "MailboxCreateIn", "address", "type"),
    ("POST", "mailboxes/", {"address": "é@a.example"}, "MailboxCreateIn", "address", "é@a.example"),
    ("POST", "mailboxes/bulk/", {"mailboxes": [{"address": ""}]}, "MailboxCreateIn", "address", ""),
    ("POST", "aliases/", {"source": "type", "destinations": ["box@a.example"]}, "AliasCreateIn", "source", "type"),
    ("POST", "aliases/", {"source": "x@a.example", "destinations": [""]}, "AliasCreateIn", "destinations", ""),
    ("PUT", "aliases/info@a.example/", {"destinations": ["a@b@c.example"]}, "AliasUpdateIn", "destinations",
     "a@b@c.example"),
    ("POST", "domains/", {"name": ""}, "DomainCreateIn", "name", ""),
    ("POST", "domains/", {"name": "a@b.example"}, "DomainCreateIn", "name", "a@b.example"),
    ("POST", "domains/", {"name": "invalid"}, "DomainCreateIn", "name", "invalid"),
    ("POST", "domains/", {"name": "a.123"}, "DomainCreateIn", "name", "a.123"),
    ("POST", "domains/", {"name": "a..example"}, "DomainCreateIn", "name", "a..example"),
    ("POST", "mailboxes/", {"address": "0@0"}, "MailboxCreateIn", "address", "0@0"),
    ("POST", "aliases/", {"source": "@0", "destinations": ["box@a.example"]}, "AliasCreateIn", "source", "@0"),
    ("PUT", "aliases/info@a.example/", {"destinations": ["0@0"]}, "AliasUpdateIn", "destinations", "0@0"),
    ("PUT", "aliases/info@a.example/", {"destinations": ["a b@c.example"]}, "AliasUpdateIn", "destinations",
     "a b@c.example"),
    ("PUT", "aliases/info@a.example/", {"destinations": ["a,b@c.example"]}, "AliasUpdateIn", "destinations",
     "a,b@c.example"),
    ("PUT", "aliases/info@a.example/", {"destinations": ["a\x00b@c.example"]}, "AliasUpdateIn", "destinations",
     "a\x00b@c.example"),
    ("POST", "domains/", {"name": "b\x85.example"}, "DomainCreateIn", "name", "b\x85.example"),
]
ACCEPTED = [
    ("MailboxCreateIn", "address", "Box.Name-1_x@A.example"), ("MailboxCreateIn", "address", "box@bücher.example"),
    ("AliasCreateIn", "source", "@a.example"), ("AliasCreateIn", "source", "jörg@bücher.example"),
    ("AliasUpdateIn", "destinations", "someone+tag@example.net"), ("DomainCreateIn", "name", "bücher.example."),
    ("DomainCreateIn", "name", "a。example"), ("DomainCreateIn", "name", "xn--bcher-kva.example"),
    ("DomainCreateIn", "name", "mail-1.example.co"), ("DomainCreateIn", "name", "a.b1"),
]


@pytest.mark.parametrize(("method", "path", "body", "component", "field", "value"), REFUSED)
def test_a_value_the_api_refuses_is_one_the_schema_refuses(api, client, world, method, path, body, component,
                                                           field, value):
    before = table_snapshot()
    response = api(method, path, body, key=world["keys"]["all_domains"])
    assert response.status_code in (400, 422), response.body
    assert table_snapshot() == before
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(value, field_schema(schema_of(client), component, field))


@pytest.mark.parametrize(("component", "field", "value"), ACCEPTED)
def test_a_value_the_api_takes_is_one_the_schema_allows(client, db, component, field, value):
    jsonschema.validate(value, field_schema(schema_of(client), component, field))


def test_the_idempotency_key_header_is_described_as_the_api_checks_it(api, client, world):
    response = api("POST", "domains/a.example/suspend/", key=world["keys"]["all_domains"],
                   HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.body["errors"]
    operation = schema_of(client)["paths"]["/api/v1/domains/{name}/suspend/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")["schema"]
    for value in ("x" * 256, "", "é"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(value, header)
    jsonschema.validate("order-2026-11-29 #17", header)


def test_each_operation_takes_the_query_parameters_its_schema_declares(client, world):
    """No more, no fewer: an undeclared one (a misspelt filter, say) answers 400 rather than
    being ignored, which would list every row or act as if the filter were not there."""
    key = world["keys"]["all_domains"]
    paths = dict(zip(api_urls.urlpatterns, api_paths(EXISTING), strict=True))
    checked = 0
    for template, operations in schema_of(client)["paths"].items():
        path = next(path for pattern, path in paths.items()
                    if unquote(reverse(f"api:{pattern.name}", kwargs={name: "{" + name + "}"
                                                                      for name in pattern.pattern.converters}))
                    == template)
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            response = client.generic(method.upper(), f"{path}?domian=a.example", HTTP_AUTHORIZATION=f"Bearer {key}")
            assert response.status_code == 400, (method, path, response.content)
            assert response.json()["errors"] == {"domian": ["Unknown parameter."]}
            if "page_size" in declared:
                answer = client.get(f"{path}?" + "&".join(f"{name}=" for name in declared - {"cursor", "page_size"}),
                                    HTTP_AUTHORIZATION=f"Bearer {key}")
                assert answer.status_code in (200, 400) and "Unknown parameter." not in str(answer.content)
            checked += 1
    assert checked > 25
    assert table_snapshot()[0][0]["name"] == "a.example" and len(table_snapshot()[0]) == 2


@pytest.mark.parametrize("value", ["null", "", "1", "yes", "True", "on"])
def test_the_active_filter_takes_only_true_or_false(client, world, value):
    key = world["keys"]["all_domains"]
    for path in ("/api/v1/domains/", "/api/v1/mailboxes/", "/api/v1/usage/"):
        response = client.get(f"{path}?active={value}", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 400 and set(response.json()["errors"]) == {"active"}, (path, value)
        for flag, expected in (("true", 2), ("false", 0)):
            rows = client.get(f"{path}?active={flag}", HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"]
            assert len(rows) == expected, (path, flag)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "mailboxes/box@a.example/password/", {"password": 123456789012345}),
    ("PATCH", "mailboxes/box@a.example/", {"display_name": 5}),
    ("PATCH", "domains/a.example/", {"description": 1.5}),
    ("POST", "mailboxes/", {"address": "new@a.example", "password_hash": 7}),
])
def test_a_number_where_the_schema_wants_text_is_refused(api, world, method, path, body):
    before = table_snapshot()
    response = api(method, path, body, key=world["keys"]["all_domains"])
    assert response.status_code == 400 and set(response.body["errors"]) == set(body) - {"address"}, response.body
    assert table_snapshot() == before


def test_an_empty_cursor_is_refused(client, world):
    for path in list_paths():
        response = client.get(f"{path}?cursor=", HTTP_AUTHORIZATION=f"Bearer {world['keys']['all_domains']}")
        assert response.status_code == 400 and set(response.json()["errors"]) == {"cursor"}, path


@pytest.mark.parametrize("cursor", ["abc", "!!!", "bz0xJnI9eA", "cD1hLmV4YW1wbGU%3D" * 80])
def test_a_malformed_cursor_is_refused_with_its_own_code(client, world, cursor):
    key = world["keys"]["all_domains"]
    schema = schema_of(client)
    for path in list_paths():
        response = client.get(f"{path}?cursor={cursor}", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 400 and response["Content-Type"] == "application/problem+json", path
        assert response.json()["code"] == "invalid_cursor" and set(response.json()["errors"]) == {"cursor"}, path
    parameter = next(p for p in schema["paths"]["/api/v1/domains/"]["get"]["parameters"] if p["name"] == "cursor")
    assert "invalid_cursor" in parameter["description"]
    if cursor == "!!!" or len(cursor) > 1000:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(unquote(cursor), parameter["schema"])


def test_a_cursor_from_a_page_is_one_the_schema_allows(client, world):
    key = world["keys"]["all_domains"]
    schema = schema_of(client)
    parameter = next(p for p in schema["paths"]["/api/v1/domains/"]["get"]["parameters"] if p["name"] == "cursor")
    page = client.get("/api/v1/domains/?page_size=1", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    cursor = unquote(page["next"].split("cursor=")[1].split("&")[0])
    jsonschema.validate(cursor, parameter["schema"])
    assert client.get(f"/api/v1/domains/?cursor={cursor}", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_the_idempotency_key_reuse_is_described_with_its_code(client, db):
    operation = schema_of(client)["paths"]["/api/v1/mailboxes/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert "idempotency_key_reused" in header["description"] and "idempotency_in_progress" in header["description"]
    assert "idempotency_key_reused" in operation["responses"]["422"]["description"]


def test_the_owners_spam_range_rule_is_in_the_schema_and_keeps_its_code(api, client, world):
    key = world["keys"]["all_domains"]
    before = table_snapshot()
    response = api("PATCH", "domains/a.example/", {"user_spam_threshold_min": 9, "user_spam_threshold_max": 3},
                   key=key)
    assert response.status_code == 422 and response.body["code"] == "spam_threshold_bounds", response.body
    assert table_snapshot() == before
    component = schema_of(client)["components"]["schemas"]["PatchedDomainUpdateIn"]
    assert "spam_threshold_bounds" in component["description"]
