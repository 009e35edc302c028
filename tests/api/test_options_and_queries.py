"""What the API answers outside the happy path of its schema: OPTIONS on every route, and query
strings the schema does not allow."""
from django.urls import reverse

from api import urls as api_urls

# A value for each path parameter of the API's routes: rows of the `world` fixture.
EXISTING = {"name": "a.example", "address": "box@a.example", "source": "info@a.example"}
MISSING = {"name": "missing.example", "address": "nobody@a.example", "source": "nothing@a.example"}
OUT_OF_SCOPE = {"name": "c.example", "address": "box@c.example", "source": "info@c.example"}


def api_paths(values):
    """Every route of the API's URLconf, with `values` for its path parameters."""
    for pattern in api_urls.urlpatterns:
        names = pattern.pattern.converters.keys()
        yield reverse(f"api:{pattern.name}", kwargs={name: values[name] for name in names})


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
