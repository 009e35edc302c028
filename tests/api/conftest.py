"""Fixtures for the REST API tests: domains in and out of a key's scope, and one key per case."""
import json
import threading
from datetime import timedelta

import argon2
import bcrypt
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import ACTIONS
from api.services import api_key_create, api_key_revoke
from domains import services
from domains.audit import Actor
from domains.models import Alias, DkimKey, Domain, Mailbox
from selfservice.models import MailboxRules
from webhooks.models import Subscription
from webhooks.services import subscription_create

ACTOR = Actor.command("tests")
# Cheap valid hashes for fixture mailboxes (a real ARGON2ID hash at 64 MiB costs ~0.2 s each).
BLF_HASH = "{BLF-CRYPT}" + bcrypt.hashpw(b"fixture password", bcrypt.gensalt(rounds=4)).decode()
ARGON2ID_HASH = "{ARGON2ID}" + argon2.PasswordHasher(time_cost=1, memory_cost=1024).hash("fixture password")


def make_key(name, **options):
    options = {"all_domains": False, "domains": [], "read_only": False, "allowed_actions": [], "expires": None,
               **options}
    key, plaintext = api_key_create(actor=ACTOR, name=name, **options)
    return key, plaintext


def make_webhook(key_and_plaintext) -> int:
    """A subscription of the key's (to a closed local port, for mailbox.deleted only); its id."""
    key, _plaintext = key_and_plaintext
    subscription, _secret = subscription_create(
        actor=Actor(label=f"api-key:{key.prefix}", via_api=True), api_key=key, url="http://127.0.0.1:9/hook",
        event_types=["mailbox.deleted"])
    return subscription.pk


@pytest.fixture
def world(db):
    """a.example (in scope) with box@a.example; c.example, the domain of the "other" key."""
    inside = services.domain_create(actor=ACTOR, name="a.example")
    services.mailbox_create(actor=ACTOR, domain=inside, local_part="box", password_hash=BLF_HASH)
    services.alias_create(actor=ACTOR, domain=inside, source="info@a.example", destinations=["box@a.example"])
    other = services.domain_create(actor=ACTOR, name="c.example")
    services.mailbox_create(actor=ACTOR, domain=other, local_part="box", password_hash=BLF_HASH)
    revoked, revoked_plain = make_key("revoked", domains=[inside])
    api_key_revoke(actor=ACTOR, key=revoked)
    other_key, allowed, everything = (make_key("other", domains=[other]), make_key("billing", domains=[inside]),
                                      # every action by name: also the named-only ones (api_key.manage, ...)
                                      make_key("everything", all_domains=True, allowed_actions=list(ACTIONS)))
    keys = {
        "none": None,
        "revoked": revoked_plain,
        "expired": make_key("expired", domains=[inside], expires=timezone.now() - timedelta(seconds=1))[1],
        "read_only": make_key("read-only", domains=[inside], read_only=True)[1],
        "other_domain": other_key[1],
        "allowed": allowed[1],
        "all_domains": everything[1],
    }
    webhooks = {"other_domain": make_webhook(other_key), "allowed": make_webhook(allowed),
                "all_domains": make_webhook(everything)}
    return {"inside": inside, "other": other, "keys": keys, "webhooks": webhooks}


class Api:
    """Requests to /api/v1/ with a bearer key, JSON bodies and parsed answers."""

    def __init__(self, client):
        self.client = client

    def __call__(self, method, path, body=None, *, key=None, **extra):
        if key:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        if body is not None:
            extra.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method.lower())(f"/api/v1/{path}", **extra)
        response.body = json.loads(response.content) if response.content else None
        return response


@pytest.fixture
def api(client):
    return Api(client)


def table_snapshot():
    """The three ISPmail tables, the owners' rules, the webhook subscriptions and the DKIM keys, row by row."""
    return (
        list(Domain.objects.order_by("pk").values()),
        list(Mailbox.objects.order_by("pk").values()),
        list(Alias.objects.order_by("pk").values()),
        list(MailboxRules.objects.order_by("pk").values()),
        list(Subscription.objects.order_by("pk").values()),
        list(DkimKey.objects.order_by("pk").values()),
    )


def at_once(count, request):
    """Runs request(client) in `count` threads released together; returns their answers."""
    barrier = threading.Barrier(count)
    answers, errors = [], []

    def send():
        try:
            client = Client()
            barrier.wait(timeout=10)
            answers.append(request(client))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    return answers
