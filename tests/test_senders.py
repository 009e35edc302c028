"""Who may send as whom, through the real Postfix: a logged-in user sends only as the addresses
their login owns (mysql-sender-login-maps.cf); on port 25, where nobody logs in, nobody sends as
an address of our domains (mysql-sender-access.cf)."""
import pytest

from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


@pytest.fixture
def senders(mail_domain):
    a = mail_domain("a.example")
    a.mailbox("alice")
    a.mailbox("bob")
    a.alias("team", "alice@a.example", "friend@remote.test")
    a.alias("bob", "alice@a.example")  # bob's mail goes to alice (bob's own address wins)
    a.alias("", "alice@a.example")  # catch-all
    b = mail_domain("b.example")
    b.mailbox("ceo")
    return a


def submitted_as(sender, relay_sink, login="alice@a.example"):
    sent = mail.message("friend@remote.test", sender=sender)
    mail.submit(sent, login, PASSWORD, sender=sender)
    return relay_sink.wait_for(sent["Subject"]).mail_from


def submit_refusal(sender, login="alice@a.example"):
    sent = mail.message("ceo@b.example", sender=sender)
    return mail.refusal(lambda: mail.submit(sent, login, PASSWORD, sender=sender)), sent


def test_a_login_cannot_send_as_another_customers_address(senders):
    (code, text), sent = submit_refusal("ceo@b.example")
    assert code == 553
    assert b"<ceo@b.example>: Sender address rejected: not owned by user alice@a.example" in text
    assert mail.fetch("ceo@b.example", PASSWORD, sent["Subject"]) is None


def test_a_login_sends_as_itself_and_as_the_aliases_it_receives(senders, relay_sink):
    assert submitted_as("alice@a.example", relay_sink) == "alice@a.example"
    assert submitted_as("Team@A.example", relay_sink).lower() == "team@a.example"


@pytest.mark.parametrize("sender", ["anyone@a.example", "bob@a.example", "someone@remote.test"])
def test_a_catch_all_an_alias_on_a_mailbox_or_a_foreign_address_gives_no_sender(senders, sender):
    """alice receives the catch-all and bob's mail: neither makes her bob or the whole domain."""
    code, text = submit_refusal(sender)[0]
    assert code == 553 and b"Sender address rejected: not owned by user alice@a.example" in text


def test_a_mailbox_with_an_alias_row_on_its_address_still_sends_as_itself(senders, relay_sink):
    assert submitted_as("bob@a.example", relay_sink, login="bob@a.example") == "bob@a.example"


@pytest.mark.parametrize("sender", ["alice@a.example", "ceo@b.example", "nobody@a.example", "Alice@A.EXAMPLE"])
def test_port_25_refuses_our_domains_as_sender_from_outside(senders, sender):
    sent = mail.message("alice@a.example", sender=sender)
    code, text = mail.refusal(lambda: mail.send(sent, sender=sender))
    assert code == 553 and b"Sender address rejected" in text and b"submission" in text
    assert mail.fetch("alice@a.example", PASSWORD, sent["Subject"]) is None


def test_port_25_still_takes_mail_from_other_domains_and_bounces(senders):
    external = mail.message("alice@a.example")
    mail.send(external)
    mail.wait_for("alice@a.example", PASSWORD, external["Subject"])
    bounce = mail.message("alice@a.example", sender="")
    mail.send(bounce, sender="")
    mail.wait_for("alice@a.example", PASSWORD, bounce["Subject"])
