"""Creating an alias whose source exists already is refused the same way on every path (the
panel, POST /api/v1/aliases/, /api/v1/aliases/bulk/, manage.py import), even with destinations
the alias does not have yet: its destinations are changed by editing it (PUT in the API)."""
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.errors import Conflict
from domains.models import Alias, AuditEntry
from tests.api.conftest import make_key

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
MESSAGE = "The alias info@a.example exists already."


@pytest.fixture
def domain():
    domain = services.domain_create(actor=ACTOR, name="a.example")
    services.alias_create(actor=ACTOR, domain=domain, source="info@a.example", destinations=["box@a.example"])
    return domain


@pytest.fixture
def key(domain):
    return make_key("billing", domains=[domain])[1]


def rows():
    return sorted(Alias.objects.values_list("source", "destination")), AuditEntry.objects.count()


def api_post(path, body, key):
    response = Client().post(f"/api/v1/{path}", json.dumps(body), content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {key}")
    return response.status_code, json.loads(response.content)


def test_the_service_refuses_it_as_a_conflict(domain):
    before = rows()
    with pytest.raises(Conflict) as refused:
        services.alias_create(actor=ACTOR, domain=domain, source="INFO@a.example", destinations=["new@r.test"])
    assert refused.value.messages == [MESSAGE]
    assert rows() == before


def test_the_panel_refuses_it(domain, admin_client):
    before = rows()
    response = admin_client.post(f"/domains/{domain.pk}/aliases/new/",
                                 {"local_part": "info", "destinations": "new@r.test"})
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert rows() == before


def test_the_api_refuses_it_with_409(key):
    before = rows()
    status, body = api_post("aliases/", {"source": "info@a.example", "destinations": ["new@r.test"]}, key)
    assert (status, body["code"], body["errors"]) == (409, "conflict", {"source": [MESSAGE]})
    assert rows() == before


def test_a_bulk_request_refuses_it_with_409(key):
    before = rows()
    status, body = api_post("aliases/bulk/", {"aliases": [{"source": "info@a.example",
                                                           "destinations": ["new@r.test"]}]}, key)
    assert (status, body["code"], body["errors"]) == (409, "conflict", {"aliases[0].source": [MESSAGE]})
    assert rows() == before


def test_an_import_refuses_it(domain, tmp_path, capsys):
    before = rows()
    path = tmp_path / "aliases.csv"
    path.write_text("kind,address,destinations\nalias,info@a.example,new@r.test\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", str(path), "--no-progress")
    assert f"aliases.csv, line 2: {MESSAGE}" in capsys.readouterr().err
    assert rows() == before


def test_the_openapi_schema_states_the_rule_for_both_create_operations(client):
    schema = json.loads(client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    for path in ("/api/v1/aliases/", "/api/v1/aliases/bulk/"):
        description = schema["paths"][path]["post"]["description"]
        assert "exists already is refused with 409" in description, path
        assert "PUT /api/v1/aliases/{source}/" in description, path
