"""Spam filing at delivery: SpamAssassin scores each message (spamass-milter), and Dovecot's
Sieve files it into Junk when the score reaches the final recipient's threshold.

The test stack's SpamAssassin has a few rules of known score (deploy/spamassassin/local.cf),
so a message can carry an exact score: "MAILADMIN-TEST-SCORE-7.0" in its body scores 7.0.
"""
import re
from decimal import Decimal

import pytest

from domains import services
from mailstack.daemons import SpamMilter
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack


def scored(to: str, score: str, **headers):
    body = mail.GTUBE if score == "GTUBE" else f"This message scores MAILADMIN-TEST-SCORE-{score} exactly."
    return mail.message(to, body=body, **headers)


def spam_score(received) -> Decimal:
    statuses = received.get_all("X-Spam-Status")
    assert len(statuses) == 1, statuses
    return Decimal(re.search(r"score=(-?[0-9.]+)", statuses[0]).group(1))


def deliver_and_find(user: str, sent) -> str:
    """Sends, waits for delivery, and tells which folder the message is in."""
    mail.send(sent)
    for _ in range(150):
        for folder in ("INBOX", "Junk"):
            if mail.fetch(user, PASSWORD, sent["Subject"], folder) is not None:
                return folder
    raise AssertionError(f"{sent['Subject']} was not delivered to {user}")


def test_gtube_lands_in_junk_at_the_default_threshold(mail_domain):
    mail_domain("example.org").mailbox("eve")
    sent = scored("eve@example.org", "GTUBE")
    assert deliver_and_find("eve@example.org", sent) == "Junk"
    assert spam_score(mail.fetch("eve@example.org", PASSWORD, sent["Subject"], "Junk")) >= 1000


def test_each_mailbox_threshold_decides_for_a_score_seven_message(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("tolerant", spam_threshold="10")
    example.mailbox("strict", spam_threshold="3")
    assert deliver_and_find("tolerant@example.org", scored("tolerant@example.org", "7.0")) == "INBOX"
    assert deliver_and_find("strict@example.org", scored("strict@example.org", "7.0")) == "Junk"


def test_threshold_applies_per_final_recipient_after_alias_expansion(mail_domain):
    example = mail_domain("example.org")
    example.mailbox("tolerant", spam_threshold="10")
    example.mailbox("strict", spam_threshold="3")
    example.alias("both", "tolerant@example.org", "strict@example.org")
    sent = scored("both@example.org", "7.0")
    mail.send(sent)
    assert mail.wait_for("tolerant@example.org", PASSWORD, sent["Subject"], "INBOX")
    assert mail.wait_for("strict@example.org", PASSWORD, sent["Subject"], "Junk")


@pytest.mark.parametrize(("score", "folder"), [("5.4", "INBOX"), ("5.5", "Junk"), ("7.2", "Junk")])
def test_decimal_threshold_is_compared_exactly(mail_domain, score, folder):
    example = mail_domain("example.org")
    services.domain_update(actor=example.actor, domain=example.domain, spam_threshold="5.5")
    example.mailbox("exact")
    sent = scored("exact@example.org", score)
    assert deliver_and_find("exact@example.org", sent) == folder
    assert spam_score(mail.fetch("exact@example.org", PASSWORD, sent["Subject"], folder)) == Decimal(score)


def test_negative_score_stays_in_inbox_even_at_threshold_zero(mail_domain):
    mail_domain("example.org").mailbox("zero", spam_threshold="0")
    sent = scored("zero@example.org", "NEGATIVE")
    assert deliver_and_find("zero@example.org", sent) == "INBOX"
    assert spam_score(mail.fetch("zero@example.org", PASSWORD, sent["Subject"])) < 0


def test_forged_inbound_spam_headers_do_not_decide(mail_domain):
    mail_domain("example.org").mailbox("eve")
    innocent = mail.message("eve@example.org", body="Lunch at noon?", X_Spam_Status="Yes, score=99.0 required=5.0",
                            X_Spam_Flag="YES")
    assert deliver_and_find("eve@example.org", innocent) == "INBOX"
    assert spam_score(mail.fetch("eve@example.org", PASSWORD, innocent["Subject"])) < 5
    spam = scored("eve@example.org", "GTUBE", X_Spam_Status="No, score=-50.0 required=5.0")
    assert deliver_and_find("eve@example.org", spam) == "Junk"


def test_a_message_without_a_score_stays_in_inbox(mail_domain):
    """With the spam filter down, Postfix accepts mail unscored: even at threshold 0, no Junk."""
    mail_domain("example.org").mailbox("zero", spam_threshold="0")
    milter = SpamMilter()
    milter.stop()
    try:
        sent = mail.message("zero@example.org")
        assert deliver_and_find("zero@example.org", sent) == "INBOX"
        assert mail.fetch("zero@example.org", PASSWORD, sent["Subject"]).get_all("X-Spam-Status") is None
    finally:
        milter.start()
    scored_again = mail.message("zero@example.org")
    assert deliver_and_find("zero@example.org", scored_again) == "Junk"
