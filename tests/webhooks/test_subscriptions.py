"""Who registers which URLs: http(s) without credentials, by superadmins and keys with
`webhook.manage`; a key sees only its own subscriptions."""
import pytest

from api.models import ApiKey
from tests.api.conftest import make_key
from webhooks.models import Subscription


@pytest.mark.parametrize(("url", "field"), [
    ("ftp://127.0.0.1/hook", "url"), ("http://user:pw@127.0.0.1/hook", "url"), ("http:///hook", "url"),
    ("file:///etc/passwd", "url"), ("javascript:alert(1)", "url"), ("http://127.0.0.1:99999/", "url"),
])
def test_a_url_that_is_not_http_or_holds_credentials_is_refused(api, db, url, field):
    key = make_key("billing", all_domains=True)[1]
    response = api("POST", "webhooks/", {"url": url, "event_types": ["domain.created"]}, key=key)
    assert response.status_code in (400, 422) and field in response.body["errors"], response.body
    assert not Subscription.objects.exists()


def test_unknown_or_no_event_types_are_refused(api, db):
    key = make_key("billing", all_domains=True)[1]
    for types in ([], ["domain.exploded"]):
        response = api("POST", "webhooks/", {"url": "https://billing.example/hook", "event_types": types}, key=key)
        assert response.status_code == 400 and any(name.startswith("event_types") for name in response.body["errors"])
    assert not Subscription.objects.exists()


def test_registering_needs_the_webhook_manage_action_and_a_writing_key(api, db):
    body = {"url": "https://billing.example/hook", "event_types": ["domain.created"]}
    narrow = make_key("narrow", all_domains=True, allowed_actions=["mailbox.create"])[1]
    read_only = make_key("reader", all_domains=True, read_only=True)[1]
    allowed = make_key("hooks", all_domains=True, allowed_actions=["webhook.manage"])[1]
    assert api("POST", "webhooks/", body, key=narrow).status_code == 403
    assert api("POST", "webhooks/", body, key=read_only).status_code == 403
    assert not Subscription.objects.exists()
    assert api("POST", "webhooks/", body, key=allowed).status_code == 201


def test_a_key_sees_and_deletes_only_its_own_subscriptions(api, db):
    body = {"url": "https://billing.example/hook", "event_types": ["domain.created"]}
    mine, other = make_key("mine", all_domains=True)[1], make_key("other", all_domains=True)[1]
    own = api("POST", "webhooks/", body, key=mine).body["id"]
    theirs = api("POST", "webhooks/", body, key=other).body["id"]
    assert [row["id"] for row in api("GET", "webhooks/", key=mine).body["results"]] == [own]
    for path in (f"webhooks/{theirs}/", f"webhooks/{theirs}/deliveries/"):
        assert api("GET", path, key=mine).status_code == 404
    assert api("DELETE", f"webhooks/{theirs}/", key=mine).status_code == 404
    assert api("DELETE", f"webhooks/{own}/", key=mine).status_code == 204
    assert list(Subscription.objects.values_list("api_key__name", flat=True)) == ["other"]
    assert ApiKey.objects.count() == 2
