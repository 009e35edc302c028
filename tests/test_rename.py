"""Renaming a mailbox: aliases to it follow, in any domain, with an audit row in each; a rename
after which an alias would lead back to itself is refused, and mail keeps arriving."""
import pytest
from django.core.exceptions import ValidationError

from domains import services
from domains.models import Alias, AuditEntry, Mailbox
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def alias_rows():
    return sorted(Alias.objects.values_list("source", "destination"))


def arrives(address, mailbox):
    sent = mail.message(address)
    mail.send(sent)
    mail.wait_for(mailbox, PASSWORD, sent["Subject"])


@pytest.mark.parametrize("aliases", [
    [("x", "y@example.org"), ("y", "alice@example.org")],  # x → y → alice, alice renamed to x: x → y → x
    [("x", "alice@example.org")],  # x → alice, alice renamed to x: x → x
], ids=["through-another-alias", "to-itself"])
def test_a_rename_that_would_make_an_alias_loop_is_refused_and_mail_still_arrives(mail_domain, admin_client,
                                                                                 aliases):
    example = mail_domain("example.org")
    alice = example.mailbox("alice")
    for local_part, destination in aliases:
        example.alias(local_part, destination)
    before = alias_rows()

    with pytest.raises(ValidationError, match="loop"):
        services.mailbox_rename(actor=example.actor, mailbox=alice, local_part="x")
    response = admin_client.post(f"/mailboxes/{alice.pk}/rename/", {"local_part": "x"})
    assert response.status_code == 200 and "would forward to itself (a loop)" in response.content.decode()

    assert alias_rows() == before
    assert Mailbox.objects.get(pk=alice.pk).email == "alice@example.org"
    arrives("x@example.org", "alice@example.org")


def test_another_domains_alias_follows_with_an_audit_row_in_that_domain(mail_domain):
    example, other = mail_domain("example.org"), mail_domain("other.example")
    alice = example.mailbox("alice")
    other.alias("fwd", "alice@example.org", "someone@remote.test")
    other.alias("both", "alice@example.org", "ann@example.org")

    services.mailbox_rename(actor=example.actor, mailbox=alice, local_part="ann")

    assert alias_rows() == [("both@other.example", "ann@example.org"), ("fwd@other.example", "ann@example.org"),
                            ("fwd@other.example", "someone@remote.test")]
    entry = AuditEntry.objects.get(action="alias.update", object_repr="fwd@other.example")
    assert entry.domain_name == "other.example" and entry.actor_label == "command:tests"
    assert entry.before == {"destinations": ["alice@example.org", "someone@remote.test"]}
    assert entry.after == {"destinations": ["ann@example.org", "someone@remote.test"]}
    assert AuditEntry.objects.get(action="alias.update", object_repr="both@other.example").after == {
        "destinations": ["ann@example.org"]}
    arrives("fwd@other.example", "ann@example.org")
