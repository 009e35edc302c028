"""The usage endpoints for billing, with figures that real delivery through Postfix and Dovecot wrote."""
import pytest

from domains import services
from tests import mail
from tests.api.conftest import ACTOR, BLF_HASH, Api, make_key
from tests.test_usage import usage_of

pytestmark = pytest.mark.stack

PASSWORD = "a first long enough password"


def test_usage_follows_delivered_mail(transactional_db, client):
    domain = services.domain_create(actor=ACTOR, name="usage.example", default_quota=50 * 2**20)
    other = services.domain_create(actor=ACTOR, name="elsewhere.example")
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="full", password=PASSWORD)
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="empty", password_hash=BLF_HASH, quota=2**20)
    services.mailbox_create(actor=ACTOR, domain=other, local_part="x", password_hash=BLF_HASH)
    services.alias_create(actor=ACTOR, domain=domain, source="sales@usage.example",
                          destinations=["full@usage.example", "empty@usage.example"])
    api, key = Api(client), make_key("billing", domains=[domain])[1]

    message = mail.message("full@usage.example", body="x" * 80_000)
    mail.send(message)
    mail.wait_for("full@usage.example", PASSWORD, message["Subject"])
    stored = usage_of("full@usage.example", 1).bytes
    assert stored > 80_000

    response = api("GET", "mailboxes/full@usage.example/usage/", key=key)
    assert response.status_code == 200
    assert response.body == {"address": "full@usage.example", "quota": 50 * 2**20, "bytes_used": stored,
                             "messages": 1}
    figures = {"domain": "usage.example", "mailboxes": 2, "aliases": 2, "quota_allocated": 50 * 2**20 + 2**20,
               "storage_used": stored}
    assert api("GET", "domains/usage.example/usage/", key=key).body == figures
    assert api("GET", "usage/", key=key).body["results"] == [figures]  # only the key's domains

    rows = api("GET", "domains/usage.example/usage/mailboxes/?page_size=1", key=key)
    assert rows.body["results"] == [{"address": "empty@usage.example", "quota": 2**20, "bytes_used": 0,
                                     "messages": 0}]
    following = api("GET", rows.body["next"].split("/api/v1/", 1)[1], key=key).body
    assert [row["bytes_used"] for row in following["results"]] == [stored] and following["next"] is None

    for path in ("domains/elsewhere.example/usage/", "domains/elsewhere.example/usage/mailboxes/",
                 "mailboxes/x@elsewhere.example/usage/"):
        assert api("GET", path, key=key).status_code == 404
