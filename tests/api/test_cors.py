"""CORS for a billing system's web front end: pages of MAILADMIN_API_CORS_ORIGINS (the test
settings allow one, CORS_TEST_ORIGIN) may call /api/ with a key; other origins, and every path
outside /api/, get no CORS headers, so browsers keep the answers from their pages."""
import re

import pytest
from django.conf import settings

from mailadmin import config

ALLOWED = settings.CORS_TEST_ORIGIN
OTHER = "http://elsewhere.example"
SAMPLE = {"name": "a.example", "address": "box@a.example", "source": "info@a.example", "id": "1",
          "prefix": "abcdefgh", "username": "someone", "selector": "s2026a"}


def api_paths(client) -> list[str]:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = [re.sub(r"{(\w+)}", lambda match: SAMPLE[match[1]], path) for path in schema["paths"]]
    return [*paths, "/api/v1/schema/", "/api/v1/docs/"]


def preflight(client, path, origin, method="POST"):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
                            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key")


def test_no_origin_is_allowed_unless_configured():
    assert config.value("API_CORS_ORIGINS", environ={}) == []
    assert settings.CORS_ALLOWED_ORIGINS == [ALLOWED]  # the test settings'


@pytest.mark.django_db
def test_a_preflight_on_every_api_path_is_answered_for_an_allowed_origin_only(client):
    paths = api_paths(client)
    assert len(paths) > 30
    for path in paths:
        answer = preflight(client, path, ALLOWED)
        assert answer.status_code == 200, path  # no key needed, never a 5xx
        assert answer["Access-Control-Allow-Origin"] == ALLOWED, path
        allowed_headers = {name.strip() for name in answer["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers
        assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= set(answer["Access-Control-Allow-Methods"].split(", "))
        assert "Access-Control-Allow-Credentials" not in answer  # keys are headers, not cookies

        refused = preflight(client, path, OTHER)
        assert refused.status_code == 200 and "Access-Control-Allow-Origin" not in refused, path


@pytest.mark.django_db
def test_answers_carry_cors_headers_for_an_allowed_origin_only_and_only_under_api(api, client, world):
    key = world["keys"]["all_domains"]
    answer = api("GET", "domains/", key=key, HTTP_ORIGIN=ALLOWED)
    assert answer.status_code == 200 and answer["Access-Control-Allow-Origin"] == ALLOWED
    assert {"location", "retry-after", "idempotent-replayed"} <= {
        name.strip().lower() for name in answer["Access-Control-Expose-Headers"].split(",")}
    assert "Access-Control-Allow-Origin" not in api("GET", "domains/", key=key, HTTP_ORIGIN=OTHER)
    # A refusal reaches the allowed page too (it can show the problem), still without the data.
    assert api("GET", "domains/", HTTP_ORIGIN=ALLOWED)["Access-Control-Allow-Origin"] == ALLOWED
    # The panel's pages are never shared with other origins.
    assert "Access-Control-Allow-Origin" not in preflight(client, "/login/", ALLOWED)
    assert "Access-Control-Allow-Origin" not in client.get("/login/", HTTP_ORIGIN=ALLOWED)


@pytest.mark.django_db
def test_an_origin_setting_that_is_not_an_origin_stops_the_checks():
    from mailadmin.checks import check_environment

    for wrong in ("billing.example", "https://billing.example/app", "*"):
        errors = check_environment(environ={"MAILADMIN_API_CORS_ORIGINS": wrong})
        assert [error.id for error in errors] == ["mailadmin.E001"], wrong
    assert check_environment(environ={"MAILADMIN_API_CORS_ORIGINS": "https://billing.example, http://[::1]:3000"}) == []
