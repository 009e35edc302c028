"""Owners set their own spam threshold within the range their domain's admins allow."""
from decimal import Decimal

import pytest

from domains.models import Domain, Mailbox
from tests import mail
from tests.conftest import PASSWORD
from tests.selfservice.conftest import signed_in
from tests.test_spam import deliver_and_find, scored

pytestmark = pytest.mark.stack


def test_a_lowered_threshold_files_a_scored_message_into_junk(client, owner):
    signed_in(client, owner)
    assert client.post("/me/spam/", {"spam_threshold": "8.0"}).status_code == 302
    assert deliver_and_find(owner.email, scored(owner.email, "7.0")) == "INBOX"
    assert client.post("/me/spam/", {"spam_threshold": "6.5"}).status_code == 302
    assert deliver_and_find(owner.email, scored(owner.email, "7.0")) == "Junk"
    assert '<strong id="spam-threshold">6.5</strong>' in client.get("/me/").content.decode()


@pytest.mark.parametrize("threshold", ["0.5", "10.1", "abc", "-1"])
def test_a_threshold_outside_the_domains_range_is_refused(client, owner, threshold):
    signed_in(client, owner)
    response = client.post("/me/spam/", {"spam_threshold": threshold})
    assert response.status_code == 200
    assert Mailbox.objects.get(pk=owner.pk).spam_threshold is None


def test_a_superadmin_sets_the_range(admin_client, client, owners):
    owner = owners()
    domain = owners.domain
    fields = {"description": "", "max_mailboxes": 0, "max_aliases": 0, "default_quota": 0, "max_quota": 0,
              "quota_total": 0, "spam_threshold": "", "user_spam_threshold_min": "4.0",
              "user_spam_threshold_max": "6.0", "active": "on"}
    assert admin_client.post(f"/domains/{domain.pk}/edit/", fields).status_code == 302
    domain.refresh_from_db()
    assert (domain.user_spam_threshold_min, domain.user_spam_threshold_max) == (Decimal("4.0"), Decimal("6.0"))
    signed_in(client, owner)
    assert client.post("/me/spam/", {"spam_threshold": "7.0"}).status_code == 200
    assert "from 4.0 to 6.0" in client.get("/me/spam/").content.decode()
    assert client.post("/me/spam/", {"spam_threshold": "4.0"}).status_code == 302
    assert Mailbox.objects.get(pk=owner.pk).spam_threshold == Decimal("4.0")
    # An upside-down range is refused, and nothing changes.
    fields.update(user_spam_threshold_min="9.0", user_spam_threshold_max="3.0")
    response = admin_client.post(f"/domains/{domain.pk}/edit/", fields)
    assert response.status_code == 200 and "above the highest" in response.content.decode()
    assert Domain.objects.get(pk=domain.pk).user_spam_threshold_min == Decimal("4.0")


def test_empty_means_the_domains_threshold(client, owners):
    owner = owners(spam_threshold="9.0")
    signed_in(client, owner)
    assert client.post("/me/spam/", {"spam_threshold": ""}).status_code == 302
    assert Mailbox.objects.get(pk=owner.pk).spam_threshold is None
    assert mail.imap_login_works(owner.email, PASSWORD)
