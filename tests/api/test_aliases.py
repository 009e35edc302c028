"""The alias endpoints: the scope matrix, and the rules (duplicates, loops, malformed destinations)."""
import pytest

from domains.models import Alias, AuditEntry
from tests.api.conftest import make_key, table_snapshot

pytestmark = pytest.mark.django_db

# (name, method, path, body, status for an allowed key)
ENDPOINTS = [
    ("alias-list", "GET", "aliases/", None, 200),
    ("alias-create", "POST", "aliases/", {"source": "sales@a.example", "destinations": ["box@a.example"]}, 201),
    ("catch-all-create", "POST", "aliases/", {"source": "@a.example", "destinations": ["box@a.example"]}, 201),
    ("alias-get", "GET", "aliases/info@a.example/", None, 200),
    ("alias-replace", "PUT", "aliases/info@a.example/", {"destinations": ["x@remote.test", "box@a.example"]}, 200),
    ("alias-delete", "DELETE", "aliases/info@a.example/", None, 204),
    ("alias-bulk", "POST", "aliases/bulk/", {"aliases": [{"source": "sales@a.example",
                                                          "destinations": ["box@a.example"]}]}, 201),
]
CALLERS = ["none", "revoked", "expired", "read_only", "other_domain", "allowed"]


def expected_status(endpoint, caller, method, allowed_status):
    if caller in ("none", "revoked", "expired"):
        return 401
    if caller == "read_only":
        return allowed_status if method == "GET" else 403
    if caller == "other_domain":
        return 200 if endpoint == "alias-list" else 404
    return allowed_status


def assert_problem(response, status):
    assert response.status_code == status, response.body
    assert response["Content-Type"] == "application/problem+json"
    assert response.body["status"] == status


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("endpoint", "method", "path", "body", "allowed_status"), ENDPOINTS,
                         ids=[each[0] for each in ENDPOINTS])
def test_alias_scope_matrix(api, world, endpoint, method, path, body, allowed_status, caller):
    before, audit_rows = table_snapshot(), AuditEntry.objects.count()
    response = api(method, path, body, key=world["keys"][caller])
    status = expected_status(endpoint, caller, method, allowed_status)

    if status >= 400:
        assert_problem(response, status)
    assert response.status_code == status, response.body
    if status >= 400 or method == "GET":
        assert table_snapshot() == before
        assert AuditEntry.objects.count() == audit_rows
    else:
        assert table_snapshot() != before
        assert AuditEntry.objects.count() > audit_rows
    if endpoint == "alias-list" and status == 200:
        expected = [] if caller == "other_domain" else [{"source": "info@a.example", "destinations": ["box@a.example"]}]
        assert response.body["results"] == expected


def test_create_get_replace_and_delete(api, world):
    key = world["keys"]["allowed"]
    response = api("POST", "aliases/", {"source": "Sales@A.example", "destinations": ["box@a.example", "x@r.test"]},
                   key=key)
    assert response.status_code == 201, response.body
    assert response.body == {"source": "sales@a.example", "destinations": ["box@a.example", "x@r.test"]}
    assert response["Location"] == "/api/v1/aliases/sales@a.example/"
    response = api("PUT", "aliases/sales@a.example/", {"destinations": ["y@r.test"]}, key=key)
    assert response.status_code == 200 and response.body["destinations"] == ["y@r.test"]
    assert list(Alias.objects.filter(source="sales@a.example").values_list("destination", flat=True)) == ["y@r.test"]
    assert api("GET", "aliases/sales@a.example/", key=key).body["destinations"] == ["y@r.test"]
    assert api("DELETE", "aliases/sales@a.example/", key=key).status_code == 204
    assert_problem(api("GET", "aliases/sales@a.example/", key=key), 404)
    assert_problem(api("DELETE", "aliases/sales@a.example/", key=key), 404)
    assert_problem(api("PUT", "aliases/nobody@a.example/", {"destinations": ["y@r.test"]}, key=key), 404)


def test_a_catch_all_is_addressed_as_at_domain(api, world):
    key = world["keys"]["allowed"]
    assert api("POST", "aliases/", {"source": "@a.example", "destinations": ["box@a.example"]},
               key=key).status_code == 201
    response = api("GET", "aliases/@a.example/", key=key)
    assert response.status_code == 200 and response.body == {"source": "@a.example", "destinations": ["box@a.example"]}
    assert api("DELETE", "aliases/@a.example/", key=key).status_code == 204
    assert not Alias.objects.filter(source="@a.example").exists()


def test_a_duplicate_answers_409(api, world):
    before = table_snapshot()
    response = api("POST", "aliases/", {"source": "info@a.example", "destinations": ["box@a.example"]},
                   key=world["keys"]["allowed"])
    assert_problem(response, 409)
    assert table_snapshot() == before


def test_a_loop_answers_422(api, world):
    key = world["keys"]["allowed"]
    assert api("POST", "aliases/", {"source": "b@a.example", "destinations": ["info@a.example"]},
               key=key).status_code == 201
    before = table_snapshot()
    response = api("PUT", "aliases/info@a.example/", {"destinations": ["b@a.example"]}, key=key)
    assert_problem(response, 422)
    assert response.body["code"] == "alias_loop"
    response = api("POST", "aliases/", {"source": "self@a.example", "destinations": ["self@a.example"]}, key=key)
    assert_problem(response, 422)
    assert table_snapshot() == before


def test_a_destination_with_a_comma_answers_422(api, world):
    key = world["keys"]["allowed"]
    before = table_snapshot()
    for body in ({"source": "new@a.example", "destinations": ["box@a.example,x@r.test"]},
                 {"source": "new@a.example", "destinations": ["a,b@r.test"]}):
        response = api("POST", "aliases/", body, key=key)
        assert_problem(response, 422)
        assert list(response.body["errors"]) == ["destinations"]
        assert body["destinations"][0] in response.body["errors"]["destinations"][0]
    response = api("PUT", "aliases/info@a.example/", {"destinations": ["a,b@r.test"]}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["destinations"]
    items = [{"source": "new@a.example", "destinations": ["box@a.example"]},
             {"source": "other@a.example", "destinations": ["a,b@r.test"]}]
    response = api("POST", "aliases/bulk/", {"aliases": items}, key=key)
    assert_problem(response, 422)
    assert list(response.body["errors"]) == ["aliases[1].destinations"]
    assert table_snapshot() == before


def test_a_source_in_another_domain_is_404_and_bad_bodies_400(api, world):
    key = world["keys"]["allowed"]
    before = table_snapshot()
    assert_problem(api("POST", "aliases/", {"source": "x@c.example", "destinations": ["box@a.example"]}, key=key),
                   404)
    assert_problem(api("POST", "aliases/", {"source": "x@a.example", "destinations": []}, key=key), 400)
    assert_problem(api("POST", "aliases/", {"source": "x@a.example", "destinations": "box@a.example"}, key=key), 400)
    assert table_snapshot() == before


def test_allowed_actions_hold_for_aliases(api, world):
    _, plaintext = make_key("alias update only", domains=[world["inside"]], allowed_actions=["alias.update"])
    before = table_snapshot()
    assert_problem(api("DELETE", "aliases/info@a.example/", key=plaintext), 403)
    assert_problem(api("POST", "aliases/", {"source": "n@a.example", "destinations": ["box@a.example"]},
                       key=plaintext), 403)
    assert table_snapshot() == before
    assert api("PUT", "aliases/info@a.example/", {"destinations": ["z@r.test"]}, key=plaintext).status_code == 200


def test_the_list_groups_by_source_pages_and_filters(api, world):
    Alias.objects.bulk_create(Alias(domain=world["inside"], source=f"s{n:02d}@a.example", destination=f"d{m}@r.test")
                            for n in range(12) for m in range(3))
    key = world["keys"]["all_domains"]
    seen, url = [], "aliases/?domain=a.example&page_size=5"
    while url:
        response = api("GET", url, key=key)
        assert response.status_code == 200 and len(response.body["results"]) <= 5
        seen += response.body["results"]
        url = response.body["next"] and response.body["next"].split("/api/v1/", 1)[1]
    assert [row["source"] for row in seen] == ["info@a.example"] + [f"s{n:02d}@a.example" for n in range(12)]
    assert all(row["destinations"] == ["d0@r.test", "d1@r.test", "d2@r.test"] for row in seen[1:])
    prefixed = api("GET", "aliases/?prefix=s1", key=key).body["results"]
    assert [row["source"] for row in prefixed] == ["s10@a.example", "s11@a.example"]
    assert api("GET", "aliases/?domain=c.example", key=key).body["results"] == []
    assert api("GET", "aliases/?domain=nowhere.example", key=key).body["results"] == []
